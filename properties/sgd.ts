/**
 * SGD against its update rule written out independently. Metamorphic claims cannot see a bug
 * both of their sides share (dampening on the first step, maximize applied at the end), so
 * this claim replays the gradients a backend used through PyTorch 1.13's algorithm, written
 * here per element and per step from torch/optim/sgd.py. (The 1.13 docstring's pseudo-code
 * applies maximize at the end; the code, which this follows, negates the gradient first.)
 */
import fc from 'fast-check';
import { arbitrariesFor } from '../src/cases/arbitraries.ts';
import type { SGDSpec, TrainCase } from '../src/cases/types.ts';
import type { Claim } from '../src/runner/claim.ts';
import { precisionOf } from '../src/check/float.ts';
import { Divergence, SGD_TRAINING, fmt, isBitExact } from './support.ts';

/**
 * One parameter element's trajectory under PyTorch 1.13's SGD, given the gradient at each step,
 * with a bound on how far an implementation that rounds differently can be from it: each of the
 * update's operations may be fused or reordered (PyTorch fuses `add(x, alpha=a)` into one
 * multiply-add), which moves its result by at most 2u of the magnitudes it combines; those
 * differences then travel through the buffer (scaled by μ) and the parameter (by 1 + lr·wd).
 * `round` brings each result to the backend's dtype, so a float32 run overflows where float32 does.
 */
export function documentedSgd(p0: number, grads: number[], o: SGDSpec, u: number, round: (x: number) => number = (x) => x): { values: number[]; bounds: number[] } {
  const values: number[] = [];
  const bounds: number[] = [];
  let p = p0;
  let buf: number | null = null;
  let dp = 0;
  let dbuf = 0;
  for (const grad of grads) {
    let g = o.maximize ? -grad : grad;
    let dg = 0;
    if (o.weightDecay !== 0) {
      dg = o.weightDecay * dp + 2 * u * (Math.abs(g) + o.weightDecay * Math.abs(p));
      g = round(g + o.weightDecay * p);
    }
    if (o.momentum !== 0) {
      if (buf === null) {
        buf = g;
        dbuf = dg;
      } else {
        dbuf = o.momentum * dbuf + Math.abs(1 - o.dampening) * dg + 2 * u * (o.momentum * Math.abs(buf) + Math.abs((1 - o.dampening) * g));
        buf = round(buf * o.momentum + (1 - o.dampening) * g);
      }
      if (o.nesterov) {
        dg = dg + o.momentum * dbuf + 2 * u * (Math.abs(g) + o.momentum * Math.abs(buf));
        g = round(g + o.momentum * buf);
      } else {
        dg = dbuf;
        g = buf;
      }
    }
    dp = dp + o.lr * dg + 2 * u * (Math.abs(p) + o.lr * Math.abs(g));
    p = round(p + -o.lr * g);
    values.push(p);
    bounds.push(dp);
  }
  return { values, bounds };
}

export const sgdMatchesDocumentedUpdate: Claim = {
  id: 'sgd.matches-documented-update',
  statement: "Fed the gradients it used, SGD's parameters after every step equal PyTorch 1.13's update rule written out independently, for every momentum, dampening, nesterov, maximize and weight-decay setting the backend supports.",
  requires: [...SGD_TRAINING],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const exact = isBitExact(backend);
    const { u, eta } = precisionOf(backend.dtype);
    const cases = fc.record({
      case: A.trainCase({ steps: fc.integer({ min: 1, max: 8 }) }),
      weightDecay: A.supports('weightDecay') ? A.lambda : fc.constant(0),
      zeroGrad: A.has('train:noZeroGrad') ? fc.boolean() : fc.constant(true),
    });
    return fc.asyncProperty(cases, async ({ case: base, weightDecay, zeroGrad }) => {
      const c: TrainCase<SGDSpec> = { ...base, optimizer: { ...base.optimizer, weightDecay }, zeroGrad };
      const run = await backend.runTrain(c);
      for (const [name, init] of Object.entries(c.init)) {
        init.forEach((p0, i) => {
          const { values, bounds } = documentedSgd(p0, run.grads.map((g) => g[name][i]), c.optimizer, u, A.round);
          values.forEach((e, step) => {
            const got = run.params[step][name][i];
            // The reference does the documented arithmetic in the documented order: bit for bit.
            const agrees = Object.is(got, e) || (!exact && Math.abs(got - e) <= bounds[step] + 4 * (step + 1) * eta);
            if (!agrees) {
              const before = step === 0 ? p0 : run.params[step - 1][name][i];
              const effect = `the documented step moves it by ${fmt(e - before)}${c.optimizer.weightDecay === 0 ? '' : `, of which weight decay alone is lr·λ·w = ${fmt(c.optimizer.lr * c.optimizer.weightDecay * before)}`}`;
              throw new Divergence(`SGD and the documented rule${exact ? '' : ` (beyond ${bounds[step]})`}`, step, name, i, got, e, ['SGD', 'documented rule'], effect);
            }
          });
        });
      }
    });
  },
};

export const claims: Claim[] = [sgdMatchesDocumentedUpdate];
