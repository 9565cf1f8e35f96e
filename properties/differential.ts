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
import { referenceBackend } from '../src/backends/reference.ts';
import { arbitrariesFor } from '../src/cases/arbitraries.ts';
import type { SGDSpec, TrainCase } from '../src/cases/types.ts';
import { add, neg, relu } from '../src/engine/index.ts';
import { precisionOf } from '../src/check/float.ts';
import type { Claim } from '../src/runner/claim.ts';
import { gradientBound } from './fixtures-gradients.ts';
import { SGD_TRAINING, fmt, withPenalty } from './support.ts';


/** Recipes the bound knows, in the graph. */
const BOUNDED_RECIPES = ['half-pow-sum', 'pow-sum', 'half-norm-squared', 'norm-squared', 'norm', 'l1'];

const reference = referenceBackend();

/**
 * The reference with ReLU's other extreme subgradient at 0 (relu'(0) = 1, computed as x + relu(−x),
 * equal to relu(x) in value): a backend that agrees with it where the reference does not has made
 * that choice, which is policy, not error.
 */
const reluOneAtZero = referenceBackend({ name: "reference with relu'(0) = 1", activations: { relu: (x) => add(x, relu(neg(x))) } });

interface Kinks {
  /** How far another valid choice at the penalty's kink may move an element of the gradient (0 where there is no kink). */
  slack(name: string, i: number): number;
  /** Parameters that are zero tensors under the unsquared norm: their gradient may move by any vector of length ≤ λ. */
  zeroNormTensors: Set<string>;
  lambda: number;
}

/** Where the case's penalty meets its kink at this state: exact zero weights under L1, zero tensors under the unsquared norm. */
function penaltyKinks(c: TrainCase, state: Record<string, number[]>): Kinks {
  const penalty = c.penalty;
  const covered = (name: string) => penalty !== null && (penalty.select === 'all' || (penalty.select === 'weights') === name.endsWith('.weight'));
  const l1 = penalty?.recipe === 'l1';
  const zeroNormTensors = new Set(
    penalty?.recipe === 'norm' ? Object.keys(state).filter((name) => covered(name) && state[name].every((w) => w === 0)) : [],
  );
  return {
    slack: (name, i) => (l1 && covered(name) && state[name][i] === 0 ? penalty!.lambda : 0),
    zeroNormTensors,
    lambda: penalty?.lambda ?? 0,
  };
}

/** One choice at a kink: its kind (what a policy note counts) and where this case met it. */
interface KinkChoice {
  kind: string;
  where: string;
}

/**
 * Whether the backend's gradients are the reference's (or the relu'(0) = 1 variant's) up to the
 * bound plus another valid subgradient at the penalty's kinks. Returns the choice made, or null.
 */
function kinkChoice(theirs: Record<string, number[]>, base: Record<string, number[]>, bound: Record<string, number[]>, kinks: Kinks): KinkChoice[] | null {
  const choices: KinkChoice[] = [];
  for (const [name, grads] of Object.entries(base)) {
    if (kinks.zeroNormTensors.has(name)) {
      const moved = grads.map((g, i) => Math.max(0, Math.abs(theirs[name][i] - g) - bound[name][i]));
      // hypot is within an ulp of the length; the rounding of each element is already in `bound`.
      if (!(Math.hypot(...moved) <= kinks.lambda * (1 + 2 * Number.EPSILON))) return null;
      if (moved.some((d) => d > 0)) choices.push({ kind: "the unsquared norm's gradient at a zero tensor", where: name });
      continue;
    }
    for (let i = 0; i < grads.length; i++) {
      const excess = Math.abs(theirs[name][i] - grads[i]) - bound[name][i];
      if (!(excess <= kinks.slack(name, i))) return null;
      if (excess > 0) choices.push({ kind: "L1's gradient at an exact zero weight", where: `${name}[${i}]` });
    }
  }
  return choices;
}

