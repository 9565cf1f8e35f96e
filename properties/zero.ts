/**
 * Exact zeros are where norm and abs are not differentiable. PyTorch's policy, which the
 * reference follows, is the minimum-norm subgradient 0; a norm composed by hand as
 * sqrt(sum(w²)) has no such rule and its gradient at zero is 0·∞ = NaN.
 */
import fc from 'fast-check';
import { precisionOf } from '../src/check/float.ts';
import { arbitrariesFor, type Arbitraries } from '../src/cases/arbitraries.ts';
import { CASE_VERSION, type ExprCase, type ExprNode } from '../src/cases/types.ts';
import type { Claim } from '../src/runner/claim.ts';
import { SGD_TRAINING, SQUARING, fmt, isBitExact, squared, withPenalty } from './support.ts';
import type { Backend } from '../src/backends/backend.ts';

const W: ExprNode = { op: 'input', name: 'w' };
const call = (op: string, args: ExprNode[], attrs?: Record<string, number>): ExprNode => ({ op, args, attrs }) as ExprNode;
const konst = (value: number): ExprNode => ({ op: 'const', value });

function exprCase(graph: ExprNode, shape: number[], data: number[]): ExprCase {
  return { kind: 'expr', version: CASE_VERSION, inputs: { w: { shape, data, requiresGrad: true } }, graph };
}

/** A shape and values in which exact zeros (of both signs) are planted on purpose: all of them, or some. */
const zeroPlantedArb = (A: Arbitraries) =>
  fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }))
  .chain(([rows, cols]) =>
    fc.record({
      shape: fc.constant<number[]>([rows, cols]),
      data: fc.oneof(
        fc.array(fc.constantFrom(0, -0), { minLength: rows * cols, maxLength: rows * cols }),
        fc.array(fc.oneof(fc.constantFrom(0, -0), A.num(-2, 2)), { minLength: rows * cols, maxLength: rows * cols }),
      ),
    }),
  );


type Kink = { kind: 'interval'; lo: number; hi: number } | { kind: 'ball'; radius: number } | { kind: 'none' };

interface KinkedGraph {
  label: string;
  graph: ExprNode;
  /** The subdifferential at a zero element: an interval per coordinate, a ball at the zero tensor, or none (differentiable). */
  kink: Kink;
  consequence: string;
}

const L1_CONSEQUENCE = 'under an L1 penalty a weight that sits exactly at 0 is moved off it by lr·λ every step, so L1 no longer keeps exact zeros (no sparsity)';

/**
 * The penalties at issue, and ReLU, as op graphs built from the ops the backend declares, each
 * with its subdifferential at zero: for norm p = 1 and λ·Σ|w| any value in [−c, c] (c = 1 and λ),
 * for norm p = 2 at the zero tensor any vector of length ≤ 1, for Σ relu(w) any value in [0, 1];
 * λ·0.5·Σw² is differentiable there.
 */
function kinkedGraphs(backend: Backend, lambda: number): KinkedGraph[] {
  const has = (op: string) => backend.capabilities.has(`op:${op}`);
  const graphs: KinkedGraph[] = [];
  if (has('norm')) {
    graphs.push(
      { label: 'norm(w, 1)', graph: call('norm', [W], { p: 1 }), kink: { kind: 'interval', lo: -1, hi: 1 }, consequence: L1_CONSEQUENCE },
      {
        label: 'norm(w, 2)',
        graph: call('norm', [W], { p: 2 }),
        kink: { kind: 'ball', radius: 1 },
        consequence: 'a weight tensor that is exactly zero is pushed off zero by the penalty instead of staying there',
      },
    );
  }
  if (has('abs')) {
    graphs.push({ label: 'l1Penalty', graph: call('mul', [konst(lambda), call('sum', [call('abs', [W])])]), kink: { kind: 'interval', lo: -lambda, hi: lambda }, consequence: L1_CONSEQUENCE });
  }
  if (has('relu')) {
    graphs.push({
      label: 'sum(relu(w))',
      graph: call('sum', [call('relu', [W])]),
      kink: { kind: 'interval', lo: 0, hi: 1 },
      consequence: 'a unit whose input is exactly 0 (a dead unit, zero weights and bias) passes gradient back and trains, where PyTorch keeps it still',
    });
  }
  graphs.push({ label: 'l2Penalty', graph: call('mul', [konst(lambda), call('mul', [konst(0.5), call('sum', [squared(backend, W)])])]), kink: { kind: 'none' }, consequence: '' });
  return graphs;
}

