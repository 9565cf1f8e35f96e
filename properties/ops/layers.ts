/**
 * The MSE loss and Linear layers on their own: the loss value and every parameter's gradient of
 * one step against the reference, within the rounding bound of both dtypes (gradientBound, as the
 * differential claims use it). A case whose ReLU inputs sit within that bound of the kink is set
 * aside as ill-conditioned.
 */
import fc from 'fast-check';
import type { Backend } from '../../src/backends/backend.ts';
import { arbitrariesFor, type Arbitraries } from '../../src/cases/arbitraries.ts';
import type { SGDSpec, TrainCase, TrainResult } from '../../src/cases/types.ts';
import type { Claim, Observer } from '../../src/runner/claim.ts';
import { gradientBound } from '../fixtures-gradients.ts';
import { fmt } from '../support.ts';
import { reference } from './compare.ts';
import { layerCaseArb, plainSgdArb, reductionsOf } from './training.ts';

function describeModel(c: TrainCase): string {
  const layers = c.model.layers.map((l) => `Linear(→${l.outFeatures})${l.activation === 'identity' ? '' : `+${l.activation}`}`).join(', ');
  return `MSE(${c.loss.reduction}) over ${c.data.x.length} rows of ${c.model.inputSize}, ${layers}`;
}

/** Runs one step on both and compares the loss (when asked) and every gradient within the bound. */
async function compareOneStep(backend: Backend, A: Arbitraries, c: TrainCase<SGDSpec>, observe: Observer | undefined, what: 'loss' | 'gradients'): Promise<void> {
  const state = Object.fromEntries(Object.entries(c.init).map(([k, vs]) => [k, vs.map(A.round)]));
  const bound = gradientBound(c, state, backend.dtype, 'float64');
  if (bound.illConditioned !== null) {
    observe?.illConditioned(bound.illConditioned);
    return;
  }
  const [mine, theirs]: TrainResult[] = await Promise.all([reference.runTrain(c), backend.runTrain(c)]);
  const label = describeModel(c);
  if (what === 'loss' && !(Math.abs(theirs.losses[0] - mine.losses[0]) <= bound.loss)) {
    const [got, expected] = [theirs.losses[0], mine.losses[0]];
    throw new Error(`${label}: the loss is ${fmt(got)}, the reference's ${fmt(expected)} (bound ${bound.loss}; ratio ${fmt(got / expected)})`);
  }
  for (const [name, grads] of Object.entries(mine.grads[0])) {
    grads.forEach((g, i) => {
      const got = theirs.grads[0][name][i];
      if (!(Math.abs(got - g) <= bound.grads[name][i])) {
        throw new Error(`${label}: the gradient of ${name}[${i}] is ${fmt(got)}, the reference's ${fmt(g)} (bound ${bound.grads[name][i]}; ratio ${fmt(got / g)})`);
      }
    });
  }
}

export function mseClaim(reduction: 'mean' | 'sum'): Claim {
  return {
    id: `ops.mse.${reduction}`,
    statement:
      `MSELoss('${reduction}') gives the reference's loss and gradients${reduction === 'mean' ? ' (dividing by every element, N·D)' : ''}, ` +
      'within the rounding bound of both dtypes.',
    requires: ['layer:linear', `loss:mse:${reduction}`, 'optimizer:sgd'],
    property: (backend, observe) => {
      const A = arbitrariesFor(backend);
      return fc.asyncProperty(layerCaseArb(backend, plainSgdArb(backend), 1, [reduction]), (c) => compareOneStep(backend, A, c, observe, 'loss'));
    },
  };
}

export const linearGradients: Claim = {
  id: 'ops.linear.gradients',
  statement:
    "Linear layers' weight and bias gradients over a batch (the bias's summed over the rows) match the reference's " +
    'within the rounding bound of both dtypes.',
  requires: ['layer:linear', 'loss:mse:mean', 'optimizer:sgd'],
  property: (backend, observe) => {
    const A = arbitrariesFor(backend);
    return fc.asyncProperty(layerCaseArb(backend, plainSgdArb(backend), 1, reductionsOf(backend)), (c) => compareOneStep(backend, A, c, observe, 'gradients'));
  },
};

export const claims: Claim[] = [mseClaim('mean'), mseClaim('sum'), linearGradients];
