import { PLAIN, type Arith } from '../arith/index.ts';
import { Tensor } from '../engine/index.ts';
import { adamPytorchState, adamStep, newAdamState, validateAdamOptions, type AdamOptions, type AdamState } from './adam.ts';
import { Optimizer, type ParamsInput } from './optimizer.ts';

export type AdamWOptions = AdamOptions;

const defaults: AdamWOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false };

/**
 * AdamW with PyTorch 1.13's single-tensor update: decoupled decay p = p·(1 − lr·weightDecay) first,
 * then the Adam step with nothing added to the gradient. PyTorch multiplies even when the decay is 0
 * (by exactly 1), and so does this. (PyTorch's 1e-2 default weightDecay is kept.)
 */
export class AdamW extends Optimizer<AdamWOptions> {
  private readonly states = new Map<Tensor, AdamState>();

  constructor(params: ParamsInput<AdamWOptions>, options: Partial<AdamWOptions> = {}, arith: Arith = PLAIN) {
    super('AdamW', params, defaults, options, (o, where) => validateAdamOptions('AdamW', o, where), arith);
  }

  override pytorchState(param: Tensor): Readonly<Record<string, number | Float64Array>> {
    return adamPytorchState(this.states.get(param));
  }

  protected update(param: Tensor, grad: Float64Array, o: Readonly<AdamWOptions>): void {
    let state = this.states.get(param);
    if (state === undefined) {
      state = newAdamState(param.size, o.amsgrad);
      this.states.set(param, state);
    }
    const p = param.data;
    const keep = this.arith.scalar(1 - o.lr * o.weightDecay);
    for (let i = 0; i < p.length; i++) p[i] = this.arith.mul(p[i], keep);
    adamStep(this.arith, p, grad, state, o, 0);
  }
}
