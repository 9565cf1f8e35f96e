import { describe, expect, it } from 'vitest';
import { OPS, Random, fromData, type Tensor } from '../../engine/index.ts';
import { RADIUS_RULES, byRows, radiusRule } from './radii.ts';

const rng = new Random(11);
const leaf = (shape: number[], values?: number[]): Tensor =>
  fromData(values ?? Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rng.uniform(-2, 2)), shape, { requiresGrad: true });
const positive = (shape: number[]): Tensor => fromData(leaf(shape).data.map((v) => Math.abs(v) + 0.5), shape, { requiresGrad: true });

/** Each op of the table on operands of several shapes, broadcasting included. */
const CASES: [string, () => Tensor][] = [
  ['neg', () => leaf([2, 3]).neg()],
  ['exp', () => leaf([2, 3]).exp()],
  ['log', () => positive([4]).log()],
  ['sqrt', () => positive([4]).sqrt()],
  ['abs', () => leaf([4]).abs()],
  ['sign', () => leaf([4]).sign()],
  ['relu', () => leaf([4]).relu()],
  ['tanh', () => leaf([2, 2]).tanh()],
  ['square', () => leaf([3]).square()],
  ['pow 3', () => leaf([3]).pow(3)],
  ['pow -1.5', () => positive([3]).pow(-1.5)],
  ['add [2,3] + [3]', () => leaf([2, 3]).add(leaf([3]))],
  ['sub [] − [2,3]', () => leaf([]).sub(leaf([2, 3]))],
  ['mul [2,1] · [1,3]', () => leaf([2, 1]).mul(leaf([1, 3]))],
  ['div [2,3] / [2,3]', () => leaf([2, 3]).div(positive([2, 3]))],
  ['div [3] / [2,3]', () => leaf([3]).div(positive([2, 3]))],
  ['matmul', () => leaf([2, 3]).matmul(leaf([3, 4]))],
  ['sum', () => leaf([2, 3]).sum()],
  ['sum axis 0', () => leaf([2, 3]).sum(0)],
  ['mean axis 1', () => leaf([2, 3]).mean(1)],
  ['reshape', () => leaf([2, 3]).reshape([3, 2])],
  ['transpose', () => leaf([2, 3]).transpose()],
  ['norm 1', () => leaf([2, 3]).norm(1)],
  ['norm 2', () => leaf([2, 3]).norm(2)],
];

/** Radii for the operands: positive, with some exact zeros. */
const radiiFor = (t: Tensor) => t.node!.inputs.map((x) => (x.requiresGrad ? Float64Array.from(x.data, (_, k) => (k % 3 === 1 ? 0 : rng.uniform(0, 1e-15))) : null));

describe('error radii op by op', () => {
  it('has a rule for every op of the engine', () => {
    expect(Object.keys(RADIUS_RULES).sort()).toEqual(Object.keys(OPS).sort());
  });

  it.each(CASES)('%s: |J|·r equals the row-by-row sum over the rows of J', (_name, build) => {
    const t = build();
    const radii = radiiFor(t);
    const fast = new Float64Array(t.size).fill(1e-20);
    const exact = new Float64Array(t.size).fill(1e-20);
    radiusRule(t.node!.op.name)(t, radii, fast);
    byRows(t, radii, exact);
    fast.forEach((r, e) => expect(Math.abs(r - exact[e])).toBeLessThanOrEqual(1e-14 * exact[e]));
    expect(fast.some((r, e) => r > 1e-20 && exact[e] > 1e-20)).toBe(t.node!.op.name !== 'sign');
  });

  it('adds nothing from a zero radius, even where the derivative is infinite', () => {
    const t = leaf([2], [0, 1]).sqrt();
    const into = new Float64Array(2);
    radiusRule('sqrt')(t, [new Float64Array([0, 1e-16])], into);
    expect(into[0]).toBe(0);
    expect(into[1]).toBeCloseTo(0.5e-16, 30);
  });

  it('goes row by row for ops outside the table', () => {
    expect(radiusRule('custom')).toBe(byRows);
    expect(radiusRule('constructor')).toBe(byRows);
  });
});

describe('error radii with exact operands (null radius)', () => {
  const f64 = (values: number[]) => new Float64Array(values);
  const run = (t: Tensor, radii: (Float64Array | null)[], rule = radiusRule(t.node!.op.name)): number[] => {
    const into = new Float64Array(t.size);
    rule(t, radii, into);
    return [...into];
  };

  it('elementwise and row by row: only the operands with a radius reach the result', () => {
    // a·b at a = (1, 2), b = (3, −4): |∂/∂a| = |b|, |∂/∂b| = |a|.
    const t = leaf([2], [1, 2]).mul(leaf([2], [3, -4]));
    for (const rule of [radiusRule('mul'), byRows]) {
      expect(run(t, [f64([1, 2]), null], rule)).toEqual([3, 8]);
      expect(run(t, [null, f64([1, 2])], rule)).toEqual([1, 4]);
      expect(run(t, [null, null], rule)).toEqual([0, 0]);
    }
  });

  it('sums and matmul: nothing from an exact operand', () => {
    expect(run(leaf([2, 3]).sum(0), [null])).toEqual([0, 0, 0]);
    // [1, −2]·[3; 4]: r_A·|B| = 1·3 + 1·4, |A|·r_B = 1·1 + 2·2.
    const t = leaf([1, 2], [1, -2]).matmul(leaf([2, 1], [3, 4]));
    expect(run(t, [f64([1, 1]), null])).toEqual([7]);
    expect(run(t, [null, f64([1, 2])])).toEqual([5]);
    expect(run(t, [null, null])).toEqual([0]);
  });

  it('row by row adds nothing from a zero radius where the row is infinite', () => {
    const t = leaf([2], [0, 1]).sqrt();
    expect(run(t, [f64([0, 4])], byRows)).toEqual([0, 2]);
  });
});
