import { Tensor } from '../engine/index.ts';
import { SGD, type SGDOptions } from './sgd.ts';

/**
 * SGD with decoupled weight decay, AdamW's convention carried over to SGD (PyTorch 1.13 has no
 * such optimizer): p = p·(1 − lr·weightDecay) first, then the SGD step with nothing added to the
 * gradient. Its options and their checks are SGD's, so errors name SGD.
 */
export class SGDW extends SGD {
  protected override update(param: Tensor, grad: Float64Array, o: Readonly<SGDOptions>): void {
    if (o.weightDecay === 0) {
      super.update(param, grad, o);
      return;
    }
    const p = param.data;
    const keep = this.arith.scalar(1 - o.lr * o.weightDecay);
    for (let i = 0; i < p.length; i++) p[i] = this.arith.mul(p[i], keep);
    super.update(param, grad, { ...o, weightDecay: 0 });
  }
}
