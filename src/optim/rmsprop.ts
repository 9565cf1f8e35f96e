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
 * p = p + (−lr)·b, else p = p + (−lr·g)/avg. Every buffer starts at zero.
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  private readonly states = new Map<Tensor, RMSpropState>();

  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super('RMSprop', params, defaults, options, validate);
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
    const keep = 1 - o.alpha;
    const negLr = -o.lr;
    for (let i = 0; i < n; i++) {
      let g = o.maximize ? -grad[i] : grad[i];
      if (o.weightDecay !== 0) g = g + o.weightDecay * p[i];
      s[i] = s[i] * o.alpha + keep * g * g;
      let avg: number;
      if (a !== null) {
        a[i] = a[i] * o.alpha + keep * g;
        avg = Math.sqrt(s[i] - a[i] * a[i]);
      } else {
        avg = Math.sqrt(s[i]);
      }
      avg = avg + o.eps;
      if (b !== null) {
        b[i] = b[i] * o.momentum + g / avg;
        p[i] = p[i] + negLr * b[i];
      } else {
        p[i] = p[i] + (negLr * g) / avg;
      }
    }
  }
}
