import { describe, expect, it } from 'vitest';
import { tensor } from '../engine/index.ts';
import { SGD, SGDW } from './index.ts';

const param = (values: number[], grad?: number[]) => {
  const p = tensor(values, { requiresGrad: true });
  if (grad) p.grad = tensor(grad);
  return p;
};

describe('SGDW (SGD with decoupled weight decay)', () => {
  it('equals coupled weight decay without momentum', () => {
    // p = 2, g = 1, lr 0.1, λ 0.5: 2·0.95 − 0.1 = 1.8 = 2 − 0.1·(1 + 1).
    const p = param([2], [1]);
    new SGDW([p], { lr: 0.1, weightDecay: 0.5 }).step();
    expect(p.data[0]).toBeCloseTo(1.8, 15);
  });

  it('keeps the decay out of the momentum buffer', () => {
    // momentum 0.9, g = 1 twice. Decoupled: p₁ = 1.8, buf = 1; p₂ = 1.8·0.95 − 0.1·(0.9 + 1) = 1.52.
    // Coupled: buf = 2, p₁ = 1.8; d = 1 + 0.9 = 1.9, buf = 1.8 + 1.9 = 3.7, p₂ = 1.8 − 0.37 = 1.43.
    const a = param([2], [1]);
    const b = param([2], [1]);
    const decoupled = new SGDW([a], { lr: 0.1, weightDecay: 0.5, momentum: 0.9 });
    const coupled = new SGD([b], { lr: 0.1, weightDecay: 0.5, momentum: 0.9 });
    for (let i = 0; i < 2; i++) {
      decoupled.step();
      coupled.step();
    }
    expect(a.data[0]).toBeCloseTo(1.52, 15);
    expect(b.data[0]).toBeCloseTo(1.43, 15);
  });

  it("checks SGD's options", () => {
    expect(() => new SGDW([param([1])], { weightDecay: -1 })).toThrow(/invalid weightDecay -1/);
  });
});
