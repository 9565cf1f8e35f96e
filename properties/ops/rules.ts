/**
 * Each optimizer's update as PyTorch 1.13's documentation states it (the algorithm boxes of
 * torch.optim), one parameter element at a time, written independently of src/optim so that a
 * backend's step is checked against the documented rule rather than against another
 * implementation. State is whatever the rule keeps between steps; `t` counts steps from 1.
 */
import type { OptimizerSpec } from '../../src/cases/types.ts';

export interface ElementState {
  [key: string]: number;
}

/** One step for one element: the new parameter, given the parameter, its gradient and the state (updated in place). */
export type Rule = (p: number, g: number, state: ElementState, t: number) => number;

/** Maximize negates the gradient; coupled decay then adds wd·p. */
const direction = (g: number, p: number, maximize: boolean, weightDecay: number) => (maximize ? -g : g) + weightDecay * p;

export function documentedRule(spec: OptimizerSpec): Rule {
  switch (spec.kind) {
    case 'sgd':
    case 'sgdw': {
      const { lr, momentum: mu, dampening, nesterov, maximize, weightDecay } = spec;
      const decoupled = spec.kind === 'sgdw';
      return (p, g, s, t) => {
        const start = decoupled ? p * (1 - lr * weightDecay) : p;
        let d = direction(g, p, maximize, decoupled ? 0 : weightDecay);
        if (mu !== 0) {
          s.buf = t === 1 ? d : mu * s.buf + (1 - dampening) * d;
          d = nesterov ? d + mu * s.buf : s.buf;
        }
        return start - lr * d;
      };
    }
    case 'adam':
    case 'adamw': {
      const { lr, betas: [b1, b2], eps, weightDecay, amsgrad, maximize } = spec;
      const decoupled = spec.kind === 'adamw';
      return (p, g, s, t) => {
        const start = decoupled ? p * (1 - lr * weightDecay) : p;
        const d = direction(g, p, maximize, decoupled ? 0 : weightDecay);
        s.m = (t === 1 ? 0 : s.m) * b1 + (1 - b1) * d;
        s.v = (t === 1 ? 0 : s.v) * b2 + (1 - b2) * d * d;
        s.vMax = amsgrad ? Math.max(t === 1 ? 0 : s.vMax, s.v) : s.v;
        const mHat = s.m / (1 - b1 ** t);
        const vHat = s.vMax / (1 - b2 ** t);
        return start - (lr * mHat) / (Math.sqrt(vHat) + eps);
      };
    }
    case 'rmsprop': {
      const { lr, alpha, eps, weightDecay, momentum: mu, centered, maximize } = spec;
      return (p, g, s, t) => {
        const d = direction(g, p, maximize, weightDecay);
        s.sq = (t === 1 ? 0 : s.sq) * alpha + (1 - alpha) * d * d;
        s.avg = centered ? (t === 1 ? 0 : s.avg) * alpha + (1 - alpha) * d : 0;
        const denom = Math.sqrt(s.sq - s.avg * s.avg) + eps;
        if (mu > 0) {
          s.buf = (t === 1 ? 0 : s.buf) * mu + d / denom;
          return p - lr * s.buf;
        }
        return p - (lr * d) / denom;
      };
    }
    case 'adagrad': {
      const { lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize } = spec;
      return (p, g, s, t) => {
        const d = direction(g, p, maximize, weightDecay);
        const clr = lr / (1 + (t - 1) * lrDecay);
        s.sum = (t === 1 ? initialAccumulatorValue : s.sum) + d * d;
        return p - (clr * d) / (Math.sqrt(s.sum) + eps);
      };
    }
  }
}
