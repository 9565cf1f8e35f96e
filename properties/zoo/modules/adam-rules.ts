/** Adam's update with a switch for each of the zoo's Adam bugs; with none switched on it is the documented rule. */
import type { ElementUpdate } from './broken.ts';

export interface AdamBugs {
  noBiasCorrection?: boolean;
  epsInsideSqrt?: boolean;
  /** AdamW adding its decay to the gradient, as Adam does, instead of decoupling it. */
  coupledDecayInAdamW?: boolean;
  /** amsgrad tracking the maximum but dividing by the current v. */
  amsgradUsesCurrent?: boolean;
}

export function adamUpdate(decoupled: boolean, bugs: AdamBugs): ElementUpdate {
  return (p, g, s, o, t) => {
    const [b1, b2] = o.betas as [number, number];
    const decayInGradient = !decoupled || bugs.coupledDecayInAdamW;
    const start = decayInGradient ? p : p * (1 - o.lr * o.weightDecay);
    const d = (o.maximize ? -g : g) + (decayInGradient ? o.weightDecay * p : 0);
    s.m = (s.m ?? 0) * b1 + (1 - b1) * d;
    s.v = (s.v ?? 0) * b2 + (1 - b2) * d * d;
    s.vMax = Math.max(s.vMax ?? 0, s.v);
    const second = o.amsgrad && !bugs.amsgradUsesCurrent ? s.vMax : s.v;
    const mHat = bugs.noBiasCorrection ? s.m : s.m / (1 - b1 ** t);
    const vHat = bugs.noBiasCorrection ? second : second / (1 - b2 ** t);
    const denom = bugs.epsInsideSqrt ? Math.sqrt(vHat + o.eps) : Math.sqrt(vHat) + o.eps;
    return start - (o.lr * mHat) / denom;
  };
}
