/**
 * Summing a penalty over model.parameters() penalizes the biases too. Filtering the biases out by
 * name is exactly the parameter-group setup that gives them weightDecay 0.
 */
import fc from 'fast-check';
import { precisionOf } from '../src/check/float.ts';
import { arbitrariesFor } from '../src/cases/arbitraries.ts';
import type { Claim } from '../src/runner/claim.ts';
import { SGD_TRAINING, decayEffect, expectSameRuns, type Effect, fmt, isBitExact, metamorphicSteps, withPenalty } from './support.ts';

export const exclusionEqualsGroups: Claim = {
  id: 'bias.exclusion-equals-parameter-groups',
  statement: 'λ·0.5·Σw² over the weights only (biases filtered out by name) holds the same parameters at every step (bit for bit on the reference) as parameter groups giving the weights weightDecay λ and the biases weightDecay 0.',
  requires: [...SGD_TRAINING, 'recipe:half-pow-sum', 'sgd:weightDecay', 'train:groups'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const cases = A.trainCase({ optimizer: A.sgd({ maximize: fc.constant(false) }), steps: metamorphicSteps(backend) });
    return fc.asyncProperty(fc.record({ case: cases, lambda: A.lambda }), async ({ case: c, lambda }) => {
      const grouped = { ...c, groups: [{ select: 'weights' as const, weightDecay: lambda }, { select: 'biases' as const, weightDecay: 0 }] };
      const [manual, groups] = await Promise.all([backend.runTrain(withPenalty(c, 'half-pow-sum', lambda, { select: 'weights' })), backend.runTrain(grouped)]);
      // λ bounds the decay of every parameter (the biases have none), so it serves the bounded comparison.
      const decay = decayEffect(c, groups, lambda);
      const effect: Effect = (step, name, i) => (name.endsWith('.bias') ? 'neither run should decay a bias' : decay(step, name, i));
      expectSameRuns(backend, c, manual, groups, ['weights-only penalty', 'parameter groups'], lambda, effect);
    });
  },
};

export const allParametersPenalizeBiases: Claim = {
  id: 'bias.all-parameters-penalize-biases',
  statement:
    'Summing the penalty over every parameter shrinks each bias b too: after one step it differs from the weights-only run by −lr·λ·b (times 1 + μ with nesterov), while the weights agree (bit for bit on a bit-exact backend, elsewhere to rounding).',
  requires: [...SGD_TRAINING, 'recipe:half-pow-sum'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const P = precisionOf(backend.dtype);
    const exact = isBitExact(backend);
    const cases = A.trainCase({ optimizer: A.sgd({ maximize: fc.constant(false) }), steps: fc.constant(1) });
    return fc.asyncProperty(fc.record({ case: cases, lambda: A.positiveLambda }), async ({ case: c, lambda }) => {
      const [all, weightsOnly] = await Promise.all([
        backend.runTrain(withPenalty(c, 'half-pow-sum', lambda, { select: 'all' })),
        backend.runTrain(withPenalty(c, 'half-pow-sum', lambda, { select: 'weights' })),
      ]);
      const { lr, momentum, nesterov } = c.optimizer;
      const gain = nesterov ? 1 + momentum : 1;
      for (const [name, b0] of Object.entries(c.init)) {
        const isBias = name.endsWith('.bias');
        b0.forEach((b, i) => {
          const pa = all.params[0][name][i];
          const pw = weightsOnly.params[0][name][i];
          const g = weightsOnly.grads[0][name][i];
          const expected = isBias ? -lr * lambda * b * gain : 0;
          // Each side is b − lr·gain·(g [+ λb]) with at most five roundings on terms bounded
          // by |b| and lr·gain·(|g| + λ|b|); ETA/2 per rounding in the subnormal range. A weight's
          // gradient is the same sum on both sides, but a backend may order it differently
          // (the penalty has more terms in one run): four roundings more of its terms.
          const tolerance = 5 * P.u * (Math.abs(pa) + Math.abs(pw) + 2 * lr * gain * (Math.abs(g) + lambda * Math.abs(b))) + 5 * P.eta;
          if (!isBias) {
            // The same operations in the same order on the reference: the same bits.
            const same = exact ? Object.is(pa, pw) : Math.abs(pa - pw) <= tolerance + 4 * P.u * lr * gain * (Math.abs(g) + lambda * Math.abs(b));
            if (!same) throw new Error(`weight ${name}[${i}] differs: ${fmt(pa)} versus ${fmt(pw)}, where the biases' penalty should not touch it`);
            return;
          }
          if (!(Math.abs(pa - pw - expected) <= tolerance)) {
            throw new Error(`bias ${name}[${i}]: all-parameter minus weights-only is ${fmt(pa - pw)}, expected −lr·λ·b·${gain} = ${fmt(expected)} within ${tolerance}`);
          }
        });
      }
    });
  },
};

export const claims: Claim[] = [exclusionEqualsGroups, allParametersPenalizeBiases];
