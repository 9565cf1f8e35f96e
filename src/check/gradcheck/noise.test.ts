import { describe, expect, it } from 'vitest';
import { OPS, fromData, type Tensor } from '../../engine/index.ts';
import { graphNodes } from './graph.ts';
import { forwardSensitivity, roundingScale, stencilScale } from './noise.ts';
import type { Sample } from './stencils.ts';

const U = 2 ** -53;
const leaf = (values: number[], requiresGrad = true): Tensor => fromData(values, [values.length], { requiresGrad });
const scalar = (v: number, requiresGrad = true): Tensor => fromData([v], [], { requiresGrad });
const ONE = new Float64Array([1]);
const sampleOf = (out: Tensor): Sample => ({ offset: 0, values: out.data, sites: [], out, nodes: null });

describe('roundingScale', () => {
  it('sums |v|·|∂out/∂v| and |∂out/∂v| over the leaves and the output', () => {
    // a·b at (3, 5): the adjoints are 5, 3 and 1, so Σ|v|·|adj| = 15 + 15 + 15 and Σ|adj| = 9;
    // the leaves' adjoints come from the unmoved leaves, so the error ball changes nothing.
    expect(roundingScale(scalar(3).mul(scalar(5)), ONE, 'float64')).toEqual({ relative: 45, absolute: 9, underflow: 0, singular: null });
    expect(roundingScale(scalar(3).mul(scalar(5)), new Float64Array([-2]), 'float32')).toEqual({ relative: 90, absolute: 18, underflow: 0, singular: null });
  });

  it('skips a constant, which backward does not reach', () => {
    // a·c with c constant: 15·1 + 3·5.
    expect(roundingScale(scalar(3).mul(scalar(5, false)), ONE, 'float64')).toMatchObject({ relative: 30, absolute: 6 });
  });

  it('adds the adjoints of a value used twice, and leaves the seed as it was', () => {
    const a = scalar(3);
    const seed = new Float64Array([1]);
    // a + a: adjoint 2 for a; 6·1 + 3·2 = 12, 1 + 2 = 3. a·a: adjoint 6; 9 + 18 = 27, 1 + 6 = 7.
    expect(roundingScale(a.add(a), seed, 'float64')).toMatchObject({ relative: 12, absolute: 3 });
    expect(roundingScale(a.mul(a), seed, 'float64')).toMatchObject({ relative: 27, absolute: 7 });
    expect([...seed]).toEqual([1]);
  });

  it('takes the adjoints at the upper corner of the error ball where a rounding wiped a value out', () => {
    // relu(log(exp(a))) at a = 5e-50: exp(a) rounds to 1, so log gives 0 and relu'(0) = 0 cuts
    // every adjoint at the computed point. At the upper corner relu's value is its radius > 0, so
    // the adjoints are 1 (log's value), 1/(1 + r) (exp's, r = 2u) and ≈ 1 (a's):
    // Σ|v|·|adj| ≈ 1·1/(1 + 2u), Σ|adj| ≈ 1 + 1 + 1 + 1.
    const s = roundingScale(scalar(5e-50).exp().log().relu(), ONE, 'float64');
    expect(Math.abs(s.relative - 1)).toBeLessThanOrEqual(8 * U);
    expect(Math.abs(s.absolute - 4)).toBeLessThanOrEqual(16 * U);
    expect(s.singular).toBeNull();
  });

  it('gives an exact zero a radius of two subnormal spacings, enough to open relu', () => {
    // relu(a·b) at a = 0, b = 3: a·b = 0 has radius 2·(u·0 + η) = 2η > 0, and so has relu's value,
    // so at the upper corner the adjoints are 1 (relu's value), 1 (a·b) and 3 (a), 0 at the others.
    expect(roundingScale(scalar(0).mul(scalar(3)).relu(), ONE, 'float64')).toEqual({ relative: 0, absolute: 5, underflow: 0, singular: null });
    expect(roundingScale(scalar(0).mul(scalar(3)).relu(), ONE, 'float32')).toEqual({ relative: 0, absolute: 5, underflow: 0, singular: null });
  });

  it('adds the subnormal spacing to a radius, which keeps it open where an inherited one would cancel it', () => {
    // |a·1 − c| at a = c = 2^-1020: a·1 has radius 2·(u·2^-1020 + η) = 2^-1072 + 2^-1073 and the
    // difference, computed as exactly 0, 2η plus that: 2^-1071. At either corner abs reads ±2^-1071
    // and passes back ±1, where it passes back sgn(0) = 0 at the computed point: the adjoints are 1
    // for the output, the difference, a·1 and a, and |v|·1 adds up to 2^-1020 for a·1 and for a.
    // With u·|v| − η instead, a·1's radius would be 2·(2^-1073 − 2^-1074) = 2η and the difference's
    // −2η + 2η = 0: abs would read 0 at both corners, and only the output would count.
    const a = scalar(2 ** -1020);
    const out = a.mul(scalar(1, false)).sub(scalar(2 ** -1020, false)).abs();
    expect(roundingScale(out, ONE, 'float64')).toEqual({ relative: 2 ** -1019, absolute: 4, underflow: 0, singular: null });
  });

  it('takes the adjoints at the lower corner where they are largest there, per dtype', () => {
    // 1/d with d = log(exp(a)) + 1e-15, a = 5e-50: d's radius is about 2u (log's value inherits
    // exp's two roundings of 1), so at the lower corner d is 1e-15 − 2u and its adjoint
    // 1/(1e-15 − 2u)² ≈ 3.2e30, three times its 1e30 at the computed point; exp's value (1)
    // carries that adjoint into the relative sum.
    const a = scalar(5e-50);
    const out = scalar(1).div(a.exp().log().add(scalar(1e-15, false)));
    const lower = 1 / (1e-15 - 2 * U) ** 2;
    const s64 = roundingScale(out, ONE, 'float64').relative;
    expect(s64).toBeGreaterThanOrEqual(lower * (1 - 1e-6));
    expect(s64).toBeLessThanOrEqual(lower * 1.001);
    // In float32 the radius (~2^-23) dwarfs 1e-15: both corners' adjoints are ~1e14, below the
    // computed point's 1e30.
    const s32 = roundingScale(out, ONE, 'float32').relative;
    expect(s32).toBeGreaterThanOrEqual(1e30);
    expect(s32).toBeLessThanOrEqual(1.001e30);
  });

  it('skips an op that backward does not reach, and copies an adjoint passed through as it is', () => {
    // 3·exp(c) with c constant: exp's value gets no adjoint; 3·1 (out) + 3·1 (a).
    expect(roundingScale(scalar(3).mul(scalar(0, false).exp()), ONE, 'float64')).toMatchObject({ relative: 6, absolute: 2 });
    // reshape(a) + a·b at a = 2, b = 5: reshape passes its adjoint array back as it is, and a's
    // adjoint 1 + 5 must not be added into it: 12·1 + 2·1 (reshape) + 10·1 (a·b) + 2·6 + 5·2.
    const a = scalar(2);
    for (const out of [a.reshape([1]).add(a.mul(scalar(5))), a.mul(scalar(5)).add(a.reshape([1]))]) {
      expect(roundingScale(out, ONE, 'float64')).toMatchObject({ relative: 46, absolute: 1 + 1 + 1 + 6 + 2 });
    }
  });

  it('ignores an adjoint that is infinite only at a corner', () => {
    // 1/d with d = log(exp(a)) ± c, a = 5e-50, c = 2^-52 + 2^-104: d's radius is 2·u·c (rounded
    // away) plus 2^-52 from exp's value, exactly c, so one corner puts d at 0, where the adjoint
    // 1/d² is infinite. The computed point's 1/c² stands.
    for (const sign of [1, -1]) {
      const c = sign * (2 ** -52 + 2 ** -104);
      const s = roundingScale(scalar(1).div(scalar(5e-50).exp().log().add(scalar(c, false))), ONE, 'float64');
      expect(s.singular).toBeNull();
      expect(s.relative).toBeGreaterThanOrEqual(1 / (c * c));
      expect(s.relative).toBeLessThan(2 / (c * c));
    }
  });

  it('names a computed value whose adjoint is infinite; a leaf\'s adds nothing', () => {
    // sqrt(log(exp(a))) at a = 5e-50: sqrt'(0) = ∞ reaches log's and exp's values, exp's first.
    const s = roundingScale(scalar(5e-50).exp().log().sqrt(), ONE, 'float64');
    expect(s.singular).toBe("the output's derivative with respect to a computed value of op 'exp' is not finite (a pole, or an overflow in backward), so its rounding noise has no bound");
    // sqrt(a) at a = 0: only the leaf's adjoint is infinite, and a leaf is exact.
    expect(roundingScale(scalar(0).sqrt(), ONE, 'float64')).toEqual({ relative: 0, absolute: 1, underflow: 0, singular: null });
  });

  it('skips values that are not finite', () => {
    // exp(1000) = ∞: neither its value nor a's infinite adjoint counts.
    expect(roundingScale(scalar(1000).exp(), ONE, 'float64')).toEqual({ relative: 0, absolute: 0, underflow: 0, singular: null });
  });

  it('counts |∂out/∂norm|·√k for each norm(2) of k elements, none for norm(1)', () => {
    // ‖(3, 4)‖ = 5 with adjoints (0.6, 0.8): 5 + 1.8 + 3.2 = 10, to the error ball's O(u).
    const s = roundingScale(leaf([3, 4]).norm(2), ONE, 'float64');
    expect(s.underflow).toBe(Math.SQRT2);
    expect(s.relative).toBeCloseTo(10, 12);
    expect(s.absolute).toBeCloseTo(2.4, 12);
    expect(roundingScale(leaf([3, 4]).norm(2).mul(scalar(5, false)), ONE, 'float64').underflow).toBe(5 * Math.SQRT2);
    expect(roundingScale(leaf([3, 4]).norm(1), ONE, 'float64').underflow).toBe(0);
  });

  it('builds the error ball of an output once, and keeps the last four', () => {
    const outs = [1, 2, 3, 4, 5].map((v) => scalar(v / 10).exp().exp());
    // Backward calls of exp, the op both nodes hold.
    const calls = (out: Tensor, dtype: 'float64' | 'float32' = 'float64'): number => {
      const op = out.node!.op;
      let n = 0;
      const original = op.backward;
      op.backward = (g, ctx) => {
        n++;
        return original(g, ctx);
      };
      try {
        roundingScale(out, ONE, dtype);
      } finally {
        op.backward = original;
      }
      return n;
    };
    // A new ball: the outer exp's radius rule (one backward; the inner one's operand is an exact
    // leaf) and three adjoint passes over two nodes; a cached ball: the passes only.
    expect(outs.map((o) => calls(o))).toEqual([7, 7, 7, 7, 7]);
    expect(calls(outs[4])).toBe(6);
    expect(calls(outs[1])).toBe(6);
    expect(calls(outs[1], 'float32')).toBe(7);
    expect(calls(outs[0])).toBe(7);
  });
});

