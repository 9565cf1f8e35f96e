/**
 * Manual L2 penalties against SGD's weight_decay. The identities follow from "gradient identity
 * implies trajectory identity": weight_decay = λ adds λ·w to the gradient, and so does
 * λ·0.5·Σw². Where the reference engine computes the same numbers in the same order the claims
 * assert bit-identity; where the computation differs they state a bound derived from its roundings.
 */
import fc from 'fast-check';
import type { Backend } from '../src/backends/backend.ts';
import { referenceBackend } from '../src/backends/reference.ts';
import { arbitrariesFor } from '../src/cases/arbitraries.ts';
import type { SGDSpec, TrainCase } from '../src/cases/types.ts';
import { precisionOf } from '../src/check/float.ts';
import type { Claim, PolicyNote } from '../src/runner/claim.ts';
import { SGD_TRAINING, expectSameRuns, fmt, metamorphicSteps, withPenalty, withWeightDecay } from './support.ts';

/** Runs the manual-penalty case and the weight-decay case and asserts they agree (bit for bit on the reference). */
export async function expectPenaltyMatchesDecay(backend: Backend, c: TrainCase<SGDSpec>, recipe: string, lambda: number, decay: number, sign: 'add' | 'subtract' = 'add'): Promise<void> {
  const [manual, decayed] = await Promise.all([
    backend.runTrain(withPenalty(c, recipe, lambda, { sign })),
    backend.runTrain(withWeightDecay(c, decay)),
  ]);
  expectSameRuns(backend, c, manual, decayed, [`${sign === 'add' ? '+' : '−'}${recipe} (λ=${lambda})`, `weight_decay=${decay}`], decay);
}

/** Cases for a metamorphic penalty-versus-decay claim on this backend. */
function decayCases(backend: Backend, maximize: boolean) {
  const A = arbitrariesFor(backend);
  return { A, cases: A.trainCase({ optimizer: A.sgd({ maximize: fc.constant(maximize) }), steps: metamorphicSteps(backend) }) };
}

export const halfSquareIsWeightDecay: Claim = {
  id: 'l2.half-square-is-weight-decay',
  statement: 'With maximize off, λ·0.5·Σw² plus SGD(weightDecay 0) holds the same parameters at every step as SGD(weightDecay λ), bit for bit on the reference, for every momentum, dampening and nesterov setting the backend supports.',
  requires: [...SGD_TRAINING, 'recipe:half-pow-sum', 'sgd:weightDecay'],
  property: (backend) => {
    const { A, cases } = decayCases(backend, false);
    return fc.asyncProperty(fc.record({ case: cases, lambda: A.lambda }), ({ case: c, lambda }) => expectPenaltyMatchesDecay(backend, c, 'half-pow-sum', lambda, lambda));
  },
};

export const squareWithoutHalfIsDouble: Claim = {
  id: 'l2.square-without-half-is-double',
  statement: 'Without the 0.5, λ·Σw² holds bit-identical parameters at every step to SGD(weightDecay 2λ), not λ.',
  requires: [...SGD_TRAINING, 'recipe:pow-sum', 'sgd:weightDecay'],
  property: (backend) => {
    const { A, cases } = decayCases(backend, false);
    return fc.asyncProperty(fc.record({ case: cases, lambda: A.lambda }), ({ case: c, lambda }) => expectPenaltyMatchesDecay(backend, c, 'pow-sum', lambda, 2 * lambda));
  },
};

export const maximizeSubtractsPenalty: Claim = {
  id: 'l2.maximize-subtracted-penalty-is-weight-decay',
  statement: 'With maximize on, PyTorch negates the gradient before adding weight decay, so the penalty that matches weightDecay λ is subtracted from the maximized objective: bit-identical at every step.',
  requires: [...SGD_TRAINING, 'recipe:half-pow-sum', 'sgd:weightDecay', 'sgd:maximize'],
  property: (backend) => {
    const { A, cases } = decayCases(backend, true);
    return fc.asyncProperty(fc.record({ case: cases, lambda: A.lambda }), ({ case: c, lambda }) => expectPenaltyMatchesDecay(backend, c, 'half-pow-sum', lambda, lambda, 'subtract'));
  },
};

