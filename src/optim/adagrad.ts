import { PLAIN, type Arith } from '../arith/index.ts';
import { Tensor } from '../engine/index.ts';
import { Optimizer, requireBoolean, requireNumber, type ParamsInput } from './optimizer.ts';

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

const defaults: AdagradOptions = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false };

/** PyTorch's checks (every number ≥ 0) plus finiteness. */
function validate(o: AdagradOptions, where: string): void {
  requireNumber('Adagrad', where, 'lr', o.lr, 'nonNegative');
  requireNumber('Adagrad', where, 'lrDecay', o.lrDecay, 'nonNegative');
  requireNumber('Adagrad', where, 'weightDecay', o.weightDecay, 'nonNegative');
  requireNumber('Adagrad', where, 'initialAccumulatorValue', o.initialAccumulatorValue, 'nonNegative');
  requireNumber('Adagrad', where, 'eps', o.eps, 'nonNegative');
  requireBoolean('Adagrad', where, 'maximize', o.maximize);
}

interface AdagradState {
  step: number;
  sum: Float64Array;
}

/**
 * Adagrad with PyTorch 1.13's single-tensor update, operation for operation: negate for
 * maximize; add weightDecay·p (coupled); clr = lr / (1 + (step − 1)·lrDecay);
 * S = S + g·g, starting from initialAccumulatorValue; p = p + (−clr·g)/(√S + eps). The kernels
 * (add with alpha, addcmul with value 1, addcdiv) are done in `arith`; clr is a Python double.
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  private readonly states = new Map<Tensor, AdagradState>();

  constructor(params: ParamsInput<AdagradOptions>, options: Partial<AdagradOptions> = {}, arith: Arith = PLAIN) {
    super('Adagrad', params, defaults, options, validate, arith);
  }

  override pytorchState(param: Tensor): Readonly<Record<string, number | Float64Array>> {
    const state = this.states.get(param);
    return state === undefined ? {} : { step: state.step, sum: state.sum };
  }

  protected update(param: Tensor, grad: Float64Array, o: Readonly<AdagradOptions>): void {
    const p = param.data;
    let state = this.states.get(param);
    if (state === undefined) {
      state = { step: 0, sum: new Float64Array(p.length).fill(this.arith.scalar(o.initialAccumulatorValue)) };
      this.states.set(param, state);
    }
    state.step += 1;
    const A = this.arith;
    const negClr = A.scalar(-(o.lr / (1 + (state.step - 1) * o.lrDecay)));
    const decay = A.scalar(o.weightDecay);
    const eps = A.scalar(o.eps);
    const sum = state.sum;
    for (let i = 0; i < p.length; i++) {
      let g = o.maximize ? -grad[i] : grad[i];
      if (o.weightDecay !== 0) g = A.addScaled(g, decay, p[i]);
      sum[i] = A.addcmul(sum[i], 1, g, g);
      p[i] = A.addcdiv(p[i], negClr, g, A.add(A.sqrt(sum[i]), eps));
    }
  }
}
