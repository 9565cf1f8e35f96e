/**
 * The thread's full example never calls zero_grad, so each step's gradient is added to all the
 * earlier ones. The literal and the corrected run agree at step 1 and part from step 2 on. The
 * thread also suggests changing the weights in place, w += λ·w², which is no regularizer at all.
 */
import fc from 'fast-check';
import { arbitrariesFor } from '../src/cases/arbitraries.ts';
import type { Backend } from '../src/backends/backend.ts';
import { CASE_VERSION, type ExprNode, type TrainCase, type TrainResult } from '../src/cases/types.ts';
import { precisionOf } from '../src/check/float.ts';
import type { Claim, Observer } from '../src/runner/claim.ts';
import { gradientBound } from './fixtures-gradients.ts';
import { Divergence, SGD_TRAINING, SQUARING, fmt, isBitExact, sameGraphModel, squared, withPenalty } from './support.ts';

/** The gradient each step of a run would get fresh: a one-step run, gradients zeroed, from the parameters that step started at. */
async function freshGradients(backend: Backend, c: TrainCase, run: TrainResult): Promise<Record<string, number[]>[]> {
  const states = [c.init, ...run.params.slice(0, -1)];
  const fresh = await Promise.all(states.map((init) => backend.runTrain({ ...c, init, steps: 1, zeroGrad: true })));
  return fresh.map((r) => r.grads[0]);
}

/**
 * How far the gradient a step used may be from the one a fresh run computes at the same
 * parameters, and from the previous gradient plus that fresh one. On a bit-exact backend: not at
 * all. Elsewhere both evaluate the same objective at the same parameters, within gradientBound's
 * derivation for two implementations in the backend's dtype; accumulating adds the previous
 * gradient in some order to the data gradient d and the penalty's λ·w (|d| ≤ |fresh| + λ|w|): two
 * roundings of at most u·(|prev| + |fresh| + 2λ|w|) each, one more for our own sum, ETA/2 each in
 * the subnormal range. Null for a state within the bound of a ReLU kink.
 */
function gradientAllowance(backend: Backend, c: TrainCase, state: Record<string, number[]>): ((name: string, i: number, prev: number, fresh: number) => { fresh: number; accumulated: number }) | null {
  if (isBitExact(backend)) return () => ({ fresh: 0, accumulated: 0 });
  const bound = gradientBound({ ...c, init: state }, state, backend.dtype, backend.dtype);
  if (bound.illConditioned !== null) return null;
  const { u, eta } = precisionOf(backend.dtype);
  const lambda = c.penalty?.lambda ?? 0;
  return (name, i, prev, fresh) => {
    const own = bound.grads[name][i];
    return { fresh: own, accumulated: own + 3 * u * (Math.abs(prev) + Math.abs(fresh) + 2 * lambda * Math.abs(state[name][i])) + 3 * eta };
  };
}

/** The cases of the zero_grad claims: ReLU and identity models where the backend is not bit-exact (the bound needs them), 2–5 steps, the penalty when declared. */
function zeroGradCases(backend: Backend) {
  const A = arbitrariesFor(backend);
  const penalty = A.has('recipe:half-pow-sum') ? A.lambda : fc.constant(null);
  return fc.record({ case: A.trainCase({ model: sameGraphModel(backend, A), steps: fc.integer({ min: 2, max: 5 }) }), lambda: penalty });
}

const penalized = (c: TrainCase, lambda: number | null): TrainCase => (lambda === null ? c : withPenalty(c, 'half-pow-sum', lambda));

/** What one element's check sees: the gradient used, the previous step's, the fresh one at the same parameters, and the allowances. */
interface StepGradient {
  step: number;
  name: string;
  i: number;
  used: number;
  prev: number;
  fresh: number;
  allowance: { fresh: number; accumulated: number };
}

/**
 * Runs a case (with zeroGrad as given), computes the fresh gradient at every step's parameters
 * and hands each element to check; a step too close to a ReLU kink for the bound ends the case as
 * ill-conditioned.
 */
function checkStepGradients(backend: Backend, observe: Observer | undefined, zeroGrad: boolean, check: (e: StepGradient) => void) {
  return fc.asyncProperty(zeroGradCases(backend), async ({ case: base, lambda }) => {
    const c = penalized(base, lambda);
    const run = await backend.runTrain({ ...c, zeroGrad });
    const fresh = await freshGradients(backend, c, run);
    for (let step = 0; step < c.steps; step++) {
      const allowance = gradientAllowance(backend, c, step === 0 ? c.init : run.params[step - 1]);
      if (allowance === null) {
        observe?.illConditioned(`step ${step + 1}: a ReLU input within the rounding bound of 0`);
        return;
      }
      for (const [name, values] of Object.entries(run.grads[step])) {
        values.forEach((used, i) => {
          const prev = step === 0 ? 0 : run.grads[step - 1][name][i];
          check({ step, name, i, used, prev, fresh: fresh[step][name][i], allowance: allowance(name, i, prev, fresh[step][name][i]) });
        });
      }
    }
  });
}

