import { describe, expect, it } from 'vitest';
import { tensor } from '../engine/index.ts';
import { RMSprop } from './index.ts';

const param = (values: number[], grad?: number[]) => {
  const p = tensor(values, { requiresGrad: true });
  if (grad) p.grad = tensor(grad);
  return p;
};

describe('RMSprop', () => {
  // p = 1, g = 2, lr 0.1, alpha 0.75, eps 0: s = 0.25·4 = 1, so the step is lr·g/√s = 0.2.
  it('divides by the root of the square average', () => {
    const p = param([1], [2]);
    new RMSprop([p], { lr: 0.1, alpha: 0.75, eps: 0 }).step();
    expect(p.data[0]).toBeCloseTo(0.8, 15);
  });

  it('subtracts the squared mean when centered', () => {
    // a = 0.25·2 = 0.5, s − a² = 0.75: the step is 0.2/√0.75.
    const p = param([1], [2]);
    new RMSprop([p], { lr: 0.1, alpha: 0.75, eps: 0, centered: true }).step();
    expect(p.data[0]).toBeCloseTo(1 - 0.2 / Math.sqrt(0.75), 15);
  });

  it('accumulates g/avg in the momentum buffer', () => {
    // Step 1: b = 2, p = 0.8. Step 2 (g = 2): s = 0.75 + 1 = 1.75, b = 0.5·2 + 2/√1.75, p = 0.8 − 0.1·b.
    const p = param([1], [2]);
    const opt = new RMSprop([p], { lr: 0.1, alpha: 0.75, eps: 0, momentum: 0.5 });
    opt.step();
    expect(p.data[0]).toBeCloseTo(0.8, 15);
    opt.step();
    expect(p.data[0]).toBeCloseTo(0.8 - 0.1 * (1 + 2 / Math.sqrt(1.75)), 15);
  });

  it('couples weight decay into the gradient and negates first under maximize', () => {
    // g = 0, λ = 2, p = 1: the gradient seen is 2, as in the first example. Maximize: −2 + 2 = 0.
    const a = param([1], [0]);
    new RMSprop([a], { lr: 0.1, alpha: 0.75, eps: 0, weightDecay: 2 }).step();
    expect(a.data[0]).toBeCloseTo(0.8, 15);
    const b = param([1], [2]);
    new RMSprop([b], { lr: 0.1, alpha: 0.75, eps: 1e-8, weightDecay: 2, maximize: true }).step();
    expect(b.data[0]).toBe(1);
  });

  it("exposes its buffers under PyTorch's names: momentum_buffer with momentum, grad_avg when centered", () => {
    // p = 1, g = 2, α 0.75, eps 0: s = 1; centered a = 0.5; with momentum b = g/avg = 2 (avg = 1).
    const f = (x: number) => new Float64Array([x]);
    const [a, b, c] = [param([1], [2]), param([1], [2]), param([1], [2])];
    const plain = new RMSprop([a], { alpha: 0.75, eps: 0 });
    const heavy = new RMSprop([b], { alpha: 0.75, eps: 0, momentum: 0.5 });
    const centered = new RMSprop([c], { alpha: 0.75, eps: 0, centered: true });
    expect(plain.pytorchState(a)).toStrictEqual({});
    for (const opt of [plain, heavy, centered]) opt.step();
    expect(plain.pytorchState(a)).toStrictEqual({ square_avg: f(1) });
    expect(heavy.pytorchState(b)).toStrictEqual({ square_avg: f(1), momentum_buffer: f(2) });
    expect(centered.pytorchState(c)).toStrictEqual({ square_avg: f(1), grad_avg: f(0.5) });
  });

  it('leaves an infinite parameter infinite without weight decay (0·∞ would be NaN)', () => {
    const p = param([Infinity, -Infinity], [1, 1]);
    new RMSprop([p], { lr: 0.1 }).step();
    expect([...p.data]).toEqual([Infinity, -Infinity]);
  });

  it.each([
    [{ alpha: -0.1 }, /RMSprop: invalid alpha -0.1/],
    [{ momentum: -1 }, /invalid momentum -1/],
    [{ eps: NaN }, /invalid eps NaN/],
    [{ centered: 'no' as unknown as boolean }, /centered must be true or false/],
  ])('rejects %o', (options, message) => {
    expect(() => new RMSprop([param([1])], options)).toThrow(message);
  });
});
