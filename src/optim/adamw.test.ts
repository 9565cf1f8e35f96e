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