const within = (x: number, y: number, limit: number) => Object.is(x, y) || Math.abs(x - y) <= limit;

export const missingZeroGradAccumulates: Claim = {
  id: 'thread.missing-zero-grad-accumulates',
  statement:
    'Without zeroGrad, the gradient used at step t is the one used at step t − 1 plus the fresh gradient at the current parameters (bit for bit on a bit-exact backend, elsewhere within the rounding bound); step 1 matches the corrected run.',
  requires: [...SGD_TRAINING, 'train:noZeroGrad', 'recipe:half-pow-sum'],
  property: (backend, observe) =>
    checkStepGradients(backend, observe, false, ({ step, name, i, used, prev, fresh, allowance }) => {
      const expected = step === 0 ? fresh : prev + fresh;
      if (!within(used, expected, allowance.accumulated)) {
        throw new Divergence('the gradient without zeroGrad and the accumulated sum', step, name, i, used, expected, ['used', 'previous + fresh'], `the previous gradient ${fmt(prev)} should add to the fresh ${fmt(fresh)}`);
      }
    }),
};

export const zeroGradGivesFreshGradients: Claim = {
  id: 'thread.zero-grad-gives-fresh-gradients',
  statement:
    "With zeroGrad on, the gradient each step uses is the fresh gradient at that step's parameters, nothing carried over from earlier steps (bit for bit on a bit-exact backend, elsewhere within the rounding bound of two evaluations).",
  requires: [...SGD_TRAINING],
  property: (backend, observe) =>
    checkStepGradients(backend, observe, true, ({ step, name, i, used, prev, fresh, allowance }) => {
      if (within(used, fresh, allowance.fresh)) return;
      const carried = step > 0 && prev !== 0 && within(used, prev + fresh, allowance.accumulated);
      const why = carried
        ? `: it is the previous step's gradient ${fmt(prev)} plus the fresh one, so zero_grad did not clear the gradients`
        : ` (beyond ${allowance.fresh}), a difference of ${fmt(used - fresh)} where zeroing should leave none`;
      throw new Error(`step ${step + 1}, parameter ${name}[${i}]: the gradient used is ${fmt(used)}, the fresh gradient at the same parameters ${fmt(fresh)}${why}`);
    }),
};

/** w + λ·w², as the thread's `conv.weight += lamda * (conv.weight ** 2)` computes it. */
const inplaceUpdate = (backend: Backend, lambda: number): ExprNode => ({
  op: 'add',
  args: [{ op: 'input', name: 'w' }, { op: 'mul', args: [{ op: 'const', value: lambda }, squared(backend, { op: 'input', name: 'w' })] }],
});

export const inplaceSquareUpdateIsNotDecay: Claim = {
  id: 'thread.inplace-square-update-is-not-decay',
  statement: 'Updating weights in place by w ← w + λ·w² is not weight decay: every positive weight grows (by λ·w², to rounding) while weight decay shrinks it.',
  requires: ['op:add', 'op:mul', SQUARING],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const { u } = precisionOf(backend.dtype);
    const cases = fc.record({ w: fc.integer({ min: 1, max: 8 }).chain((n) => A.values(n, A.normalRangeValue)), lambda: A.positiveLambda });
    return fc.asyncProperty(cases, async ({ w, lambda }) => {
      const result = await backend.runExpr({ kind: 'expr', version: CASE_VERSION, inputs: { w: { shape: [w.length], data: w, requiresGrad: false } }, graph: inplaceUpdate(backend, lambda) });
      w.forEach((wi, i) => {
        const updated = result.value.data[i];
        const expected = wi + lambda * wi * wi;
        // Three roundings (the square, the product, the sum), each within u of its result.
        if (!(Math.abs(updated - expected) <= 3 * u * (Math.abs(expected) + lambda * wi * wi))) {
          throw new Error(`w[${i}] = ${fmt(wi)}: the in-place update gives ${fmt(updated)}, expected w + λ·w² = ${fmt(expected)}`);
        }
        if (wi > 0 && !(updated >= wi)) throw new Error(`w[${i}] = ${fmt(wi)} > 0 shrank to ${fmt(updated)}: that would be decay`);
      });
    });
  },
};

export const claims: Claim[] = [missingZeroGradAccumulates, zeroGradGivesFreshGradients, inplaceSquareUpdateIsNotDecay];
