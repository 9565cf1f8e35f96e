import { describe, expect, it } from 'vitest';
import { elementRule, MutualRounding } from './fixture-support.ts';
import type { OptimizerSpec } from '../src/cases/types.ts';

describe('MutualRounding.div', () => {
  const A = new MutualRounding('float64');

  it('carries a subnormal numerator bound through a small denominator', () => {
    // e_x/|y| is the propagated part's lower bound whatever the formula's grouping; the old one
    // formed |y|·e_x = 6e-327, which underflows to 0, and so returned only the quotient's rounding.
    const x = { v: 3e-306, e: 3.2e-320 };
    const q = A.div(x, A.exact(1.9e-7));
    expect(q.e).toBeGreaterThanOrEqual(3.2e-320 / 1.9e-7);
  });

  it('equals the textbook bound where nothing underflows', () => {
    const x = { v: 3, e: 1e-15 };
    const y = { v: 7, e: 2e-15 };
    const textbook = (3 * 2e-15 + 7 * 1e-15) / (7 * (7 - 2e-15));
    const q = A.div(x, y);
    expect(q.e - A.div({ v: 3, e: 0 }, A.exact(7)).e).toBeCloseTo(textbook, 30);
  });
});

describe("Adagrad's rule against PyTorch 1.13 (recorded)", () => {
  // Recorded on 2026-12-01 from PyTorch 1.13 (Debian's python3-torch) through
  // adapters/torch_adapter.py: the case regproof verify --backend torch --runs 100 --seed 7 shrank
  // to for adaptive.updates-follow-pytorch-rule, element 0.weight[7]. At step 3, −g + λ·p cancels
  // (8.1e-306 from terms of 3.8e-304), and PyTorch's add with alpha is fused: its parameter
  // differs from the unfused rule's by 5.3e-314, which the rule's bound must cover.
  const spec: OptimizerSpec = {
    kind: 'adagrad', lr: 0.375, lrDecay: 2.740681431995126e-88, weightDecay: 0.0000060147915760765315,
    initialAccumulatorValue: 7.3146014831637835e-242, eps: 1.9081896179903193e-7, maximize: true,
  };
  const grads = [4.6294371064402785e-306, 8.251344804902935e-305, 3.75094439601132e-304];
  const params = [9.097832304231266e-300, 6.371481588967072e-299, 4.7724073525916084e-299];

  it('holds PyTorch within the bound at every step', () => {
    const rule = elementRule(spec, spec.weightDecay, new MutualRounding('float64'));
    let p = 0;
    grads.forEach((g, step) => {
      const want = rule(p, g);
      expect(Math.abs(params[step] - want.v), `step ${step + 1}`).toBeLessThanOrEqual(want.e);
      p = params[step];
    });
  });
});
