import { describe, expect, it } from 'vitest';
import { tensor } from '../engine/index.ts';
import { Adagrad } from './index.ts';

const param = (values: number[], grad?: number[]) => {
  const p = tensor(values, { requiresGrad: true });
  if (grad) p.grad = tensor(grad);
  return p;
};

describe('Adagrad', () => {
  it('divides by the root of the summed squares, with lr decayed by 1 + (step − 1)·lr_decay', () => {
    // p = 1, lr 0.1, eps 0; g = 3 then 4: S = 9, p = 1 − 0.1·3/3 = 0.9; S = 25, and with lr_decay 1
    // the second step's lr is 0.1/2: p = 0.9 − 0.05·4/5 = 0.86 (0.82 without lr_decay).
    const a = param([1], [3]);
    const b = param([1], [3]);
    const decayed = new Adagrad([a], { lr: 0.1, eps: 0, lrDecay: 1 });
    const plain = new Adagrad([b], { lr: 0.1, eps: 0 });
    decayed.step();
    plain.step();
    a.grad = tensor([4]);
    b.grad = tensor([4]);
    decayed.step();
    plain.step();
    expect(a.data[0]).toBeCloseTo(0.86, 15);
    expect(b.data[0]).toBeCloseTo(0.82, 15);
  });

  it('starts the sum at initialAccumulatorValue', () => {
    // S = 16 + 9 = 25: p = 1 − 0.1·3/5.
    const p = param([1], [3]);
    new Adagrad([p], { lr: 0.1, eps: 0, initialAccumulatorValue: 16 }).step();
    expect(p.data[0]).toBeCloseTo(0.94, 15);
  });

  it('couples weight decay into the gradient and negates first under maximize', () => {
    const a = param([1], [0]);
    new Adagrad([a], { lr: 0.1, eps: 0, weightDecay: 3 }).step();
    expect(a.data[0]).toBeCloseTo(0.9, 15);
    const b = param([1], [3]);
    new Adagrad([b], { lr: 0.1, eps: 0, maximize: true }).step();
    expect(b.data[0]).toBeCloseTo(1.1, 15);
  });

  it("exposes step and sum under PyTorch's names", () => {
    // g = 3 then 4 from S = 0: S = 9, then 25.
    const p = param([1], [3]);
    const opt = new Adagrad([p]);
    expect(opt.pytorchState(p)).toStrictEqual({});
    opt.step();
    expect(opt.pytorchState(p)).toStrictEqual({ step: 1, sum: new Float64Array([9]) });
    p.grad = tensor([4]);
    opt.step();
    expect(opt.pytorchState(p)).toStrictEqual({ step: 2, sum: new Float64Array([25]) });
  });

  it('leaves an infinite parameter infinite without weight decay (0·∞ would be NaN)', () => {
    const p = param([Infinity, -Infinity], [1, 1]);
    new Adagrad([p], { lr: 0.1 }).step();
    expect([...p.data]).toEqual([Infinity, -Infinity]);
  });

  it.each([
    [{ lrDecay: -1 }, /Adagrad: invalid lrDecay -1/],
    [{ initialAccumulatorValue: -0.1 }, /invalid initialAccumulatorValue -0.1/],
    [{ eps: Infinity }, /invalid eps Infinity/],
    [{ lr_decay: 0.1 } as object, /unknown option 'lr_decay'/],
  ])('rejects %o', (options, message) => {
    expect(() => new Adagrad([param([1])], options)).toThrow(message);
  });
});
