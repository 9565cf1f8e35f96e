/**
 * Differential claims: the backend against the reference engine, one step at a time from the
 * reference's state. Along a whole trajectory a one-ulp difference may legitimately grow (a ReLU
 * flips, the loss's curvature amplifies it), so each step restarts both sides from the
 * reference's parameters and compares what that single step computes, within the bound
 * gradientBound derives from the network's roundings in both dtypes. A step whose ReLU inputs sit
 * within that bound of the kink is ill-conditioned: it is set aside and counted, neither passed
 * nor failed.
 */
import fc from 'fast-check';
import type { Backend } from '../src/backends/backend.ts';
import { referenceBackend } from '../src/backends/reference.ts';
import { arbitrariesFor } from '../src/cases/arbitraries.ts';
import type { ModelSpec, SGDSpec, TrainCase } from '../src/cases/types.ts';
import { precisionOf } from '../src/check/float.ts';
import type { Claim } from '../src/runner/claim.ts';
import { gradientBound } from './fixtures-gradients.ts';
import { fmt, withPenalty } from './support.ts';

/** ReLU and identity layers: the rounding bound covers those (tanh's error has no such closed form). */
const boundedModelArb: fc.Arbitrary<ModelSpec> = fc.record({
  inputSize: fc.integer({ min: 1, max: 6 }),
  layers: fc.array(fc.record({ outFeatures: fc.integer({ min: 1, max: 6 }), activation: fc.constantFrom<'relu' | 'identity'>('relu', 'identity') }), { minLength: 1, maxLength: 3 }),
});

/** Recipes the bound knows, in the graph. */
const BOUNDED_RECIPES = ['half-pow-sum', 'pow-sum', 'half-norm-squared', 'norm-squared', 'norm', 'l1'];

const reference = referenceBackend();

export const stepsMatchReference: Claim = {
  id: 'diff.steps-match-reference',
  statement: "From each of the reference's states along a run, one step on the backend gives the reference's loss, gradients and updated parameters within the rounding bound of both dtypes (steps too close to a ReLU kink are set aside as ill-conditioned).",
  requires: ['recipe:half-pow-sum'],
  property: (backend, observe) => {
    const A = arbitrariesFor(backend);
    const recipes = BOUNDED_RECIPES.filter((r) => backend.capabilities.has(`recipe:${r}`));
    return fc.asyncProperty(
      A.trainCase({ model: boundedModelArb, optimizer: A.sgd({ maximize: fc.constant(false) }), steps: fc.integer({ min: 1, max: 4 }) }),
      fc.oneof(fc.constant(null), fc.tuple(fc.constantFrom(...recipes), A.positiveLambda)),
      async (base, penalty) => {
        const c: TrainCase<SGDSpec> = penalty === null ? base : withPenalty(base, penalty[0], penalty[1]);
        const trajectory = await reference.runTrain(c);
        const { u, eta } = precisionOf(backend.dtype);
        for (let step = 0; step < c.steps; step++) {
          // The state is brought to the backend's dtype, and both sides start from exactly it.
          const state = Object.fromEntries(Object.entries(step === 0 ? c.init : trajectory.params[step - 1]).map(([k, vs]) => [k, vs.map(A.round)]));
          const one: TrainCase<SGDSpec> = { ...c, init: state, steps: 1 };
          const bound = gradientBound(one, state, backend.dtype, 'float64');
          if (bound.illConditioned !== null) {
            observe?.illConditioned(`step ${step + 1}: ${bound.illConditioned}`);
            return;
          }
          const [mine, theirs] = await Promise.all([reference.runTrain(one), backend.runTrain(one)]);
          const where = `step ${step + 1} from the reference's state`;
          if (!(Math.abs(theirs.losses[0] - mine.losses[0]) <= bound.loss)) {
            throw new Error(`${where}: loss ${fmt(theirs.losses[0])} versus the reference's ${fmt(mine.losses[0])} (bound ${bound.loss})`);
          }
          const { lr, momentum, nesterov } = c.optimizer;
          const gain = nesterov ? 1 + momentum : 1;
          for (const [name, grads] of Object.entries(mine.grads[0])) {
            grads.forEach((g, i) => {
              const theirGrad = theirs.grads[0][name][i];
              if (!(Math.abs(theirGrad - g) <= bound.grads[name][i])) {
                throw new Error(`${where}: gradient of ${name}[${i}] is ${fmt(theirGrad)} versus the reference's ${fmt(g)} (bound ${bound.grads[name][i]})`);
              }
              // p − lr·gain·g: the gradients' bound scaled by the step, plus the update's own
              // roundings on each side (four, at most, of |p'| and lr·gain·|g|).
              const p = mine.params[0][name][i];
              const q = theirs.params[0][name][i];
              const limit = lr * gain * bound.grads[name][i] + 8 * u * (Math.abs(p) + lr * gain * (Math.abs(g) + bound.grads[name][i])) + 8 * eta;
              if (!(Math.abs(q - p) <= limit)) throw new Error(`${where}: parameter ${name}[${i}] after the step is ${fmt(q)} versus the reference's ${fmt(p)} (bound ${limit})`);
            });
          }
        }
      },
    );
  },
};

export const claims: Claim[] = [stepsMatchReference];
