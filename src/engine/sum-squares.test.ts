import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromData } from './create.ts';
import * as ops from './ops.ts';
import { sumOfSquares } from './sum-squares.ts';
import { GraphReleasedError, type Tensor } from './tensor.ts';

const bits = (t: Tensor | null): string[] => (t === null ? ['none'] : Array.from(t.data, (v) => (Object.is(v, -0) ? '-0' : String(v))));

/**
 * Values with the awkward ones in: signed zeros, a denormal, huge and tiny magnitudes, infinities
 * and NaN, among full-precision doubles (sin of an integer), whose sums round differently in another order.
 */
const value = fc.oneof(
  { weight: 6, arbitrary: fc.integer().map((k) => 3 * Math.sin(k)) },
  { weight: 2, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 5e-324, 1e200, -1e-200, 1.5e308, Infinity, NaN) },
);

/** The chain the L2 penalty used to build: sum(pow(w, 2)) per tensor, added left to right. */
const chain = (ts: readonly Tensor[]): Tensor => ts.map((t) => ops.sum(ops.pow(t, 2))).reduce((acc, s) => ops.add(acc, s));

/** λ·0.5·f(params) − or + a data term that uses the first tensor again, backward from there. */
function run(f: (ts: readonly Tensor[]) => Tensor, lists: number[][], grad: readonly boolean[], lambda: number, sign: 1 | -1) {
  const ts = lists.map((l, i) => fromData(l, [l.length], { requiresGrad: grad[i] }));
  const penalty = ops.mul(lambda, ops.mul(0.5, f(ts)));
  const data = ops.sum(ops.mul(ts[0], 3));
  const total = sign === 1 ? ops.add(data, penalty) : ops.sub(data, penalty);
  if (total.requiresGrad) total.backward();
  return { value: bits(penalty), grads: ts.map((t) => bits(t.grad)) };
}

describe('sumOfSquares', () => {
  it('gives the values and gradients of sum(pow(w, 2)) added over the tensors, bit for bit', () => {
    const cases = fc.record({
      lists: fc.array(fc.array(value, { maxLength: 7 }), { minLength: 1, maxLength: 5 }),
      grad: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      lambda: fc.oneof(fc.double({ min: 0, max: 3, noNaN: true }), fc.constant(1e-310)),
      sign: fc.constantFrom(1 as const, -1 as const),
    });
    fc.assert(
      fc.property(cases, ({ lists, grad, lambda, sign }) => {
        expect(run(sumOfSquares, lists, grad, lambda, sign)).toEqual(run(chain, lists, grad, lambda, sign));
      }),
      { numRuns: 500, seed: 5 },
    );
  });
  it('is one graph node over its tensors (counted), where the chain makes three per tensor', () => {
    const ts = [fromData([1, 2], [2], { requiresGrad: true }), fromData([3], [1], { requiresGrad: true })];
    const s = sumOfSquares(ts);
    expect(s.node!.op.name).toBe('sumOfSquares');
    expect(s.node!.inputs).toEqual(ts);
    expect(s.item()).toBe(14);
  });
  it('saves its inputs: a second backward through a released graph names the op', () => {
    const s = sumOfSquares([fromData([1, 2], [2], { requiresGrad: true })]);
    s.backward();
    expect(() => s.backward()).toThrow(GraphReleasedError);
    expect(() => s.backward()).toThrow("backward() reached op 'sumOfSquares' a second time");
  });
  it('needs at least one tensor', () => {
    expect(() => sumOfSquares([])).toThrow('sumOfSquares: no tensors');
  });
});
