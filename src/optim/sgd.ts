import { PLAIN, type Arith } from '../arith/index.ts';
import { Tensor } from '../engine/index.ts';
import { allocate, copyOf } from '../engine/alloc.ts';
import { Optimizer, requireBoolean, requireNumber, type ParamsInput } from './optimizer.ts';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

const defaults: SGDOptions = { lr: 0.001, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };

function validate(o: SGDOptions, where: string): void {
  requireNumber('SGD', where, 'lr', o.lr, 'nonNegative');
  requireNumber('SGD', where, 'momentum', o.momentum, 'nonNegative');
  requireNumber('SGD', where, 'dampening', o.dampening, 'finite');
  requireNumber('SGD', where, 'weightDecay', o.weightDecay, 'nonNegative');
  requireBoolean('SGD', where, 'nesterov', o.nesterov);
  requireBoolean('SGD', where, 'maximize', o.maximize);
  if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
    throw new RangeError(`SGD: nesterov needs momentum > 0 and dampening 0 in ${where} (got momentum ${o.momentum}, dampening ${o.dampening})`);
  }
}

/**
 * Stochastic gradient descent with PyTorch 1.13's update, in its order:
 * negate the gradient for maximize; add weightDecay·p; momentum with buf = g on the first
 * step (no dampening) and buf = μ·buf + (1 − τ)·g after; nesterov uses g + μ·buf; p −= lr·g.
 * Each `+ α·x` is torch.add with alpha, done in `arith`.
 */
export class SGD extends Optimizer<SGDOptions> {
  private readonly momentumBuffers = new Map<Tensor, Float64Array>();

  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}, arith: Arith = PLAIN) {
    super('SGD', params, defaults, options, validate, arith);
  }

  override pytorchState(param: Tensor): Readonly<Record<string, Float64Array>> {
    const buf = this.momentumBuffers.get(param);
    return buf === undefined ? {} : { momentum_buffer: buf };
  }

  protected update(param: Tensor, grad: Float64Array, o: Readonly<SGDOptions>): void {
    const A = this.arith;
    const p = param.data;
    const n = p.length;
    let d: Float64Array = allocate(n);
    for (let i = 0; i < n; i++) d[i] = o.maximize ? -grad[i] : grad[i];
    if (o.weightDecay !== 0) {
      const decay = A.scalar(o.weightDecay);
      for (let i = 0; i < n; i++) d[i] = A.addScaled(d[i], decay, p[i]);
    }
    if (o.momentum !== 0) {
      const momentum = A.scalar(o.momentum);
      let buf = this.momentumBuffers.get(param);
      if (buf === undefined) {
        buf = copyOf(d);
        this.momentumBuffers.set(param, buf);
      } else {
        const keep = A.scalar(1 - o.dampening);
        for (let i = 0; i < n; i++) buf[i] = A.addScaled(A.mul(buf[i], momentum), keep, d[i]);
      }
      if (o.nesterov) for (let i = 0; i < n; i++) d[i] = A.addScaled(d[i], momentum, buf[i]);
      else d = buf;
    }
    const step = A.scalar(-o.lr);
    for (let i = 0; i < n; i++) p[i] = A.addScaled(p[i], step, d[i]);
  }
}
