import { describe, expect, it } from 'vitest';
import { opCases } from './oracle.ts';

// What the signs of opCases' samples must cover, read off each op's definition. (oracle-exact.test.ts
// checks that every op is there, with its domain, its kinks and the tails of exp and tanh.)
const cases = opCases();
type Case = (typeof cases)[number];
const attrsOf = (c: Case) => (c.graph as { attrs?: Record<string, number> }).attrs ?? {};
const hasBothSigns = (xs: number[]) => xs.some((x) => x < 0) && xs.some((x) => x > 0);

describe('the signs of opCases\' samples', () => {
  it('give pow with an odd exponent bases in each interval that −1, 0 and 1 bound', () => {
    // For odd n, xⁿ has the sign of x, and |xⁿ| = |x| exactly at |x| = 1: x³ is smaller than x in
    // magnitude inside (−1, 1) and larger outside, 1/x the other way round (with its pole at 0).
    // Each of the four intervals is a different regime of the value and of the derivative n·xⁿ⁻¹.
    const odd = cases.filter((c) => c.op === 'pow' && Math.abs(attrsOf(c).exponent % 2) === 1);
    expect(odd.map((c) => attrsOf(c).exponent)).toEqual([3, -1]);
    const intervals = [[-Infinity, -1], [-1, 0], [0, 1], [1, Infinity]];
    for (const c of odd) {
      const xs = c.inputs.x.data;
      const covered = intervals.map(([lo, hi]) => xs.some((x) => lo < x && x < hi));
      expect(covered, `x^${attrsOf(c).exponent} on ${xs.join(', ')}`).toEqual([true, true, true, true]);
    }
  });

  it('give mean rows whose sums cancel: each row it averages holds both signs', () => {
    // mean along axis 1 of an r×c matrix averages each row. A row of one sign sums with condition
    // number 1; one of both signs cancels (Σ|x| > |Σx|), where a sum's rounding error is largest
    // relative to its result, and that is where the oracle's bound is tested.
    const means = cases.filter((c) => c.op === 'mean');
    expect(means.map((c) => [attrsOf(c).axis, c.inputs.x.shape.length])).toEqual([[1, 2]]);
    for (const c of means) {
      const { data, shape: [rows, cols] } = c.inputs.x;
      const row = (i: number) => data.slice(i * cols, (i + 1) * cols);
      const mixed = Array.from({ length: rows }, (_, i) => hasBothSigns(row(i)));
      expect(mixed, data.join(', ')).toEqual(new Array(rows).fill(true));
    }
  });

  it('give each operand of mul and matmul both signs', () => {
    // A product's partials with respect to one operand are the other operand's values:
    // ∂(x·y)/∂x = y and ∂(x·y)/∂y = x; for matmul, ∂(XY)ᵢⱼ/∂Xᵢₚ = Yₚⱼ and ∂(XY)ᵢⱼ/∂Yₚⱼ = Xᵢₚ. So the
    // derivatives with respect to one operand take both signs only if the other operand does.
    for (const op of ['mul', 'matmul']) {
      const ofOp = cases.filter((c) => c.op === op);
      expect(ofOp.every((c) => Object.keys(c.inputs).sort().join() === 'x,y'), op).toBe(true);
      for (const name of ['x', 'y']) {
        const values = ofOp.flatMap((c) => c.inputs[name].data);
        expect(hasBothSigns(values), `${op}'s ${name}: ${values.join(', ')}`).toBe(true);
      }
    }
  });
});