/** Whether gradients at the zeros are another valid choice from the subdifferential. */
function validChoice(kink: Kink, grad: number[], data: number[]): boolean {
  const atZeros = grad.filter((_, i) => data[i] === 0);
  if (kink.kind === 'interval') return atZeros.every((g) => g >= kink.lo && g <= kink.hi);
  if (kink.kind === 'ball') return data.every((w) => w === 0) && Math.hypot(...grad) <= kink.radius * (1 + 4 * Number.EPSILON);
  return false;
}

export const subgradientIsZeroAtZero: Claim = {
  id: 'zero.subgradient-is-zero-at-zero',
  statement:
    'norm (p = 1, 2), l1Penalty, Σ relu(w) and l2Penalty, for the ops the backend has, give a gradient of exactly 0 at every exact zero, +0 or −0, in all-zero and partly-zero tensors (another valid subgradient is reported as a policy difference).',
  requires: ['op:sum', 'op:mul'],
  property: (backend, observe) => {
    const A = arbitrariesFor(backend);
    return fc.asyncProperty(fc.record({ w: zeroPlantedArb(A), lambda: A.positiveLambda }), async ({ w: { shape, data }, lambda }) => {
      for (const { label, graph, kink, consequence } of kinkedGraphs(backend, lambda)) {
        const result = await backend.runExpr(exprCase(graph, shape, data));
        const grad = result.grads.w;
        if (grad === null) throw new Error(`${label}: no gradient reached w`);
        // === treats −0 as 0: the claim is about the value, and g·(−0) legitimately gives −0.
        const i = data.findIndex((w, k) => w === 0 && grad[k] !== 0);
        if (i < 0) continue;
        if (!validChoice(kink, grad, data) || observe === undefined) {
          throw new Error(`${label}: gradient at w[${i}] = ${fmt(data[i])} is ${fmt(grad[i])}, expected 0${kink.kind === 'none' ? ' (no kink here: the function is differentiable at 0)' : ' or another valid subgradient'}`);
        }
        // The value chosen goes into the example, not the note: one choice per graph, whatever λ.
        observe.policy({ what: `${label} has another valid subgradient than PyTorch's 0 at an exact zero`, consequence, example: { shape, data, lambda, gradient: grad[i] } });
      }
    });
  },
};

/** Recipes whose penalty is in the graph and has a kink or a singularity at zero. */
const inGraphRecipes = ['half-pow-sum', 'pow-sum', 'half-norm-squared', 'norm-squared', 'norm', 'norm-from-zero', 'l1'];

/** Past this size a run is diverging (the stability claims cover that); finiteness is checked up to it. */
const DIVERGED = 1e100;

export const trainingFromZeroStaysFinite: Claim = {
  id: 'zero.training-from-zero-stays-finite',
  statement: 'Training from an all-zero initialisation with any in-graph penalty keeps every loss, gradient and parameter finite (until a run diverges past 1e100, which is the stability claims\' subject).',
  requires: [...SGD_TRAINING, inGraphRecipes.map((r) => `recipe:${r}`).join('|')],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const recipes = inGraphRecipes.filter((r) => A.has(`recipe:${r}`));
    const cases = fc.record({ case: A.trainCase({ value: fc.constant(0) }), lambda: A.positiveLambda, recipe: fc.constantFrom(...recipes) });
    return fc.asyncProperty(cases, async ({ case: c, lambda, recipe }) => {
      const run = await backend.runTrain(withPenalty({ ...c, init: zeroInit(c.init) }, recipe, lambda));
      for (let step = 0; step < run.losses.length; step++) {
        const before = step === 0 ? c.init : run.params[step - 1];
        if (Object.values(before).some((vs) => vs.some((v) => Math.abs(v) > DIVERGED))) return;
        const bad = firstNonFinite(run.losses[step], run.grads[step], run.params[step]);
        if (bad !== null) throw new Error(`${recipe}: ${bad} at step ${step + 1} from an all-zero start`);
      }
    });
  },
};