export const stepsMatchReference: Claim = {
  id: 'diff.steps-match-reference',
  statement: "From each of the reference's states along a run, one step on the backend gives the reference's loss, gradients and updated parameters within the rounding bound of both dtypes (steps too close to a ReLU kink are set aside as ill-conditioned).",
  requires: [...SGD_TRAINING],
  property: (backend, observe) => {
    const A = arbitrariesFor(backend);
    const recipes = BOUNDED_RECIPES.filter((r) => A.has(`recipe:${r}`));
    const penalties = recipes.length === 0 ? fc.constant(null) : fc.oneof(fc.constant(null), fc.record({ recipe: fc.constantFrom(...recipes), lambda: A.positiveLambda }));
    // ReLU and identity layers: the rounding bound covers those (tanh's error has no such closed form).
    const model = A.model({ activations: ['relu', 'identity'], maxWidth: 6 });
    const cases = fc.record({ case: A.trainCase({ model, optimizer: A.sgd({ maximize: fc.constant(false) }), steps: fc.integer({ min: 1, max: 4 }) }), penalty: penalties });
    return fc.asyncProperty(cases, async ({ case: base, penalty }) => {
        const c: TrainCase<SGDSpec> = penalty === null ? base : withPenalty(base, penalty.recipe, penalty.lambda);
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
          // A run that has diverged (its values overflow) has no rounding bound left: the state is
          // past the stability bound, which the stability claims are about, so the case stops here.
          if (!Number.isFinite(bound.loss) || Object.values(bound.grads).some((g) => g.some((b) => !Number.isFinite(b)))) {
            observe?.illConditioned(`step ${step + 1}: the run has diverged (its rounding bound overflows)`);
            return;
          }
          const [mine, theirs] = await Promise.all([reference.runTrain(one), backend.runTrain(one)]);
          const where = `step ${step + 1} from the reference's state`;
          if (!(Math.abs(theirs.losses[0] - mine.losses[0]) <= bound.loss)) {
            throw new Error(`${where}: loss ${fmt(theirs.losses[0])} versus the reference's ${fmt(mine.losses[0])} (bound ${bound.loss})`);
          }
          const { lr, momentum, nesterov } = c.optimizer;
          const gain = nesterov ? 1 + momentum : 1;
          if (kinkChoice(theirs.grads[0], mine.grads[0], bound.grads, NO_KINKS) === null) {
            const choice = await policyChoice(one, state, theirs.grads[0], mine.grads[0], bound.grads);
            if (choice !== null) {
              const { where: at, ...note } = choice;
              observe?.policy({ ...note, example: { step: step + 1, at, case: one } });
              return;
            }
          }
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
    });
  },
};

const NO_KINKS: Kinks = { slack: () => 0, zeroNormTensors: new Set(), lambda: 0 };

/**
 * The backend's gradients differ from the reference's beyond the bound: are they another valid
 * choice at a kink this state meets? A ReLU input that is exactly 0 (judged by the variant with
 * relu'(0) = 1, which differs from the reference only there), an exact zero weight under L1, a
 * zero tensor under the unsquared norm. Returns the policy note's what and consequence, or null.
 */
async function policyChoice(one: TrainCase, state: Record<string, number[]>, theirs: Record<string, number[]>, mine: Record<string, number[]>, bound: Record<string, number[]>) {
  const kinks = penaltyKinks(one, state);
  const penaltyOnly = kinkChoice(theirs, mine, bound, kinks);
  const consequences: string[] = [];
  let found: KinkChoice[] | null = penaltyOnly;
  if (found === null && one.model.layers.some((l) => l.activation === 'relu')) {
    const variant = (await reluOneAtZero.runTrain(one)).grads[0];
    const differs = Object.entries(variant).some(([name, g]) => g.some((v, i) => !Object.is(v, mine[name][i])));
    const withRelu = differs ? kinkChoice(theirs, variant, bound, kinks) : null;
    if (withRelu !== null) {
      found = [{ kind: "relu'(0) = 1 at a ReLU input that is exactly 0", where: 'a ReLU input' }, ...withRelu];
      consequences.push('a unit whose input is exactly 0 (zero weights and bias, say) passes gradient back and trains, where PyTorch keeps it still');
    }
  }
  if (found === null || found.length === 0) return null;
  // The note names the kinds of choice only: where a case meets them goes into its example, so
  // one choice is one policy difference however many weights a case puts at the kink.
  const kinds = [...new Set(found.map((c) => c.kind))];
  if (kinds.some((k) => k.startsWith('L1'))) consequences.push('under L1 a weight that sits exactly at 0 is moved off it by lr·λ every step (no sparsity)');
  if (kinds.some((k) => k.startsWith('the unsquared'))) consequences.push('a weight tensor that is exactly zero is pushed off zero by the norm penalty instead of staying there');
  return { what: `another valid subgradient than PyTorch's: ${kinds.join('; ')}`, consequence: consequences.join('; '), where: found.map((c) => c.where) };
}

export const claims: Claim[] = [stepsMatchReference];
