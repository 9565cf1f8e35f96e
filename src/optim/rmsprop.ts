import { PLAIN, type Arith } from '../arith/index.ts';
import { Tensor } from '../engine/index.ts';
import { Optimizer, requireBoolean, requireNumber, type ParamsInput } from './optimizer.ts';

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

const defaults: RMSpropOptions = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false };

/**
 * PyTorch's checks (lr, eps, momentum, weight decay, alpha ≥ 0) plus finiteness. PyTorch accepts
 * alpha > 1, where 1 − alpha < 0 can drive the square average negative and the step to NaN; so does this.
 */
function validate(o: RMSpropOptions, where: string): void {
  requireNumber('RMSprop', where, 'lr', o.lr, 'nonNegative');
  requireNumber('RMSprop', where, 'eps', o.eps, 'nonNegative');
  requireNumber('RMSprop', where, 'momentum', o.momentum, 'nonNegative');
  requireNumber('RMSprop', where, 'weightDecay', o.weightDecay, 'nonNegative');
  requireNumber('RMSprop', where, 'alpha', o.alpha, 'nonNegative');
  requireBoolean('RMSprop', where, 'centered', o.centered);
  requireBoolean('RMSprop', where, 'maximize', o.maximize);
}

interface RMSpropState {
  squareAvg: Float64Array;
  gradAvg: Float64Array | null;
  momentumBuffer: Float64Array | null;
}

/**
 * RMSprop with PyTorch 1.13's single-tensor update, operation for operation: negate for maximize;
 * add weightDecay·p (coupled); s = s·α + ((1 − α)·g)·g; centered: a = a·α + (1 − α)·g and
 * avg = √(s − a·a), else avg = √s; avg += eps; with momentum μ > 0, b = b·μ + g/avg and
 * p = p + (−lr)·b, else p = p + (−lr·g)/avg. Every buffer starts at zero. The kernels (add with
 * alpha, addcmul, addcdiv) are done in `arith`; s − a·a is addcmul(s, a, a, value=−1).
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  private readonly states = new Map<Tensor, RMSpropState>();

  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}, arith: Arith = PLAIN) {
    super('RMSprop', params, defaults, options, validate, arith);
  }

  /** PyTorch's names; PyTorch also counts steps, which its update never reads, so this does not. */
  override pytorchState(param: Tensor): Readonly<Record<string, Float64Array>> {
    const state = this.states.get(param);
    if (state === undefined) return {};
    return {
      square_avg: state.squareAvg,
      ...(state.momentumBuffer === null ? {} : { momentum_buffer: state.momentumBuffer }),
      ...(state.gradAvg === null ? {} : { grad_avg: state.gradAvg }),
    };
  }

  protected update(param: Tensor, grad: Float64Array, o: Readonly<RMSpropOptions>): void {
    const p = param.data;
    const n = p.length;
    let state = this.states.get(param);
    if (state === undefined) {
      state = {
        squareAvg: new Float64Array(n),
        gradAvg: o.centered ? new Float64Array(n) : null,
        momentumBuffer: o.momentum > 0 ? new Float64Array(n) : null,
      };
      this.states.set(param, state);
    }
    const { squareAvg: s, gradAvg: a, momentumBuffer: b } = state;
    const A = this.arith;
    const alpha = A.scalar(o.alpha);
    const keep = A.scalar(1 - o.alpha);
    const negLr = A.scalar(-o.lr);
    const decay = A.scalar(o.weightDecay);
    const eps = A.scalar(o.eps);
    const momentum = A.scalar(o.momentum);
    for (let i = 0; i < n; i++) {
      let g = o.maximize ? -grad[i] : grad[i];
      if (o.weightDecay !== 0) g = A.addScaled(g, decay, p[i]);
      s[i] = A.addcmul(A.mul(s[i], alpha), keep, g, g);
      let avg: number;
      if (a !== null) {
        a[i] = A.addScaled(A.mul(a[i], alpha), keep, g);
        avg = A.sqrt(A.addcmul(s[i], -1, a[i], a[i]));
      } else {
        avg = A.sqrt(s[i]);
      }
      avg = A.add(avg, eps);
      if (b !== null) {
        b[i] = A.addcdiv(A.mul(b[i], momentum), 1, g, avg);
        p[i] = A.addScaled(p[i], negLr, b[i]);
      } else {
        p[i] = A.addcdiv(p[i], negLr, g, avg);
      }
    }
  }
}
