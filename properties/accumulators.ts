/**
 * How the penalty is accumulated decides whether it reaches the gradients. A plain number built
 * from tensor values (item()) is a constant to autograd; the number 0 promoted by the first
 * addition is not a problem; an arbitrary leaf start only offsets the loss.
 */
import fc from 'fast-check';
import { precisionOf } from '../src/check/float.ts';
import { gradientBound } from './fixtures-gradients.ts';
import { arbitrariesFor } from '../src/cases/arbitraries.ts';
import type { Backend } from '../src/backends/backend.ts';
import type { TrainCase, TrainResult } from '../src/cases/types.ts';
import type { Claim } from '../src/runner/claim.ts';
import { Divergence, SGD_TRAINING, expectIdenticalTrajectories, expectSameGradients, fmt, isBitExact, sameGraphModel, withPenalty, withWeightDecay } from './support.ts';

/**
 * Two runs whose objectives differ by a constant: bit-identical gradients and parameters at every
 * step on a bit-exact backend; elsewhere the first step's gradients within expectSameGradients'
 * derived bound for c's objective (later steps would carry the dynamics' amplification of those roundings). Returns
 * false for a case too close to a ReLU kink for the bound to hold.
 */
function expectSameTraining(backend: Backend, c: TrainCase, a: TrainResult, b: TrainResult, labels: [string, string]): boolean {
  if (isBitExact(backend)) {
    a.grads.forEach((snap, step) => {
      for (const [name, values] of Object.entries(snap)) {
        values.forEach((v, i) => {
          if (!Object.is(v, b.grads[step][name][i])) throw new Divergence('the gradients', step, name, i, v, b.grads[step][name][i], labels);
        });
      }
    });
    expectIdenticalTrajectories(a, b, labels);
    return true;
  }
  return expectSameGradients(backend, c, c.init, a.grads[0], b.grads[0], (name, i, x, y, bound) =>
    `the gradients part at step 1, parameter ${name}[${i}]: ${labels[0]} ${fmt(x)} versus ${labels[1]} ${fmt(y)} (beyond the rounding bound ${bound})`,
  );
}

/**
 * Σ‖W‖ over every parameter, computed apart from the engine (hypot is within an ulp per tensor).
 * PyTorch's norm, like the engine's, sums plain squares and so underflows below about 1e-162
 * where hypot does not: the claims that use this generate weights whose squares are normal.
 */
function sumOfNorms(init: Record<string, number[]>): { total: number; elements: number } {
  const values = Object.values(init);
  return { total: values.reduce((acc, w) => acc + Math.hypot(...w), 0), elements: values.reduce((acc, w) => acc + w.length, 0) };
}

export const itemIsDetached: Claim = {
  id: 'accumulate.item-is-detached',
  statement:
    'A penalty accumulated through item() moves the loss by λ·Σ‖W‖ but leaves every gradient, and so the whole training run, as unregularized training has them: bit-identical on a bit-exact backend, elsewhere within the rounding bound of the first step.',
  requires: [...SGD_TRAINING, 'recipe:norm-item'],
  property: (backend, observe) => {
    const A = arbitrariesFor(backend);
    const P = precisionOf(backend.dtype);
    const cases = fc.record({ case: A.trainCase({ model: sameGraphModel(backend, A), value: A.normalRangeValue, steps: isBitExact(backend) ? undefined : fc.constant(1) }), lambda: A.positiveLambda });
    return fc.asyncProperty(cases, async ({ case: c, lambda }) => {
      const [detached, plain] = await Promise.all([backend.runTrain(withPenalty(c, 'norm-item', lambda)), backend.runTrain(withWeightDecay(c, 0))]);
      // The detached run computes the plain run's graph plus a constant, whose gradient is none.
      if (!expectSameTraining(backend, withWeightDecay(c, 0), detached, plain, ['item() penalty', 'no penalty'])) {
        observe?.illConditioned('a ReLU input within the rounding bound of 0');
        return;
      }
      const { total, elements } = sumOfNorms(c.init);
      const gap = detached.losses[0] - plain.losses[0];
      const expected = lambda * total;
      // The engine's Σ‖W‖ differs from the hypot sum by at most (k/2 + 2)·u relatively (k
      // elements), λ· and the final addition add one rounding each, the subtraction here one more.
      const tolerance = (elements / 2 + 4) * P.u * expected + 2 * P.u * (Math.abs(detached.losses[0]) + Math.abs(plain.losses[0])) + 4 * P.eta;
      if (!(Math.abs(gap - expected) <= tolerance)) {
        throw new Error(`the item() penalty moved the loss by ${fmt(gap)}, expected λ·Σ‖W‖ = ${fmt(expected)} within ${tolerance}`);
      }
    });
  },
};

