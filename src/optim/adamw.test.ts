import { describe, expect, it } from 'vitest';
import { tensor } from '../engine/index.ts';
import { AdamW } from './index.ts';

const param = (values: number[], grad?: number[]) => {
  const p = tensor(values, { requiresGrad: true });
  if (grad) p.grad = tensor(grad);
  return p;
};

describe('AdamW', () => {
  it('decays the parameter before the Adam step, outside the normalization', () => {
    // p = 2, g = 3, lr 0.1, λ 0.5, eps 0: p·(1 − 0.05) = 1.9, then the first Adam step is lr·sign(g):
    // 1.8. (Decaying after the step would give (2 − 0.1)·0.95 = 1.805.)
    const p = param([2], [3]);
    new AdamW([p], { lr: 0.1, weightDecay: 0.5, eps: 0 }).step();
    expect(p.data[0]).toBeCloseTo(1.8, 15);
  });

  it('keeps its moments from step to step', () => {
    // p = 2, lr 0.1, λ 0.5, betas (0.5, 0.75), eps 0, g = 3 then 1. Step 1 as above: 1.8. Step 2 is
    // Adam's second step of adam.test.ts, 0.1·(5/3)/√(31/7) = √(7/31)/6, after the decay 1.8·0.95.
    // (Fresh moments would make it a first step again, of exactly lr.)
    const p = param([2], [3]);
    const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.5, betas: [0.5, 0.75], eps: 0 });
    opt.step();
    p.grad = tensor([1]);
    opt.step();
    expect(p.data[0]).toBeCloseTo(1.8 * 0.95 - Math.sqrt(7 / 31) / 6, 15);
  });

  it("exposes Adam's state under PyTorch's names, without max_exp_avg_sq by default", () => {
    // g = 3, default betas (0.9, 0.999): m = 0.1·3, v = 0.001·9.
    const p = param([1], [3]);
    const opt = new AdamW([p]);
    expect(opt.pytorchState(p)).toStrictEqual({});
    opt.step();
    const state = opt.pytorchState(p);
    expect(Object.keys(state)).toEqual(['step', 'exp_avg', 'exp_avg_sq']);
    expect(state.step).toBe(1);
    expect((state.exp_avg as Float64Array)[0]).toBeCloseTo(0.3, 15);
    expect((state.exp_avg_sq as Float64Array)[0]).toBeCloseTo(0.009, 15);
  });

  it('shrinks by exactly 1 − lr·λ where the gradient is 0', () => {
    // m = v = 0, so the Adam step is 0/(0 + eps) = 0 and only the decay acts. PyTorch's default λ is 1e-2.
    const p = param([1], [0]);
    new AdamW([p], { lr: 0.1 }).step();
    expect(p.data[0]).toBe(1 * (1 - 0.1 * 1e-2));
  });

  it('is Adam at λ = 0 under maximize and amsgrad too', () => {
    const p = param([1], [3]);
    new AdamW([p], { lr: 0.1, weightDecay: 0, eps: 0, maximize: true, amsgrad: true }).step();
    expect(p.data[0]).toBeCloseTo(1.1, 15);
  });

  it.each([
    [{ lr: -1 }, /AdamW: invalid lr -1/],
    [{ betas: [0.9, 1] as [number, number] }, /AdamW: invalid betas\[1\] 1/],
    [{ weightDecay: -0.01 }, /AdamW: invalid weightDecay -0.01/],
  ])('rejects %o', (options, message) => {
    expect(() => new AdamW([param([1])], options)).toThrow(message);
  });
});