describe('roundingScale, counted work', () => {
  /** Backward calls per op name during one roundingScale of `out` whose error ball is already built. */
  function callsPerSeed(out: Tensor, seed: Float64Array): Record<string, number> {
    roundingScale(out, seed, 'float64');
    const ops = new Set(graphNodes(out).map((t) => t.node!.op));
    const calls: Record<string, number> = {};
    const originals = [...ops].map((op) => [op, op.backward] as const);
    for (const [op, original] of originals) {
      op.backward = (g, ctx) => {
        calls[op.name] = (calls[op.name] ?? 0) + 1;
        return original(g, ctx);
      };
    }
    try {
      roundingScale(out, seed, 'float64');
    } finally {
      for (const [op, original] of originals) op.backward = original;
    }
    return calls;
  }

  it('relies on the engine: a rule that does not save tensors gives the same bits whatever the values', () => {
    // The corners reuse such a rule's result; here every one of the OPS table is called with its
    // operands' and result's values replaced by NaN, on broadcasting and reducing shapes.
    const m = fromData([1.5, -2, 0, 3e-310], [2, 2], { requiresGrad: true });
    const row = leaf([-0.25, 7]);
    const results = [m.neg(), m.sign(), m.add(row), row.sub(m), m.sub(scalar(2)), m.sum(0), m.sum(), m.mean(1), m.mean(), m.reshape([4]), m.transpose()];
    const free = Object.values(OPS).filter((op) => !op.savesTensors);
    expect(new Set(results.map((t) => t.node!.op))).toEqual(new Set(free));
    const nan = (t: Tensor): Tensor => fromData(new Float64Array(t.size).fill(NaN), t.shape);
    for (const t of results) {
      const { op, inputs, attrs } = t.node!;
      const g = Float64Array.from({ length: t.size }, (_, k) => k - 1.25);
      const needsGrad = inputs.map(() => true);
      const real = op.backward(g, { inputs, output: t, attrs, needsGrad });
      const blind = op.backward(g, { inputs: inputs.map(nan), output: nan(t), attrs, needsGrad });
      expect(blind).toEqual(real);
    }
  });

  it('calls a rule at the corners only where the adjoint or the values it reads can differ there', () => {
    // −Σ(exp(x)·w): neg and sum read no values and feed only the seed's way, so their adjoints and
    // results are the computed ones at the corners; mul's adjoint is too, but it reads exp's
    // moved value; exp's adjoint comes from mul at the corners. One pass plus two corners of two.
    const x = leaf([0.5, -1]);
    const out = x.exp().mul(leaf([2, 3])).sum().neg();
    expect(callsPerSeed(out, ONE)).toEqual({ neg: 1, sum: 1, mul: 3, exp: 3 });
    // Rules that read no values all the way down: the corners cost no call at all.
    expect(callsPerSeed(x.add(leaf([1, 2])).neg().sub(x).sum(), ONE)).toEqual({ sum: 1, sub: 1, neg: 1, add: 1 });
  });
});

