import { describe, expect, it } from 'vitest';
import { OPS, abs, add, div, exp, fromData, log, mul, norm, pow, relu, sign, sqrt, sum, tensor, type Tensor } from '../../engine/index.ts';
import { KINKS, SMOOTH_OPS, scanGraph, straddle, type KinkRule, type Site } from './kinks.ts';
import type { Sample } from './stencils.ts';

const leaf = (data: number[]): Tensor => tensor(data, { requiresGrad: true });

describe('the kink table', () => {
  it('classifies every op of the engine exactly once, as kinked or smooth', () => {
    expect([...Object.keys(KINKS), ...SMOOTH_OPS].sort()).toEqual(Object.keys(OPS).sort());
  });

  it('has a kink for pow only at non-integer or negative exponents, singular below 1', () => {
    expect(KINKS.pow!({ exponent: 2 })).toBeNull();
    expect(KINKS.pow!({ exponent: 0 })).toBeNull();
    expect(KINKS.pow!({ exponent: 1.5 })).toEqual({ operand: 0, test: 'sign', singular: false, what: 'x^1.5 is not differentiable at 0' });
    expect(KINKS.pow!({ exponent: 0.5 })).toMatchObject({ singular: true, what: 'x^0.5 is not differentiable at 0' });
    expect(KINKS.pow!({ exponent: -1 })).toMatchObject({ singular: true, what: 'x^-1 is not differentiable at 0' });
    // Exactly 1 is an integer (smooth); just above it the derivative is finite at 0.
    expect(KINKS.pow!({ exponent: 1 })).toBeNull();
  });

  it('puts norm(1)\'s kink at each zero element and norm(2)\'s at the zero tensor', () => {
    expect(KINKS.norm!({ p: 1 })).toEqual({ operand: 0, test: 'sign', singular: false, what: 'norm(1) has a corner wherever an element is 0' });
    expect(KINKS.norm!({ p: 2 })).toEqual({ operand: 0, test: 'origin', singular: false, what: 'norm(2) has a corner at the zero tensor' });
  });

  it('looks at the divisor of div and the operand of the singular unary ops', () => {
    expect(KINKS.div!(undefined)).toMatchObject({ operand: 1, test: 'sign', singular: true, what: 'a/b has a pole where b = 0' });
    expect(KINKS.sqrt!(undefined)).toMatchObject({ operand: 0, test: 'sign', singular: true });
    expect(KINKS.sqrt!(undefined)!.what).toMatch(/^sqrt .*infinite derivative at 0/);
    expect(KINKS.log!(undefined)).toEqual({ operand: 0, test: 'sign', singular: true, what: 'log is singular at 0' });
    for (const [op, what] of [['abs', '|x| has a corner at 0'], ['relu', 'relu has a corner at 0'], ['sign', 'sign jumps at 0']] as const) {
      expect(KINKS[op]!(undefined)).toEqual({ operand: 0, test: 'sign', singular: false, what });
    }
  });
});

describe('scanGraph', () => {
  it('lists the kink sites depth first from the output, with their operands\' values', () => {
    const x = leaf([1, -2]);
    const y = leaf([3, 0.5]);
    // sum(relu(x) + y / abs(x)): sum, add, relu, div, abs in depth-first order; add and sum are smooth.
    const { sites, nonfiniteOp } = scanGraph(sum(add(relu(x), div(y, abs(x)))));
    expect(nonfiniteOp).toBeNull();
    expect(sites.map((s) => s.op)).toEqual(['relu', 'div', 'abs']);
    expect(Array.from(sites[0].values)).toEqual([1, -2]);
    // div's kink is in its divisor, abs(x) = [1, 2].
    expect(Array.from(sites[1].values)).toEqual([1, 2]);
    expect(sites[1].rule.operand).toBe(1);
    expect(Array.from(sites[2].values)).toEqual([1, -2]);
  });

  it('skips ops whose rule has no kink at the attributes used', () => {
    const x = leaf([1, 2]);
    expect(scanGraph(sum(pow(x, 2))).sites).toEqual([]);
    expect(scanGraph(sum(pow(x, 0.5))).sites.map((s) => s.op)).toEqual(['pow']);
  });

  it('names the first op, from the output, whose value is not finite', () => {
    expect(scanGraph(log(leaf([0, 1]))).nonfiniteOp).toBe('log');
    // From the output down: sum is the first, though exp overflowed below it.
    expect(scanGraph(sum(exp(leaf([1000, 1])))).nonfiniteOp).toBe('sum');
    expect(scanGraph(mul(exp(leaf([1, 2])), 2)).nonfiniteOp).toBeNull();
    // A NaN counts as well as an infinity.
    expect(scanGraph(sqrt(leaf([1, -1]))).nonfiniteOp).toBe('sqrt');
    expect(scanGraph(log(exp(leaf([1000])))).nonfiniteOp).toBe('log');
  });
});

