/**
 * SGD against its update rule written out independently. Metamorphic claims cannot see a bug
 * both of their sides share (dampening on the first step, maximize applied at the end), so
 * this claim replays the gradients a backend used through PyTorch 1.13's algorithm, written
 * here per element and per step from torch/optim/sgd.py. (The 1.13 docstring's pseudo-code
 * applies maximize at the end; the code, which this follows, negates the gradient first.)
 */
import fc from 'fast-check';
import { lambdaArb, trainCaseArb } from '../src/cases/arbitraries.ts';
import type { SGDSpec, TrainCase } from '../src/cases/types.ts';
import type { Claim } from '../src/runner/claim.ts';
import { Divergence } from './support.ts';

/** One parameter element's trajectory under PyTorch 1.13's SGD, given the gradient at each step. */
export function documentedSgd(p0: number, grads: number[], o: SGDSpec): number[] {
  const out: number[] = [];
  let p = p0;
  let buf: number | null = null;
  for (const grad of grads) {
    let g = o.maximize ? -grad : grad;
    if (o.weightDecay !== 0) g = g + o.weightDecay * p;
    if (o.momentum !== 0) {
      buf = buf === null ? g : buf * o.momentum + (1 - o.dampening) * g;
      g = o.nesterov ? g + o.momentum * buf : buf;
    }
    p = p + -o.lr * g;
    out.push(p);
  }
  return out;
}

export const sgdMatchesDocumentedUpdate: Claim = {
  id: 'sgd.matches-documented-update',
  statement: "Fed the gradients it used, SGD's parameters after every step equal PyTorch 1.13's update rule written out independently, for every momentum, dampening, nesterov, maximize and weight-decay setting.",
  requires: ['sgd:weightDecay', 'sgd:momentum', 'sgd:dampening', 'sgd:nesterov', 'sgd:maximize'],
  property: (backend) =>
    fc.asyncProperty(trainCaseArb({ steps: fc.integer({ min: 1, max: 8 }) }), lambdaArb, fc.boolean(), async (base, weightDecay, zeroGrad) => {
      const c: TrainCase = { ...base, optimizer: { ...base.optimizer, weightDecay }, zeroGrad };
      const run = await backend.runTrain(c);
      for (const [name, init] of Object.entries(c.init)) {
        init.forEach((p0, i) => {
          const expected = documentedSgd(p0, run.grads.map((g) => g[name][i]), c.optimizer);
          expected.forEach((e, step) => {
            const got = run.params[step][name][i];
            if (!Object.is(got, e)) throw new Divergence('SGD and the documented rule', step, name, i, got, e, ['SGD', 'documented rule']);
          });
        });
      }
    }),
};

export const claims: Claim[] = [sgdMatchesDocumentedUpdate];