export const maximizeAddedPenaltyPushesOutward: Claim = {
  id: 'l2.maximize-added-penalty-pushes-outward',
  statement: 'With maximize on, adding λ·0.5·Σw² instead moves every weight outward relative to weightDecay λ: after the first step by 2·lr·λ·w (times 1 + μ with nesterov).',
  requires: [...SGD_TRAINING, 'recipe:half-pow-sum', 'sgd:weightDecay', 'sgd:maximize'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const { u, eta } = precisionOf(backend.dtype);
    const cases = A.trainCase({ optimizer: A.sgd({ maximize: fc.constant(true) }), steps: fc.constant(1) });
    return fc.asyncProperty(fc.record({ case: cases, lambda: A.positiveLambda }), async ({ case: c, lambda }) => {
      const [added, decayed] = await Promise.all([backend.runTrain(withPenalty(c, 'half-pow-sum', lambda)), backend.runTrain(withWeightDecay(c, lambda))]);
      const { lr, momentum, nesterov } = c.optimizer;
      const gain = nesterov ? 1 + momentum : 1;
      for (const [name, w0] of Object.entries(c.init)) {
        const g = decayed.grads[0][name];
        w0.forEach((w, i) => {
          const pa = added.params[0][name][i];
          const pd = decayed.params[0][name][i];
          const expected = 2 * lr * lambda * w * gain;
          // Each side is p + lr·(±g ± λw)·gain with at most six roundings of terms no larger
          // than |p| and lr·gain·(|g| + λ|w|), each also off by up to ETA/2 in the subnormal
          // range; the difference inherits both sides' errors.
          const tolerance = 6 * u * (Math.abs(pa) + Math.abs(pd) + 2 * lr * gain * (Math.abs(g[i]) + lambda * Math.abs(w))) + 6 * eta;
          if (!(Math.abs(pa - pd - expected) <= tolerance)) {
            throw new Error(`${name}[${i}]: added-penalty minus weight-decay parameter is ${fmt(pa - pd)}, expected 2·lr·λ·w·${gain} = ${fmt(expected)} (tolerance ${tolerance})`);
          }
        });
      }
    });
  },
};

/** The first-step gradients of the same case with the penalty and without it. */
async function penaltyGradients(backend: Backend, c: TrainCase<SGDSpec>, recipe: string, lambda: number) {
  const [penalized, plain] = await Promise.all([backend.runTrain(withPenalty(c, recipe, lambda)), backend.runTrain(withWeightDecay(c, 0))]);
  return { penalized: penalized.grads[0], plain: plain.grads[0] };
}

export const halfNormSquaredWithinRounding: Claim = {
  id: 'l2.half-norm-squared-within-rounding',
  statement: 'λ·0.5·‖W‖² adds λ·w to the gradient (λ·‖W‖² adds 2λ·w) to within 3 roundings per element, for weight tensors whose squared norm does not underflow.',
  requires: [...SGD_TRAINING, 'recipe:half-norm-squared', 'recipe:norm-squared'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const { u } = precisionOf(backend.dtype);
    return fc.asyncProperty(
      fc.record({
        case: A.trainCase({ optimizer: A.sgd({ maximize: fc.constant(false) }), steps: fc.constant(1), value: A.normalRangeValue, zeroTensors: true }),
        lambda: A.positiveLambda,
        recipe: fc.constantFrom(['half-norm-squared', 1] as const, ['norm-squared', 2] as const),
      }),
      async ({ case: c, lambda, recipe: [recipe, factor] }) => {
        const { penalized, plain } = await penaltyGradients(backend, c, recipe, lambda);
        for (const [name, w0] of Object.entries(c.init)) {
          w0.forEach((w, i) => {
            const g = plain[name][i];
            const decay = factor * lambda * w;
            const expected = g + decay;
            // λ·n·(w/n): the same computed norm n multiplies and divides, so it cancels; what is
            // left is three roundings on the penalty term (≤ 3u relative) and one on each sum.
            const tolerance = 3 * u * Math.abs(decay) + 2 * u * Math.abs(expected) + 4 * u * u * Math.abs(decay);
            const got = penalized[name][i];
            if (!(Math.abs(got - expected) <= tolerance)) {
              throw new Error(`${recipe}: gradient of ${name}[${i}] is ${fmt(got)}, expected g + ${factor}λw = ${fmt(expected)} within ${tolerance}`);
            }
          });
        }
      },
    );
  },
};

