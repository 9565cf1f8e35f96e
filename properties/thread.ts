/**
 * The thread's full example never calls zero_grad, so each step's gradient is added to all the
 * earlier ones. The literal and the corrected run agree at step 1 and part from step 2 on. The
 * thread also suggests changing the weights in place, w += λ·w², which is no regularizer at all.
 */
import fc from 'fast-check';
import { arbitrariesFor } from '../src/cases/arbitraries.ts';
import { CASE_VERSION, type ExprNode, type TrainCase } from '../src/cases/types.ts';
import { precisionOf } from '../src/check/float.ts';
import type { Claim } from '../src/runner/claim.ts';
import { Divergence, fmt, withPenalty } from './support.ts';

export const missingZeroGradAccumulates: Claim = {
  id: 'thread.missing-zero-grad-accumulates',
  statement: 'Without zeroGrad, the gradient used at step t is the one used at step t − 1 plus the fresh gradient at the current parameters, bit for bit; step 1 matches the corrected run.',
  requires: ['train:noZeroGrad', 'recipe:half-pow-sum'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    return fc.asyncProperty(A.trainCase({ steps: fc.integer({ min: 2, max: 5 }) }), A.lambda, async (base, lambda) => {
      const literal = await backend.runTrain({ ...withPenalty(base, 'half-pow-sum', lambda), zeroGrad: false });
      for (let step = 0; step < base.steps; step++) {
        const state = step === 0 ? base.init : literal.params[step - 1];
        const fresh: TrainCase = { ...withPenalty(base, 'half-pow-sum', lambda), init: state, steps: 1, zeroGrad: true };
        const freshGrads = (await backend.runTrain(fresh)).grads[0];
        for (const [name, values] of Object.entries(literal.grads[step])) {
          values.forEach((g, i) => {
            const expected = step === 0 ? freshGrads[name][i] : literal.grads[step - 1][name][i] + freshGrads[name][i];
            if (!Object.is(g, expected)) throw new Divergence('the gradient without zeroGrad and the accumulated sum', step, name, i, g, expected, ['used', 'previous + fresh']);
          });
        }
      }
    });
  },
};

/** w + λ·w², as the thread's `conv.weight += lamda * (conv.weight ** 2)` computes it. */
const inplaceUpdate = (lambda: number): ExprNode => ({
  op: 'add',
  args: [{ op: 'input', name: 'w' }, { op: 'mul', args: [{ op: 'const', value: lambda }, { op: 'square', args: [{ op: 'input', name: 'w' }] }] }],
});

export const inplaceSquareUpdateIsNotDecay: Claim = {
  id: 'thread.inplace-square-update-is-not-decay',
  statement: 'Updating weights in place by w ← w + λ·w² is not weight decay: every positive weight grows (by λ·w², to rounding) while weight decay shrinks it.',
  requires: ['op:add', 'op:mul', 'op:square'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const { u } = precisionOf(backend.dtype);
    return fc.asyncProperty(fc.integer({ min: 1, max: 8 }).chain((n) => A.values(n, A.normalRangeValue)), A.positiveLambda, async (w, lambda) => {
      const result = await backend.runExpr({ kind: 'expr', version: CASE_VERSION, inputs: { w: { shape: [w.length], data: w, requiresGrad: false } }, graph: inplaceUpdate(lambda) });
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

export const claims: Claim[] = [missingZeroGradAccumulates, inplaceSquareUpdateIsNotDecay];