describe('straddle', () => {
  const rule = (test: 'sign' | 'origin', what = 'the kink'): KinkRule => ({ operand: 0, test, singular: false, what });
  const sample = (offset: number, ...sites: [string, KinkRule, number[]][]): Sample => ({
    offset,
    values: new Float64Array(),
    sites: sites.map(([op, r, values]): Site => ({ op, rule: r, values: Float64Array.from(values) })),
    out: undefined as unknown as Tensor,
    nodes: null,
  });
  const sign1 = rule('sign', 'relu has a corner at 0');

  it('sees a sign change at any sample, whatever the samples\' order', () => {
    const base = sample(0, ['relu', sign1, [0.5, 1]]);
    const crossing = [sample(2, ['relu', sign1, [0.25, 1]]), sample(-1, ['relu', sign1, [2, 1]]), sample(1, ['relu', sign1, [-0.5, 1]])];
    expect(straddle(base, crossing)).toBe("relu has a corner at 0 (op 'relu', kink site 1)");
    expect(straddle(base, [sample(-1, ['relu', sign1, [1, 1]]), sample(1, ['relu', sign1, [0.25, 2]])])).toBeNull();
    expect(straddle(base, [])).toBeNull();
  });

  it('does not see two crossings between the same neighbours, but sees one in any element', () => {
    const base = sample(0, ['relu', sign1, [1, 1]]);
    expect(straddle(base, [sample(1, ['relu', sign1, [1, 1]])])).toBeNull();
    expect(straddle(base, [sample(1, ['relu', sign1, [1, -1]])])).toMatch(/kink site 1/);
    // Sorted, the change sits between the last two samples.
    expect(straddle(base, [sample(1, ['relu', sign1, [1, 1]]), sample(2, ['relu', sign1, [1, -1]])])).toMatch(/kink site 1/);
  });

  it('counts touching zero and a NaN as a change of sign', () => {
    const base = sample(0, ['relu', sign1, [1]]);
    expect(straddle(base, [sample(1, ['relu', sign1, [0]])])).not.toBeNull();
    expect(straddle(base, [sample(1, ['relu', sign1, [NaN]])])).not.toBeNull();
    expect(straddle(sample(0, ['relu', sign1, [NaN]]), [sample(1, ['relu', sign1, [NaN]])])).not.toBeNull();
    expect(straddle(sample(0, ['relu', sign1, [0]]), [sample(1, ['relu', sign1, [-0]])])).toBeNull();
    expect(straddle(sample(0, ['relu', sign1, [-3]]), [sample(1, ['relu', sign1, [-1]])])).toBeNull();
    expect(straddle(sample(0, ['relu', sign1, [-3]]), [sample(1, ['relu', sign1, [0]])])).not.toBeNull();
    expect(straddle(sample(0, ['relu', sign1, [-3]]), [sample(1, ['relu', sign1, [-0]])])).not.toBeNull();
  });

  it('numbers the site that straddles', () => {
    const abs1 = rule('sign', '|x| has a corner at 0');
    const base = sample(0, ['relu', sign1, [1]], ['abs', abs1, [1]]);
    expect(straddle(base, [sample(1, ['relu', sign1, [1]], ['abs', abs1, [-1]])])).toBe("|x| has a corner at 0 (op 'abs', kink site 2)");
  });

  it('reports a graph whose kink sites change within the stencil', () => {
    const base = sample(0, ['relu', sign1, [1]]);
    const message = 'the graph changes shape within the stencil';
    expect(straddle(base, [sample(1)])).toBe(message);
    expect(straddle(base, [sample(1, ['abs', sign1, [1]])])).toBe(message);
    expect(straddle(base, [sample(1, ['relu', sign1, [1]], ['relu', sign1, [1]])])).toBe(message);
    // One op of two changed is enough; a graph without kinks never changes shape.
    const two = sample(0, ['relu', sign1, [1]], ['abs', sign1, [1]]);
    expect(straddle(two, [sample(1, ['relu', sign1, [1]], ['relu', sign1, [1]])])).toBe(message);
    expect(straddle(sample(0), [sample(1), sample(-1)])).toBeNull();
  });

  describe('norm 2: within twice the reach of the origin', () => {
    const origin = rule('origin', 'norm(2) has a corner at the zero tensor');
    const at = (offset: number, values: number[]) => sample(offset, ['norm', origin, values]);

    it('compares the nearest distance to the origin with twice the largest move', () => {
      // Moves of ‖(3, 4)‖ = 5 each way, so reach 5; the samples lie 25, 30 and 20 from the origin.
      const base = at(0, [15, 20]);
      expect(straddle(base, [at(1, [18, 24]), at(-1, [12, 16])])).toBeNull();
      // Moves of 10 each way (reach 10); the nearest sample lies 15 from the origin, less than 20.
      const near = at(0, [15, 20]);
      expect(straddle(near, [at(1, [21, 28]), at(-1, [9, 12])])).toBe("norm(2) has a corner at the zero tensor (op 'norm', kink site 1)");
      // Exactly twice the reach is still a straddle: nearest 10 = 2·5.
      expect(straddle(at(0, [9, 12]), [at(1, [12, 16]), at(-1, [6, 8])])).not.toBeNull();
    });

    it('measures distances in the 2-norm, not the largest element', () => {
      // Moves of (1, 1) from (3.2, 0): reach √2, nearest ‖(2.2, −1)‖ = √5.84 = 2.42 < 2√2, a
      // straddle; by the largest element it would be 2.2 > 2·1.
      expect(straddle(at(0, [3.2, 0]), [at(1, [4.2, 1]), at(-1, [2.2, -1])])).not.toBeNull();
      // From (3.5, 0): nearest ‖(2.5, −1)‖ = √7.25 = 2.69 < 2√2 = 2.83, still a straddle; from (4, 0): √10 = 3.16 > 2.83.
      expect(straddle(at(0, [3.5, 0]), [at(1, [4.5, 1]), at(-1, [2.5, -1])])).not.toBeNull();
      expect(straddle(at(0, [4, 0]), [at(1, [5, 1]), at(-1, [3, -1])])).toBeNull();
    });

    it('measures the distance without overflow or underflow, and reads a zero tensor as the kink', () => {
      // Far out: squares overflow unless scaled, ‖(3e200, 4e200)‖ = 5e200 with moves of 5e190.
      expect(straddle(at(0, [3e200, 4e200]), [at(1, [3e200 + 3e190, 4e200 + 4e190])])).toBeNull();
      // Near 0: squares underflow unless scaled; the samples sit 5e-200 away and move by much less.
      expect(straddle(at(0, [3e-200, 4e-200]), [at(1, [3.0001e-200, 4e-200])])).toBeNull();
      expect(straddle(at(0, [0, 0]), [at(1, [0, 0])])).not.toBeNull();
      // A distance that is not finite never counts as far enough.
      expect(straddle(at(0, [Infinity, 1]), [at(1, [Infinity, 1])])).not.toBeNull();
    });
  });

  it('takes an engine sample as it comes from scanGraph', () => {
    const x = fromData([0.5, -0.25], [2], { requiresGrad: true });
    const y = fromData([0.5, 0.25], [2], { requiresGrad: true });
    const s = (offset: number, t: Tensor): Sample => ({ offset, values: t.data, sites: scanGraph(norm(t, 1)).sites, out: t, nodes: null });
    expect(straddle(s(0, x), [s(1, y)])).toBe("norm(1) has a corner wherever an element is 0 (op 'norm', kink site 1)");
    expect(straddle(s(0, x), [s(1, x)])).toBeNull();
    expect(scanGraph(sign(x)).sites[0].rule.what).toBe('sign jumps at 0');
  });
});
