/**
 * "Equal up to rounding", measured and bounded one step at a time. Two ways of writing the same SGD
 * step (a penalty's gradient or weight_decay, decay coupled or decoupled) are run from the same
 * parameters, at every state of a run, and each parameter's gap is held to the bound that the
 * roundings of the two steps allow. Whole trajectories are not compared: a rounding difference can
 * grow along a run by an amount no simple bound captures (the design's "compare one step at a time").
 *
 * Both sides are compared with the exact step E = p − lr·(g + λ·p) on the data gradient g, which
 * both compute bit for bit (the same graph from the same parameters). Each side's distance from E
 * is bounded to first order in the unit roundoff u, term by term, with the computed magnitudes:
 * - every step ends with p' = fl(p − fl(lr·d)): u·lr·|d| for the product, u·|p'| for the difference;
 * - weight_decay forms d = fl(g + fl(λ·p)) (src/optim/sgd.ts): u·|λ·p| + u·|d|, times lr;
 * - a penalty's gradient term is within 3u of c·λ·p (claim l2.half-norm-squared-within-rounding),
 *   and autograd adds it to g in one rounding: 3u·|c·λ·p| + u·|d|, times lr;
 * - decoupled decay first sets p₁ = fl(p·fl(1 − fl(lr·λ))) (src/optim/sgdw.ts):
 *   u·(lr·λ·|p| + 2·|p₁|), then steps with d = g.
 * Terms of second order (products of two roundings) are below 4u² of the same magnitudes; the
 * factor 1 + 8u covers them.
 */
import type { SGDSpec, SGDWSpec, TrainCase, TrainResult } from '../cases/types.ts';
import { U } from '../check/float.ts';
import { trajectory, type Runner } from './scenarios.ts';

/** How one side forms its step. */
export type StepForm = { kind: 'penalty'; factor: 1 | 2 } | { kind: 'weightDecay' } | { kind: 'decoupled' };

export interface OneStepGap {
  /** The largest gap over every parameter of every state. */
  largest: number;
  /** How many values are not the same float64. */
  differing: number;
  compared: number;
  /** The largest per-value bound, and whether every gap is within its own bound. */
  bound: number;
  within: boolean;
}

const SECOND_ORDER = 1 + 8 * U;

function plainSgd(c: TrainCase): SGDSpec | SGDWSpec {
  const o = c.optimizer;
  if ((o.kind !== 'sgd' && o.kind !== 'sgdw') || o.momentum !== 0 || o.maximize) {
    throw new RangeError('one-step rounding bounds are derived for SGD without momentum or maximize only');
  }
  return o;
}

/** The distance of one side's computed step from the exact one, for parameter `name`, element i. */
function sideBound(form: StepForm, c: TrainCase, r: TrainResult, p: number, name: string, i: number): number {
  const { lr, weightDecay } = plainSgd(c);
  const grad = r.grads[0][name][i];
  const after = Math.abs(r.params[0][name][i]);
  switch (form.kind) {
    case 'penalty': {
      // The recorded gradient already holds the penalty's term: it is d.
      if (c.penalty === null) throw new RangeError("a 'penalty' side needs a case with a penalty");
      const term = Math.abs(form.factor * c.penalty.lambda * p);
      return U * (lr * (3 * term + 2 * Math.abs(grad)) + after);
    }
    case 'weightDecay': {
      const d = Math.abs(grad + weightDecay * p);
      return U * (lr * (Math.abs(weightDecay * p) + 2 * d) + after);
    }
    case 'decoupled': {
      const decayed = Math.abs(p * (1 - lr * weightDecay));
      return U * (lr * weightDecay * Math.abs(p) + 2 * decayed + lr * Math.abs(grad) + after);
    }
  }
}

/**
 * From each state of case a's run (before each of its steps), one step of a and one of b: the
 * gaps between their parameters against the sum of both sides' rounding bounds.
 */
export function oneStepGap(run: Runner, a: TrainCase, formA: StepForm, b: TrainCase, formB: StepForm): OneStepGap {
  const states = trajectory(a, run(a)).slice(0, a.steps);
  const out: OneStepGap = { largest: 0, differing: 0, compared: 0, bound: 0, within: true };
  for (const state of states) {
    const ra = run({ ...a, init: state, steps: 1 });
    const rb = run({ ...b, init: state, steps: 1 });
    for (const [name, values] of Object.entries(state)) {
      values.forEach((p, i) => {
        const x = ra.params[0][name][i];
        const y = rb.params[0][name][i];
        const bound = (sideBound(formA, a, ra, p, name, i) + sideBound(formB, b, rb, p, name, i)) * SECOND_ORDER;
        const gap = Math.abs(x - y);
        out.compared++;
        if (!Object.is(x, y)) out.differing++;
        out.largest = Math.max(out.largest, Number.isNaN(gap) ? Infinity : gap);
        out.bound = Math.max(out.bound, bound);
        out.within &&= gap <= bound;
      });
    }
  }
  return out;
}