function firstNonFinite(loss: number, grads: Record<string, number[]>, params: Record<string, number[]>): string | null {
  if (!Number.isFinite(loss)) return `the loss is ${fmt(loss)}`;
  for (const [what, snap] of [['gradient', grads], ['parameter', params]] as const) {
    for (const [name, vs] of Object.entries(snap)) {
      const i = vs.findIndex((v) => !Number.isFinite(v));
      if (i >= 0) return `the ${what} ${name}[${i}] is ${fmt(vs[i])}`;
    }
  }
  return null;
}

const zeroInit = (init: Record<string, number[]>): Record<string, number[]> =>
  Object.fromEntries(Object.entries(init).map(([name, vs]) => [name, vs.map(() => 0)]));


export const composedSqrtIsNanAtZero: Claim = {
  id: 'zero.composed-sqrt-is-nan-at-zero',
  statement: 'A documented pitfall: sqrt(sum(w²)) has a NaN gradient in every element at the zero tensor, where norm(w) gives 0; away from zero (squares not underflowing) the two gradients agree to rounding.',
  requires: ['op:sqrt', SQUARING, 'op:sum', 'op:norm'],
  property: (backend, observe) => {
    const composedNorm = call('sqrt', [call('sum', [squared(backend, W)])]);
    const A = arbitrariesFor(backend);
    const P = precisionOf(backend.dtype);
    return fc.asyncProperty(
      fc.record({ w: fc.integer({ min: 1, max: 12 }).chain((n) => fc.oneof(A.values(n, A.normalRangeValue), fc.constant(new Array<number>(n).fill(0)))) }),
      async ({ w: data }) => {
        const n = data.length;
        const [composed, builtin] = await Promise.all([backend.runExpr(exprCase(composedNorm, [n], data)), backend.runExpr(exprCase(call('norm', [W], { p: 2 }), [n], data))]);
        const gc = composed.grads.w!;
        const gb = builtin.grads.w!;
        const sumSquares = data.reduce((acc, w) => acc + w * w, 0);
        if (sumSquares === 0) {
          gc.forEach((g, i) => {
            if (!Number.isNaN(g)) throw new Error(`sqrt(sum(w²)) at the zero tensor: gradient[${i}] is ${fmt(g)}, expected NaN`);
          });
          const i = gb.findIndex((g) => g !== 0);
          if (i < 0) return;
          if (!(Math.hypot(...gb) <= 1 + 4 * P.u) || observe === undefined) throw new Error(`norm at the zero tensor: gradient[${i}] is ${fmt(gb[i])}, expected 0 (or another vector of length ≤ 1)`);
          observe.policy({
            what: "norm(w, 2) has a gradient of length ≤ 1 at the zero tensor, a valid subgradient other than PyTorch's 0",
            consequence: 'a weight tensor that is exactly zero is pushed off zero by a norm penalty instead of staying there',
            example: { n, data, gradient: gb },
          });
          return;
        }
        // On the reference both compute the same n = sqrt(Σw²); the gradients are fl(fl(1/(2n))·fl(2w))
        // and fl(w·fl(1/n)): two roundings each, so at most 4u (plus second order) apart, and an
        // P.eta-sized absolute error where a product lands in the subnormal range. Another backend's
        // norm may sum the n squares in another order than its sum op: each n is then within
        // (n/2 + 1)·u of the true norm, so the two gradients another (n + 2)·u apart.
        const orders = isBitExact(backend) ? 0 : (n + 2) * P.u;
        gc.forEach((g, i) => {
          if (!(Math.abs(g - gb[i]) <= (orders + 4 * P.u * (1 + 4 * P.u)) * Math.abs(gb[i]) + 2 * P.eta)) {
            throw new Error(`away from zero: sqrt(sum(w²)) gradient[${i}] ${fmt(g)} versus norm ${fmt(gb[i])}`);
          }
        });
      },
    );
  },
};

export const claims: Claim[] = [subgradientIsZeroAtZero, trainingFromZeroStaysFinite, composedSqrtIsNanAtZero];
