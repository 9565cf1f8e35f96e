/**
 * A training loop with zero_grad on: the gradient each step records is a fresh gradient at that
 * step's parameters, checked on the backend itself (a second run from the parameters the first
 * reached). A zero_grad that does nothing shows here by name, as the sum of two gradients.
 */
import fc from 'fast-check';
import type { TrainCase } from '../../src/cases/types.ts';
import type { Claim } from '../../src/runner/claim.ts';
import { gradientBound } from '../fixtures-gradients.ts';
import { fmt } from '../support.ts';
import { layerCaseArb, plainSgdArb, reductionsOf } from './training.ts';

export const zeroGradGivesFreshGradients: Claim = {
  id: 'ops.train.zero-grad-gives-fresh-gradients',
  statement:
    'With zeroGrad on, the gradient recorded at step 2 equals the gradient a fresh run computes at the parameters step 1 reached, ' +
    "on the same backend (within twice the backend's rounding bound).",
  requires: ['layer:linear', 'loss:mse:mean', 'optimizer:sgd'],
  property: (backend, observe) =>
    fc.asyncProperty(layerCaseArb(backend, plainSgdArb(backend), 2, reductionsOf(backend)), async (c) => {
      const run = await backend.runTrain(c);
      const fresh: TrainCase = { ...c, init: run.params[0], steps: 1 };
      const bound = gradientBound(fresh, run.params[0], backend.dtype, backend.dtype);
      if (bound.illConditioned !== null) {
        observe?.illConditioned(bound.illConditioned);
        return;
      }
      const again = await backend.runTrain(fresh);
      for (const [name, grads] of Object.entries(again.grads[0])) {
        grads.forEach((g, i) => {
          const recorded = run.grads[1][name][i];
          if (!(Math.abs(recorded - g) <= bound.grads[name][i])) {
            const stale = run.grads[0][name][i];
            const gap = `step 2's gradient of ${name}[${i}] is ${fmt(recorded)}, a fresh gradient at the same parameters ${fmt(g)}`;
            const hint = `step 1's was ${fmt(stale)}, and the two add up to ${fmt(stale + g)}: is zero_grad clearing the gradients?`;
            throw new Error(`${gap} (bound ${bound.grads[name][i]}); ${hint}`);
          }
        });
      }
    }),
};

export const claims: Claim[] = [zeroGradGivesFreshGradients];
