import { describe, expect, it } from 'vitest';
import { Random, tensor } from '../engine/index.ts';
import { Linear, ReLU, Sequential, Tanh, mseLoss } from './index.ts';

describe('Linear and Sequential', () => {
  it("uses PyTorch's layout and names", () => {
    const rng = new Random(1);
    const model = new Sequential(new Linear(5, 3, { rng }), new ReLU(), new Linear(3, 1, { rng }), new Tanh());
    expect([...model.namedParameters()].map(([name, p]) => [name, p.shape])).toEqual([
      ['0.weight', [3, 5]],
      ['0.bias', [3]],
      ['2.weight', [1, 3]],
      ['2.bias', [1]],
    ]);
    expect(model.forward(tensor([[1, 2, 3, 4, 5]])).shape).toEqual([1, 1]);
  });

  it('draws weight and bias from U(−1/√in, 1/√in), reproducibly', () => {
    const make = () => new Linear(16, 64, { rng: new Random(7) });
    const layer = make();
    const bound = 1 / Math.sqrt(16);
    const all = [...layer.weight.data, ...layer.bias!.data];
    expect(all.every((v) => Math.abs(v) <= bound)).toBe(true);
    // The spread of a uniform on (−b, b) has standard deviation b/√3; 1,088 draws estimate it to a few per cent.
    const sd = Math.sqrt(all.reduce((a, v) => a + v * v, 0) / all.length);
    expect(Math.abs(sd - bound / Math.sqrt(3)) / (bound / Math.sqrt(3))).toBeLessThan(0.1);
    expect(Array.from(make().weight.data)).toEqual(Array.from(layer.weight.data));
  });

  it('with rng null leaves its parameters at zero', () => {
    const layer = new Linear(3, 2, { rng: null });
    expect([...layer.weight.data, ...layer.bias!.data]).toEqual(new Array(8).fill(0));
  });

  it('computes x·Wᵀ + b', () => {
    const layer = new Linear(2, 1, { rng: new Random(0) });
    layer.weight.data.set([2, -1]);
    layer.bias!.data.set([0.5]);
    expect(Array.from(layer.forward(tensor([[3, 4], [1, 1]])).data)).toEqual([2 * 3 - 4 + 0.5, 2 - 1 + 0.5]);
  });

  it('rejects a mis-shaped input and bad sizes clearly', () => {
    const layer = new Linear(2, 1, { rng: new Random(0) });
    expect(() => layer.forward(tensor([[1, 2, 3]]))).toThrow(/input must have shape \[batch, 2\], got \[1, 3\]/);
    expect(() => new Linear(0, 1, { rng: new Random(0) })).toThrow(/inFeatures must be a positive integer/);
  });
});

describe('mseLoss', () => {
  it("'mean' divides by every element and 'sum' does not", () => {
    const p = tensor([[1, 2], [3, 4]]);
    const t = tensor([[0, 0], [0, 0]]);
    expect(mseLoss(p, t, 'sum').item()).toBe(30);
    expect(mseLoss(p, t).item()).toBe(7.5);
  });
  it('rejects mismatched shapes and unknown reductions', () => {
    expect(() => mseLoss(tensor([1, 2]), tensor([1]))).toThrow(/must have the same shape/);
    expect(() => mseLoss(tensor([1]), tensor([1]), 'max' as 'sum')).toThrow(/reduction must be/);
  });
});
