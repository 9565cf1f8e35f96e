/**
 * Deliberately broken variants for the claims of fixtures-exact.ts and for the random-run gradient
 * claim, in the shape of adaptive-mutants.ts's rows: each claim must FAIL on its row
 * (properties/mutants.test.ts runs them).
 */
import { arithmetic } from '../src/arith/index.ts';
import { add, mul, pow, sum } from '../src/engine/index.ts';
import { PENALTIES } from '../src/regularize/recipes.ts';
import type { AdaptiveMutant } from './adaptive-mutants.ts';

/** PyTorch's float64 arithmetic with add-with-alpha rounded twice, as a JavaScript a + α·b would. */
function unfusedAddWithAlpha(): () => void {
  const pytorch = arithmetic('pytorch', 'float64');
  const fused = pytorch.addScaled;
  pytorch.addScaled = (self, alpha, other) => self + alpha * other;
  return () => {
    pytorch.addScaled = fused;
  };
}

export const EXACT_MUTANTS: AdaptiveMutant[] = [
  { claim: 'fixtures.torch-updates-bit-exact', bug: 'add with alpha not fused', overrides: { arith: 'pytorch' }, patch: unfusedAddWithAlpha },
  { claim: 'fixtures.torch-fused-pair', bug: 'add with alpha not fused', overrides: { arith: 'pytorch' }, patch: unfusedAddWithAlpha },
  {
    claim: 'fixtures.torch-gradients-random',
    bug: 'the 0.5 dropped from λ·0.5·Σw²',
    overrides: { penalties: { ...PENALTIES, 'half-pow-sum': (params, lambda) => mul(lambda, params.map((w) => sum(pow(w, 2))).reduce((a, b) => add(a, b))) } },
  },
];