export const unsquaredNormIsNotWeightDecay: Claim = {
  id: 'l2.unsquared-norm-is-not-weight-decay',
  statement: 'The unsquared λ·‖W‖ adds λ·w/‖W‖ to the gradient of each tensor W ≠ 0 (0 for W = 0), which differs from weight decay λ·w by the factor 1/‖W‖.',
  requires: [...SGD_TRAINING, 'recipe:norm'],
  property: (backend, observe) => {
    const A = arbitrariesFor(backend);
    const { u } = precisionOf(backend.dtype);
    const cases = A.trainCase({ optimizer: A.sgd({ maximize: fc.constant(false) }), steps: fc.constant(1), value: A.normalRangeValue, zeroTensors: true });
    return fc.asyncProperty(fc.record({ case: cases, lambda: A.positiveLambda }), async ({ case: c, lambda }) => {
      const { penalized, plain } = await penaltyGradients(backend, c, 'norm', lambda);
      for (const [name, w0] of Object.entries(c.init)) {
        const n = Math.hypot(...w0);
        const k = w0.length;
        // At W = 0 any vector of length ≤ λ is a valid subgradient of λ·‖W‖; PyTorch's is 0. The
        // choice c is measured as fl(g + c) − g: one rounding of |g + c| each, 2u of the sum's norm.
        const choice = w0.map((_, i) => penalized[name][i] - plain[name][i]);
        const slack = lambda * (1 + 4 * u) + 2 * u * Math.hypot(...w0.map((_, i) => penalized[name][i]));
        if (n === 0 && choice.some((d) => d !== 0) && Math.hypot(...choice) <= slack && observe !== undefined) {
          observe.policy(normAtZeroPolicy(name, choice, lambda, { init: c.init, lambda }));
          continue;
        }
        w0.forEach((w, i) => {
          const g = plain[name][i];
          const term = n === 0 ? 0 : (lambda * w) / n;
          const expected = g + term;
          // The engine's norm sums k squares (error ≤ k·u relative, halved by the sqrt) where
          // hypot is within an ulp; the term then takes two roundings, the sum one more.
          const tolerance = (k / 2 + 4) * u * Math.abs(term) + 2 * u * Math.abs(expected);
          const got = penalized[name][i];
          if (!(Math.abs(got - expected) <= tolerance)) {
            throw new Error(
              `norm: gradient of ${name}[${i}] is ${fmt(got)}, expected g + λw/‖W‖ = ${fmt(expected)} (‖W‖ = ${n}): ` +
                `it differs by ${fmt(got - expected)} where the penalty's own term is λw/‖W‖ = ${fmt(term)} (tolerance ${tolerance})`,
            );
          }
        });
      }
    });
  },
};

/** The policy note for a norm penalty whose gradient at a zero tensor is another valid subgradient than 0. */
export function normAtZeroPolicy(name: string, choice: number[], lambda: number, example: object): PolicyNote {
  return {
    // The chosen vector goes into the example: one note for the choice, whatever the tensor and λ.
    what: "the gradient of λ·‖W‖ at a zero tensor is a vector of length ≤ λ, a valid subgradient other than PyTorch's 0",
    consequence: 'a weight tensor that is exactly zero is pushed off zero by the penalty instead of staying there',
    example: { ...example, tensor: name, gradient: choice, lambda },
  };
}

/**
 * The weight-decay equivalence property run on the unsquared norm instead: it must fail. Kept as
 * evidence (fixtures/evidence/unsquared-norm-counterexample.json, replayed by l2.test.ts).
 */
export function unsquaredNormEquivalence(backend: Backend = referenceBackend()) {
  const A = arbitrariesFor(backend);
  return fc.asyncProperty(fc.record({ case: A.trainCase({ optimizer: A.sgd({ maximize: fc.constant(false) }) }), lambda: A.positiveLambda }), ({ case: c, lambda }) =>
    expectPenaltyMatchesDecay(backend, c, 'norm', lambda, lambda),
  );
}

export const claims: Claim[] = [
  halfSquareIsWeightDecay,
  squareWithoutHalfIsDouble,
  maximizeSubtractsPenalty,
  maximizeAddedPenaltyPushesOutward,
  halfNormSquaredWithinRounding,
  unsquaredNormIsNotWeightDecay,
];
