import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../engine/index.ts';
import { Adam } from './index.ts';

const param = (values: number[], grad?: number[]) => {
  const p = tensor(values, { requiresGrad: true });
  if (grad) p.grad = tensor(grad);
  return p;
};

/** Runs steps, setting the gradient before each, and returns the parameter after each. */
function trajectory(p: Tensor, opt: Adam, grads: number[]): number[] {
  return grads.map((g) => {
    p.grad = tensor([g]);
    opt.step();
    return p.data[0];
  });
}

describe('Adam', () => {
  it('takes steps of exactly lr under a constant gradient (bias correction makes m̂ = g and √v̂ = |g|)', () => {
    // betas (0.5, 0.75), eps 0, g = 3: m₁ = 1.5, v₁ = 2.25, corrections 0.5 and 0.25 give m̂ = 3, √v̂ = 3;
    // m₂ = 2.25, v₂ = 3.9375 with corrections 0.75 and 0.4375: again 3 and 3. Each step moves p by lr.
    const p = param([1]);
    const got = trajectory(p, new Adam([p], { lr: 0.1, betas: [0.5, 0.75], eps: 0 }), [3, 3, 3]);
    got.forEach((v, i) => expect(v).toBeCloseTo(1 - 0.1 * (i + 1), 15));
  });

  it('normalizes by the running maximum of v under amsgrad', () => {
    // g = 3 then 1, betas (0.5, 0.75), eps 0: step 1 as above (p = 0.9). Step 2: m = 1.25, m̂ = 5/3;
    // v = 1.9375 < v_max = 2.25; v̂ = v/0.4375 = 31/7, v̂_max = 36/7. So the step is
    // 0.1·(5/3)/√(36/7) = √7/36 with amsgrad and 0.1·(5/3)/√(31/7) = √(7/31)/6 without.
    const a = param([1]);
    const b = param([1]);
    expect(trajectory(a, new Adam([a], { lr: 0.1, betas: [0.5, 0.75], eps: 0, amsgrad: true }), [3, 1])[1]).toBeCloseTo(0.9 - Math.sqrt(7) / 36, 15);
    expect(trajectory(b, new Adam([b], { lr: 0.1, betas: [0.5, 0.75], eps: 0 }), [3, 1])[1]).toBeCloseTo(0.9 - Math.sqrt(7 / 31) / 6, 15);
  });

  it("exposes step, exp_avg and exp_avg_sq under PyTorch's names, and max_exp_avg_sq under amsgrad", () => {
    // g = 3 then 1, betas (0.5, 0.75): m = 1.5, v = 2.25; then m = 0.75 + 0.5 = 1.25,
    // v = 1.6875 + 0.25 = 1.9375, and the maximum stays 2.25.
    const [a, b] = [param([1]), param([1])];
    const plain = new Adam([a], { betas: [0.5, 0.75] });
    const ams = new Adam([b], { betas: [0.5, 0.75], amsgrad: true });
    expect(plain.pytorchState(a)).toStrictEqual({});
    trajectory(a, plain, [3]);
    trajectory(b, ams, [3, 1]);
    const f = (x: number) => new Float64Array([x]);
    expect(plain.pytorchState(a)).toStrictEqual({ step: 1, exp_avg: f(1.5), exp_avg_sq: f(2.25) });
    expect(ams.pytorchState(b)).toStrictEqual({
      step: 2,
      exp_avg: f(1.25),
      exp_avg_sq: f(1.9375),
      max_exp_avg_sq: f(2.25),
    });
  });

  it('accepts β = 0: m = g and v = g², with no bias correction', () => {
    // g = 3, lr 0.1, eps 0: the step is 0.1·3/3.
    const p = param([1]);
    expect(trajectory(p, new Adam([p], { lr: 0.1, betas: [0, 0], eps: 0 }), [3])[0]).toBeCloseTo(0.9, 15);
  });

  it('leaves an infinite parameter infinite without weight decay (0·∞ would be NaN)', () => {
    const p = param([Infinity, -Infinity], [1, 1]);
    new Adam([p], { lr: 0.1 }).step();
    expect([...p.data]).toEqual([Infinity, -Infinity]);
  });

  it('negates the gradient under maximize', () => {
    const p = param([1]);
    expect(trajectory(p, new Adam([p], { lr: 0.1, betas: [0.5, 0.75], eps: 0, maximize: true }), [3])[0]).toBeCloseTo(1.1, 15);
  });

  it('couples weight decay into the gradient, so the decay is normalized away', () => {
    // p = 1, g = 0, λ = 1: the gradient Adam sees is λ·p = 1, and the step is lr·1/(1 + eps).
    const p = param([1]);
    expect(trajectory(p, new Adam([p], { lr: 0.1, weightDecay: 1 }), [0])[0]).toBeCloseTo(1 - 0.1 / (1 + 1e-8), 15);
  });

  it('applies per-group options', () => {
    // Both see g = 0: the group with weight decay 1 moves as above, the other by 0/(0 + eps) = 0.
    const w = param([1], [0]);
    const b = param([1], [0]);
    new Adam([{ params: [w], weightDecay: 1 }, { params: [b] }], { lr: 0.1 }).step();
    expect(w.data[0]).toBeCloseTo(1 - 0.1 / (1 + 1e-8), 15);
    expect(b.data[0]).toBe(1);
  });

  it('divides 0 by 0 where a gradient is 0 and eps is 0, as PyTorch does', () => {
    const p = param([1], [0]);
    new Adam([p], { eps: 0 }).step();
    expect(p.data[0]).toBeNaN();
  });

  it.each([
    [{ lr: -1 }, /Adam: invalid lr -1 .* ≥ 0/],
    [{ lr: NaN }, /invalid lr NaN .* finite/],
    [{ eps: -1e-8 }, /invalid eps -1e-8/],
    [{ betas: [1, 0.999] as [number, number] }, /invalid betas\[0\] 1 .* \[0, 1\)/],
    [{ betas: [0.9, -0.1] as [number, number] }, /invalid betas\[1\] -0.1/],
    [{ betas: [0.9, NaN] as [number, number] }, /invalid betas\[1\] NaN .* finite/],
    [{ betas: [0.9] as unknown as [number, number] }, /betas must be a pair/],
    [{ weightDecay: Infinity }, /invalid weightDecay Infinity/],
    [{ amsgrad: 1 as unknown as boolean }, /amsgrad must be true or false/],
    [{ weight_decay: 0.1 } as object, /unknown option 'weight_decay'/],
  ])('rejects %o', (options, message) => {
    expect(() => new Adam([param([1])], options)).toThrow(message);
  });
});
