/**
 * The thread's full example never calls zero_grad, so each step's gradient is added to all the
 * earlier ones. The literal and the corrected run agree at step 1 and part from step 2 on.
 */
import fc from 'fast-check';
import { arbitrariesFor } from '../src/cases/arbitraries.ts';
import type { TrainCase } from '../src/cases/types.ts';
import type { Claim } from '../src/runner/claim.ts';
import { Divergence, withPenalty } from './support.ts';

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

export const claims: Claim[] = [missingZeroGradAccumulates];