describe('stencilScale', () => {
  it('takes the largest of each sum over x and both ends, and the first singular value', () => {
    const at = { relative: 20, absolute: 1, underflow: 0, singular: 'at x' };
    const ends: [Sample, Sample] = [sampleOf(scalar(3).mul(scalar(5))), sampleOf(leaf([3, 4]).norm(2))];
    const s = stencilScale(at, ends, ONE, 'float64');
    expect(s).toEqual({ relative: 45, absolute: 9, underflow: Math.SQRT2, singular: 'at x' });
    const singularEnd = sampleOf(scalar(5e-50).exp().log().sqrt());
    expect(stencilScale({ ...at, singular: null }, [ends[0], singularEnd], ONE, 'float64').singular).toMatch(/op 'exp' is not finite/);
    expect(stencilScale({ ...at, singular: null }, ends, ONE, 'float64').singular).toBeNull();
  });
});

describe('forwardSensitivity', () => {
  it('sums over every computed value the largest |change| over the sides, divided by h', () => {
    // x² at (1, 2), sides x ± 1/2: changes (1.25, 2.25) up and (0.75, 1.75) down; (1.25 + 2.25)/0.5.
    const f = (x: number[]): Tensor => leaf(x).square();
    expect(forwardSensitivity(sampleOf(f([1, 2])), [sampleOf(f([1.5, 2.5])), sampleOf(f([0.5, 1.5]))], 0.5)).toBe(7);
    // −x² has two computed values that move alike.
    const g = (x: number[]): Tensor => leaf(x).square().neg();
    expect(forwardSensitivity(sampleOf(g([1, 2])), [sampleOf(g([0.5, 1.5])), sampleOf(g([1.5, 2.5]))], 0.5)).toBe(14);
  });

  it('skips a change that is not finite, and counts 0 when the graph changes', () => {
    // exp at (0, 700) and (0.5, 710): exp(710) overflows, so only the first element counts.
    const f = (x: number[]): Tensor => leaf(x).exp();
    expect(forwardSensitivity(sampleOf(f([0, 700])), [sampleOf(f([0.5, 710]))], 0.5)).toBe((Math.exp(0.5) - 1) / 0.5);
    expect(forwardSensitivity(sampleOf(f([0, 1])), [sampleOf(f([1, 2]).neg())], 0.5)).toBe(0);
    expect(forwardSensitivity(sampleOf(f([0, 1])), [sampleOf(f([1, 2])), sampleOf(f([1, 2]).neg())], 0.5)).toBe(0);
  });
});
