import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Linear } from '../nn/index.ts';
import { fromData } from './create.ts';
import { linear } from './linear.ts';
import * as ops from './ops.ts';
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

const values = (n: number) => fc.array(value, { minLength: n, maxLength: n });

interface Run {
  y: Tensor;
  grads: (Tensor | null)[];
}

/** Forward and backward through `f`, with `extra` using the weight once more (as a penalty does). */
function run(f: (x: Tensor, w: Tensor, b: Tensor | null) => Tensor, data: { x: number[]; w: number[]; b: number[] | null; g: number[] }, [m, k, n]: readonly number[], extra: boolean): Run {
  const x = fromData(data.x, [m, k], { requiresGrad: true });
  const w = fromData(data.w, [n, k], { requiresGrad: true });
  const b = data.b === null ? null : fromData(data.b, [n], { requiresGrad: true });
  const y = f(x, w, b);
  const out = ops.sum(ops.mul(y, fromData(data.g, [m, n])));
  (extra ? ops.add(out, ops.sum(ops.mul(w, w))) : out).backward();
  return { y, grads: [x.grad, w.grad, b === null ? null : b.grad] };
}

const composed = (x: Tensor, w: Tensor, b: Tensor | null): Tensor => {
  const y = ops.matmul(x, ops.transpose(w));
  return b === null ? y : ops.add(y, b);
};

describe('linear', () => {
  it('gives matmul(x, transpose(W)) + b and its gradients bit for bit, on both matmul kernels', () => {
    // Sizes up to 12 reach m·k·n ≥ 512, where the SIMD kernel runs.
    const dims = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }));
    const cases = dims.chain(([m, k, n]) =>
      fc.record({
        dims: fc.constant([m, k, n]),
        data: fc.record({ x: values(m * k), w: values(n * k), b: fc.option(values(n), { nil: null }), g: values(m * n) }),
        extra: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(cases, ({ dims: d, data, extra }) => {
        const fused = run(linear, data, d, extra);
        const plain = run(composed, data, d, extra);
        expect(bits(fused.y)).toEqual(bits(plain.y));
        fused.grads.forEach((g, i) => expect(bits(g)).toEqual(bits(plain.grads[i])));
      }),
      { numRuns: 300, seed: 11 },
    );
  });
  it('is one graph node over the layer’s leaves (counted), where the composed ops make three', () => {
    const layer = new Linear(3, 2, { rng: null });
    const y = layer.forward(fromData([1, 2, 3], [1, 3]));
    expect(y.node!.op.name).toBe('linear');
    expect(y.node!.inputs.map((t) => t.isLeaf)).toEqual([true, true, true]);
  });
  it('names shapes that do not fit', () => {
    const x = fromData([1, 2, 3], [1, 3]);
    const w = fromData([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => linear(x, fromData([1, 2], [1, 2]), null)).toThrow('linear: input [1, 3], weight [1, 2] and no bias do not fit [batch, in], [out, in], [out]');
    expect(() => linear(x, w, fromData([1, 2, 3], [3]))).toThrow('linear: input [1, 3], weight [2, 3] and bias [3] do not fit');
    expect(() => linear(x, w, fromData([1, 2], [1, 2]))).toThrow('bias [1, 2]');
    expect(() => linear(fromData([1, 2, 3], [3]), w, null)).toThrow('input [3]');
    expect(() => linear(x, fromData([1, 2, 3], [3]), null)).toThrow('weight [3]');
    // Ranks other than 2, 2 and 1 whose leading dimensions would fit.
    expect(() => linear(fromData([1, 2, 3], [1, 3, 1]), w, null)).toThrow('input [1, 3, 1]');
    expect(() => linear(x, fromData([1, 2, 3, 4, 5, 6], [2, 3, 1]), null)).toThrow('weight [2, 3, 1]');
    expect(() => linear(x, w, fromData([1, 2], [2, 1]))).toThrow('bias [2, 1]');
  });
  it('saves its inputs: a second backward through a released graph names the op', () => {
    const w = fromData([1, 2, 3, 4, 5, 6], [2, 3], { requiresGrad: true });
    const y = ops.sum(linear(fromData([1, 2, 3], [1, 3]), w, null));
    y.backward();
    expect(() => y.backward()).toThrow(GraphReleasedError);
    expect(() => y.backward()).toThrow("backward() reached op 'linear' a second time");
  });
});
