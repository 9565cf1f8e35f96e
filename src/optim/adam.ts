import { PLAIN, type Arith } from '../arith/index.ts';
import { Tensor } from '../engine/index.ts';
import { allocate } from '../engine/alloc.ts';
import { Optimizer, requireBoolean, requireNumber, type ParamsInput } from './optimizer.ts';

export interface AdamOptions {
  lr: number;
  /** β1 and β2, each in [0, 1). */
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/** Per-parameter state: PyTorch's step, exp_avg, exp_avg_sq and max_exp_avg_sq. */
export interface AdamState {
  step: number;
  expAvg: Float64Array;
  expAvgSq: Float64Array;
  maxExpAvgSq: Float64Array | null;
}

/** PyTorch's checks (lr, eps, weight decay ≥ 0; 0 ≤ β < 1), plus finiteness, which PyTorch does not check. */
export function validateAdamOptions(optimizer: string, o: AdamOptions, where: string): void {
  requireNumber(optimizer, where, 'lr', o.lr, 'nonNegative');
  requireNumber(optimizer, where, 'eps', o.eps, 'nonNegative');
  if (!Array.isArray(o.betas) || o.betas.length !== 2) {
    throw new TypeError(`${optimizer}: betas must be a pair [β1, β2] in ${where}, got ${JSON.stringify(o.betas)}`);
  }
  o.betas.forEach((beta, i) => {
    requireNumber(optimizer, where, `betas[${i}]`, beta, 'finite');
    if (!(beta >= 0 && beta < 1)) throw new RangeError(`${optimizer}: invalid betas[${i}] ${beta} in ${where} (it must be in [0, 1))`);
  });
  requireNumber(optimizer, where, 'weightDecay', o.weightDecay, 'nonNegative');
  requireBoolean(optimizer, where, 'amsgrad', o.amsgrad);
  requireBoolean(optimizer, where, 'maximize', o.maximize);
}

/** PyTorch's names for Adam's and AdamW's state. */
export function adamPytorchState(state: AdamState | undefined): Readonly<Record<string, number | Float64Array>> {
  if (state === undefined) return {};
  const named = { step: state.step, exp_avg: state.expAvg, exp_avg_sq: state.expAvgSq };
  return state.maxExpAvgSq === null ? named : { ...named, max_exp_avg_sq: state.maxExpAvgSq };
}

export function newAdamState(size: number, amsgrad: boolean): AdamState {
  return { step: 0, expAvg: allocate(size), expAvgSq: allocate(size), maxExpAvgSq: amsgrad ? allocate(size) : null };
}

/**
 * One step of PyTorch 1.13's _single_tensor_adam on one parameter, operation for operation so the
 * roundings match: negate for maximize; add weightDecay·p (coupled) when weightDecay ≠ 0;
 * m = m·β1 + (1 − β1)·g; v = v·β2 + ((1 − β2)·g)·g; bias corrections 1 − β^step in double;
 * denom = √v̂ / √(1 − β2^step) + eps, with v̂ the running maximum of v under amsgrad;
 * p = p + (−lr/(1 − β1^step))·m / denom.
 * AdamW calls it with coupledDecay 0 after decaying p itself. The bias corrections are Python
 * doubles; the rest is done in `A` (add with alpha, addcmul and addcdiv as PyTorch's kernels name them).
 */
export function adamStep(A: Arith, p: Float64Array, grad: Float64Array, state: AdamState, o: Readonly<AdamOptions>, coupledDecay: number): void {
  const n = p.length;
  const [beta1, beta2] = o.betas;
  const { expAvg: m, expAvgSq: v, maxExpAvgSq: vMax } = state;
  state.step += 1;
  const keep1 = A.scalar(1 - beta1);
  const keep2 = A.scalar(1 - beta2);
  const biasCorrection1 = 1 - A.pow(beta1, state.step);
  const biasCorrection2 = 1 - A.pow(beta2, state.step);
  const stepSize = o.lr / biasCorrection1;
  const biasCorrection2Sqrt = A.scalar(Math.sqrt(biasCorrection2));
  const negStep = A.scalar(-stepSize);
  const decay = A.scalar(coupledDecay);
  const b1 = A.scalar(beta1);
  const b2 = A.scalar(beta2);
  const eps = A.scalar(o.eps);
  for (let i = 0; i < n; i++) {
    let g = o.maximize ? -grad[i] : grad[i];
    if (coupledDecay !== 0) g = A.addScaled(g, decay, p[i]);
    m[i] = A.addScaled(A.mul(m[i], b1), keep1, g);
    v[i] = A.addcmul(A.mul(v[i], b2), keep2, g, g);
    let second = v[i];
    if (vMax !== null) {
      vMax[i] = Math.max(vMax[i], v[i]);
      second = vMax[i];
    }
    const denom = A.add(A.div(A.sqrt(second), biasCorrection2Sqrt), eps);
    p[i] = A.addcdiv(p[i], negStep, m[i], denom);
  }
}

const defaults: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };

/** Adam with PyTorch 1.13's single-tensor update; its weightDecay is coupled (added to the gradient). */
export class Adam extends Optimizer<AdamOptions> {
  private readonly states = new Map<Tensor, AdamState>();

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}, arith: Arith = PLAIN) {
    super('Adam', params, defaults, options, (o, where) => validateAdamOptions('Adam', o, where), arith);
  }

  override pytorchState(param: Tensor): Readonly<Record<string, number | Float64Array>> {
    return adamPytorchState(this.states.get(param));
  }

  protected update(param: Tensor, grad: Float64Array, o: Readonly<AdamOptions>): void {
    let state = this.states.get(param);
    if (state === undefined) {
      state = newAdamState(param.size, o.amsgrad);
      this.states.set(param, state);
    }
    adamStep(this.arith, param.data, grad, state, o, o.weightDecay);
  }
}
