// The claims' bounded comparisons, used for backends that do not compute the reference's exact
// arithmetic, must hold for the reference itself (every claim runs in that mode on it), and must
// still see real bugs (a few broken variants below must fail in that mode too).
import { describe, expect, it } from 'vitest';
import { makeOptimizer, referenceBackend, type ReferenceOverrides } from '../src/backends/reference.ts';
import type { Backend } from '../src/backends/backend.ts';
import { PENALTIES } from '../src/regularize/recipes.ts';
import { configFromEnv } from '../src/runner/config.ts';
import { runClaim } from '../src/runner/run.ts';
import { registerConformance } from '../src/runner/vitest.ts';
import { ALL_CLAIMS } from './index.ts';

function withoutBitExactness(overrides: ReferenceOverrides = {}): Backend {
  const inner = referenceBackend({ name: 'reference (bounded comparisons)', ...overrides });
  return { ...inner, capabilities: new Set([...inner.capabilities].filter((c) => c !== 'arith:reference')) };
}

registerConformance(() => withoutBitExactness(), { runs: 50 });

describe('the bounded comparisons still see bugs', () => {
  const dropHalf: ReferenceOverrides = { penalties: { ...PENALTIES, 'half-pow-sum': PENALTIES['pow-sum'] } };
  // An SGD whose learning rate is off by a relative 1e-6: far beyond rounding, far below any eye.
  const lrOff: ReferenceOverrides = { makeOptimizer: (groups, spec) => makeOptimizer(groups, { ...spec, lr: spec.lr * (1 + 1e-6) }) };
  it.each([
    ['l2.half-square-is-weight-decay', 'the 0.5 dropped', dropHalf],
    ['bias.exclusion-equals-parameter-groups', 'the 0.5 dropped', dropHalf],
    ['sgd.matches-documented-update', 'lr off by 1e-6 relative', lrOff],
  ] as const)('%s fails when %s', async (id, _bug, overrides) => {
    const claim = ALL_CLAIMS.find((c) => c.id === id)!;
    const result = await runClaim(claim, withoutBitExactness(overrides), { ...configFromEnv(), runs: 200 }, { failuresDir: null });
    expect(result.verdict).toBe('fail');
  });
});
