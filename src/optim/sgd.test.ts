import { describe, expect, it } from 'vitest';
import { tensor } from '../engine/index.ts';
import { SGD } from './index.ts';

const param = (values: number[], grad?: number[]) => {
  const p = tensor(values, { requiresGrad: true });
  if (grad) p.grad = tensor(grad);
  return p;
};

describe('SGD', () => {
  it('follows PyTorch 1.13 on a hand-derived example: maximize, decay, then momentum', () => {
    // p = 1, g = 3, lr = 0.1, wd = 0.5, momentum 0.9, dampening 0.5, maximize:
    // step 1: d = −3 + 0.5·1 = −2.5, buf = d (no dampening), p = 1 + 0.25 = 1.25.
    // step 2 (same g): d = −3 + 0.625 = −2.375, buf = 0.9·(−2.5) + 0.5·(−2.375) = −3.4375, p = 1.25 + 0.34375.
    const p = param([1], [3]);
    const opt = new SGD([p], { lr: 0.1, weightDecay: 0.5, momentum: 0.9, dampening: 0.5, maximize: true });
    opt.step();
    expect(p.data[0]).toBeCloseTo(1.25, 15);
    opt.step();
    expect(p.data[0]).toBeCloseTo(1.59375, 15);
  });

  it('skips parameters without a gradient', () => {
    const p = param([1]);
    new SGD([p], { lr: 1, weightDecay: 1 }).step();
    expect(p.data[0]).toBe(1);
  });

  it('applies per-group options', () => {
    const w = param([1], [0]);
    const b = param([1], [0]);
    new SGD([{ params: [w], weightDecay: 1 }, { params: [b] }], { lr: 0.5 }).step();
    expect([w.data[0], b.data[0]]).toEqual([0.5, 1]);
  });

  it.each([
    [{ nesterov: true }, /nesterov needs momentum > 0 and dampening 0/],
    [{ nesterov: true, momentum: 0.9, dampening: 0.1 }, /nesterov needs momentum > 0 and dampening 0/],
    [{ lr: -1 }, /invalid lr -1 .* ≥ 0/],
    [{ lr: NaN }, /invalid lr NaN .* finite/],
    [{ lr: Infinity }, /invalid lr Infinity/],
    [{ weightDecay: -0.1 }, /invalid weightDecay -0.1/],
    [{ momentum: -0.5 }, /invalid momentum -0.5/],
    [{ maximize: 'yes' as unknown as boolean }, /maximize must be true or false/],
    [{ weight_decay: 0.1 } as object, /unknown option 'weight_decay'/],
  ])('rejects %o', (options, message) => {
    expect(() => new SGD([param([1])], options)).toThrow(message);
  });

  it('rejects empty, duplicated and non-leaf parameters', () => {
    const p = param([1]);
    expect(() => new SGD([])).toThrow(/empty parameter list/);
    expect(() => new SGD([{ params: [p] }, { params: [p] }])).toThrow(/more than one parameter group/);
    expect(() => new SGD([p.mul(2)])).toThrow(/not a leaf tensor/);
  });
});