export const fromNumberZeroStaysInGraph: Claim = {
  id: 'accumulate.from-number-zero-stays-in-graph',
  statement:
    'An accumulator that starts from the number 0 stays in the graph: its losses, gradients and parameters equal those of the accumulator that starts from the first norm (bit for bit on a bit-exact backend, elsewhere within the first step\'s rounding bound).',
  requires: [...SGD_TRAINING, 'recipe:norm-from-zero', 'recipe:norm'],
  property: (backend, observe) => {
    const A = arbitrariesFor(backend);
    const cases = fc.record({ case: A.trainCase({ model: sameGraphModel(backend, A), steps: isBitExact(backend) ? undefined : fc.constant(1) }), lambda: A.positiveLambda });
    return fc.asyncProperty(cases, async ({ case: c, lambda }) => {
      const [fromZero, fromFirst] = await Promise.all([backend.runTrain(withPenalty(c, 'norm-from-zero', lambda)), backend.runTrain(withPenalty(c, 'norm', lambda))]);
      // 0 + ‖W₁‖ is exactly ‖W₁‖, so on the reference both runs compute the same numbers; elsewhere
      // the first losses agree within the bound of two evaluations of the same objective.
      const lossBound = isBitExact(backend) ? 0 : gradientBound(withPenalty(c, 'norm', lambda), c.init, backend.dtype, backend.dtype).loss;
      (isBitExact(backend) ? fromZero.losses : fromZero.losses.slice(0, 1)).forEach((loss, step) => {
        const other = fromFirst.losses[step];
        if (!(Object.is(loss, other) || Math.abs(loss - other) <= lossBound)) {
          throw new Error(`step ${step + 1}: loss ${fmt(loss)} from 0 versus ${fmt(other)} from the first norm, which differ by ${fmt(loss - other)} where starting from 0 should change nothing`);
        }
      });
      if (!expectSameTraining(backend, withPenalty(c, 'norm', lambda), fromZero, fromFirst, ['start 0', 'start at the first norm'])) observe?.illConditioned('a ReLU input within the rounding bound of 0');
    });
  },
};

/** Whatever an uninitialised float32 buffer may hold, NaN and infinities included. */
const garbageArb = fc.oneof(fc.float({ noDefaultInfinity: false }).map(Number), fc.constantFrom(NaN, Infinity, -Infinity, 0));

export const uninitialisedLeafOffsetsLoss: Claim = {
  id: 'accumulate.uninitialised-leaf-offsets-the-loss',
  statement:
    'An accumulator that starts as an arbitrary leaf value s gives the gradients of the unsquared-norm penalty (bit for bit on a bit-exact backend, elsewhere within the rounding bound), while the loss is offset by λ·s (NaN or infinite when s is).',
  requires: [...SGD_TRAINING, 'recipe:norm-uninit-leaf', 'recipe:norm'],
  property: (backend, observe) => {
    const A = arbitrariesFor(backend);
    const P = precisionOf(backend.dtype);
    const cases = fc.record({ case: A.trainCase({ model: sameGraphModel(backend, A), steps: fc.constant(1), value: A.normalRangeValue }), lambda: A.positiveLambda, start: garbageArb });
    return fc.asyncProperty(cases, async ({ case: c, lambda, start }) => {
      const [leaf, clean] = await Promise.all([backend.runTrain(withPenalty(c, 'norm-uninit-leaf', lambda, { start })), backend.runTrain(withPenalty(c, 'norm', lambda))]);
      if (!expectSameTraining(backend, withPenalty(c, 'norm', lambda), { ...leaf, params: clean.params }, clean, [`leaf start ${fmt(start)}`, 'no start value'])) {
        observe?.illConditioned('a ReLU input within the rounding bound of 0');
        return;
      }
      const offset = lambda * start;
      const got = leaf.losses[0];
      if (!Number.isFinite(offset) || !Number.isFinite(clean.losses[0])) {
        const expected = clean.losses[0] + offset;
        if (!Object.is(got, expected)) throw new Error(`loss ${fmt(got)} with start ${fmt(start)}, expected ${fmt(expected)}`);
        return;
      }
      const { total, elements } = sumOfNorms(c.init);
      // Both losses are mse + λ·(sum of norms), one with s in the sum: each side carries the
      // sum's roundings ((k + 2)·u of |s| + Σ‖W‖) and the final addition's.
      const tolerance = (elements + 4) * P.u * lambda * (Math.abs(start) + total) + 2 * P.u * (Math.abs(got) + Math.abs(clean.losses[0])) + 4 * P.eta;
      if (!(Math.abs(got - clean.losses[0] - offset) <= tolerance)) {
        throw new Error(`the leaf start moved the loss by ${fmt(got - clean.losses[0])}, expected λ·s = ${fmt(offset)} within ${tolerance}`);
      }
    });
  },
};

export const claims: Claim[] = [itemIsDetached, fromNumberZeroStaysInGraph, uninitialisedLeafOffsetsLoss];
