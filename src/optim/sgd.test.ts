import { describe, expect, it } from 'vitest';
import { arithmetic } from '../arith/index.ts';
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

  it('adds μ·buf to the gradient under nesterov, keeping the buffer apart from the step', () => {
    // p = 1, g = 1, lr 0.1, μ 0.5. Step 1: buf = 1, d = 1 + 0.5·1 = 1.5, p = 0.85. Step 2:
    // buf = 0.5·1 + 1 = 1.5, d = 1 + 0.75 = 1.75, p = 0.675. (A buffer that shared d's memory would
    // hold 1.5 after step 1 and end at 0.6625; heavy ball would give 0.9 and 0.75.)
    const p = param([1], [1]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.5, nesterov: true });
    opt.step();
    expect(p.data[0]).toBeCloseTo(0.85, 15);
    opt.step();
    expect(p.data[0]).toBeCloseTo(0.675, 15);
  });

  it("exposes the momentum buffer under PyTorch's name, and none without momentum", () => {
    // g = 3 twice, μ 0.9, no dampening: buf = 3, then 0.9·3 + 3 = 5.7.
    const [a, b] = [param([1], [3]), param([1], [3])];
    const heavy = new SGD([a], { momentum: 0.9 });
    const plain = new SGD([b], { momentum: 0, dampening: 0.5 });
    expect(heavy.pytorchState(a)).toStrictEqual({});
    heavy.step();
    expect(heavy.pytorchState(a)).toStrictEqual({ momentum_buffer: new Float64Array([3]) });
    heavy.step();
    expect(heavy.pytorchState(a).momentum_buffer[0]).toBeCloseTo(5.7, 15);
    plain.step();
    plain.step();
    expect(plain.pytorchState(b)).toStrictEqual({});
    // Without momentum the dampening is not used: two steps of lr·g.
    expect(b.data[0]).toBe(1 - 0.001 * 3 - 0.001 * 3);
  });

  it('leaves an infinite parameter infinite without weight decay (0·∞ would be NaN)', () => {
    // PyTorch adds weight_decay·p only when weight_decay ≠ 0.
    const p = param([Infinity, -Infinity], [1, 1]);
    new SGD([p], { lr: 0.1 }).step();
    expect([...p.data]).toEqual([Infinity, -Infinity]);
  });

  it("rounds λ·p before adding it in plain arithmetic, and fuses it in PyTorch's", () => {
    // p = λ = 1 + 2⁻²⁷, g = −(1 + 2⁻²⁶), lr = 2²⁶: λ·p = 1 + 2⁻²⁶ + 2⁻⁵⁴ exactly. Plain rounds it to
    // 1 + 2⁻²⁶, so d = 0 and p stays; a fused add keeps d = 2⁻⁵⁴, and p − 2²⁶·2⁻⁵⁴ = 1 + 2⁻²⁸.
    const run = (mode: 'plain' | 'pytorch') => {
      const p = param([1 + 2 ** -27], [-(1 + 2 ** -26)]);
      new SGD([p], { lr: 2 ** 26, weightDecay: 1 + 2 ** -27 }, arithmetic(mode)).step();
      return p.data[0];
    };
    expect(run('plain')).toBe(1 + 2 ** -27);
    expect(run('pytorch')).toBe(1 + 2 ** -28);
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
