/**
 * Pure L2 descent (the penalty alone) is a linear iteration, so whether a regularized run
 * explodes is decided by a = lr·λ and the momentum settings. The cases use zero inputs, zero
 * targets and zero biases, so the data loss and its gradient vanish and the weights feel λ only.
 */
import fc from 'fast-check';
import { precisionOf } from '../src/check/float.ts';
import { arbitrariesFor, type Arbitraries, type Reduction } from '../src/cases/arbitraries.ts';
import { doubleInRange } from '../src/cases/double.ts';
import { CASE_VERSION, type SGDSpec, type TrainCase } from '../src/cases/types.ts';
import type { Claim } from '../src/runner/claim.ts';
import type { Backend } from '../src/backends/backend.ts';
import { SGD_TRAINING, fmt } from './support.ts';

const norm = (values: number[]): number => Math.hypot(...values);

const weightsArb = (value: fc.Arbitrary<number>) =>
  fc
    .record({ out: fc.integer({ min: 1, max: 4 }), inp: fc.integer({ min: 1, max: 4 }) })
    .chain(({ out, inp }) => fc.record({ out: fc.constant(out), inp: fc.constant(inp), values: fc.array(value, { minLength: out * inp, maxLength: out * inp }) }));

type Weights = { out: number; inp: number; values: number[] };

function pureL2Case({ out, inp, values: weights }: Weights, lambda: number, optimizer: SGDSpec, steps: number, reduction: Reduction): TrainCase {
  return {
    kind: 'train',
    version: CASE_VERSION,
    model: { inputSize: inp, layers: [{ outFeatures: out, activation: 'identity' }] },
    init: { '0.weight': weights, '0.bias': new Array<number>(out).fill(0) },
    data: { x: [new Array<number>(inp).fill(0)], y: [new Array<number>(out).fill(0)] },
    loss: { kind: 'mse', reduction },
    penalty: { recipe: 'half-pow-sum', lambda, select: 'all', sign: 'add' },
    optimizer,
    steps,
    zeroGrad: true,
  };
}

const sgd = (lr: number, momentum = 0, dampening = 0, nesterov = false): SGDSpec => ({ kind: 'sgd', lr, momentum, dampening, nesterov, maximize: false, weightDecay: 0 });

async function weightNorms(backend: Backend, c: TrainCase): Promise<{ norms: number[]; params: number[][] }> {
  const run = await backend.runTrain(c);
  const params = [c.init['0.weight'], ...run.params.map((p) => p['0.weight'])];
  return { norms: params.map(norm), params };
}

export const plainDescentRate: Claim = {
  id: 'stability.plain-descent-rate',
  statement: 'Without momentum, pure L2 descent gives ‖w_t‖ = |1 − lr·λ|^t·‖w_0‖, so the norm never increases if and only if lr·λ ≤ 2.',
  requires: [...SGD_TRAINING, 'recipe:half-pow-sum'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const P = precisionOf(backend.dtype);
    const cases = fc.record({
      weights: weightsArb(A.num(-2, 2)),
      lambda: A.num(0.1, 2),
      lrTimesLambda: fc.oneof(A.num(0, 4), fc.constantFrom(1, 2)),
      steps: fc.integer({ min: 1, max: 40 }),
    });
    return fc.asyncProperty(cases, async ({ weights, lambda, lrTimesLambda: target, steps }) => {
        const lr = A.round(target / lambda);
        const { norms, params } = await weightNorms(backend, pureL2Case(weights, lambda, sgd(lr), steps, A.reductions[0]));
        const a = lr * lambda;
        const rate = Math.abs(1 - a);
        const k = weights.values.length;
        // Error bound carried along the computed iterates: each step is w − lr·(λ·w), three
        // roundings whose relative errors give at most u·|w_t| + 2u·a·|w_{t−1}|; in the subnormal
        // range each also errs by up to ETA/2 absolutely, and the error of λ·w is then scaled by
        // lr, so (lr + 2)·ETA/2 per element. Older errors are scaled by |1 − a| like the iterate.
        // The reference |1 − a|^t·‖w_0‖ and both norms add a few roundings of their own.
        let carried = 0;
        for (let t = 1; t < norms.length; t++) {
          carried = rate * carried + P.u * norms[t] + 3 * P.u * a * norms[t - 1] + ((lr + 2) * P.eta * Math.sqrt(k)) / 2;
          const expected = Math.pow(rate, t) * norms[0];
          const tolerance = carried + (t + k + 4) * P.u * (expected + norms[t]);
          if (!(Math.abs(norms[t] - expected) <= tolerance)) {
            throw new Error(`step ${t}: ‖w‖ = ${fmt(norms[t])}, expected |1 − ${a}|^${t}·‖w_0‖ = ${fmt(expected)} within ${tolerance}`);
          }
          // The iff, where rounding cannot blur it: a ≤ 2 never increases the norm beyond the
          // error bound; a > 2 increases it once the predicted growth exceeds that bound.
          if (a <= 2 && norms[t] > norms[t - 1] + tolerance) throw new Error(`step ${t}: lr·λ = ${a} ≤ 2 but ‖w‖ grew from ${norms[t - 1]} to ${norms[t]}`);
          if (a > 2 && expected - tolerance > norms[0] && !(norms[t] > norms[0])) throw new Error(`step ${t}: lr·λ = ${a} > 2 but ‖w‖ = ${norms[t]} has not grown from ${norms[0]}`);
        }
        if (params.length !== steps + 1) throw new Error(`expected ${steps} steps, got ${params.length - 1}`);
      });
  },
};

/** The spectral radius of z² − c1·z + c0 = 0: the largest root modulus. */
function spectralRadius(c1: number, c0: number): number {
  const disc = c1 * c1 - 4 * c0;
  if (disc >= 0) {
    const s = Math.sqrt(disc);
    return Math.max(Math.abs((c1 + s) / 2), Math.abs((c1 - s) / 2));
  }
  return Math.sqrt(c0);
}

/** Stop when the predicted growth or decay ρ^T has passed 1e8 either way. */
const DECISIVE = Math.log(1e8);
const MAX_STEPS = 6000;

interface MomentumModel {
  /** The claimed closed-form condition. */
  stable(a: number, mu: number, tau: number): boolean;
  /** Coefficients of the characteristic polynomial z² − c1·z + c0 of w_t in terms of w_{t−1}, w_{t−2}. */
  poly(a: number, mu: number, tau: number): [number, number];
  /** The largest a the condition allows. */
  bound(mu: number, tau: number): number;
}

async function checkMomentumStability(backend: Backend, A: Arbitraries, model: MomentumModel, weights: Weights, mu: number, tau: number, factor: number, nesterov: boolean, probe: number): Promise<void> {
  // Mathematics first, at a point that may sit arbitrarily close to the boundary: the
  // closed-form condition must agree with the roots of the characteristic polynomial.
  const probeA = model.bound(mu, tau) * probe;
  const [p1, p0] = model.poly(probeA, mu, tau);
  const probeRho = spectralRadius(p1, p0);
  if (Math.abs(probeRho - 1) > 1e-9 && model.stable(probeA, mu, tau) !== probeRho < 1) {
    throw new Error(`at lr·λ = ${probeA}, μ = ${mu}, τ = ${tau}: the condition says ${model.stable(probeA, mu, tau) ? 'stable' : 'unstable'} but the spectral radius is ${probeRho}`);
  }
  // Then the engine, at a point a margin away from the boundary, so that a bounded number
  // of steps decides: ρ^T passes 1e−8 or 1e8, beyond any transient of the 2×2 iteration.
  // The weights are 0 or at least 1e-100, so decay by 1e8 stays clear of the subnormal floor
  // (an iterate of 5e-324 cannot shrink: its decrement rounds to 0).
  const a = A.round(model.bound(mu, tau) * factor);
  const [c1, c0] = model.poly(a, mu, tau);
  const rho = spectralRadius(c1, c0);
  const steps = Math.ceil(DECISIVE / Math.abs(Math.log(rho))) + 2;
  if (steps > MAX_STEPS) throw new Error(`the generator produced a case too close to neutral stability (ρ = ${rho})`);
  const lambda = 1;
  const { norms } = await weightNorms(backend, pureL2Case(weights, lambda, sgd(a / lambda, mu, tau, nesterov), steps, A.reductions[0]));
  const start = norms[0];
  if (start === 0) return;
  const end = Math.max(norms[norms.length - 1], norms[norms.length - 2]);
  const stable = model.stable(a, mu, tau);
  if (stable && !(end < start * 1e-2)) throw new Error(`lr·λ = ${a}, μ = ${mu}, τ = ${tau}: stable by the condition, yet ‖w‖ went from ${start} to ${end} in ${steps} steps`);
  if (!stable && !(end > start * 1e2)) throw new Error(`lr·λ = ${a}, μ = ${mu}, τ = ${tau}: unstable by the condition, yet ‖w‖ went from ${start} to ${end} in ${steps} steps`);
}

/** A point relative to the boundary: well inside (0.05–0.9) or well outside (1.1–1.8). */
const factorArb = fc.oneof(doubleInRange(0.05, 0.9), doubleInRange(1.1, 1.8));
const probeArb = doubleInRange(0.01, 2);

// Heavy ball: v_t = μ·v_{t−1} + (1 − τ)·a·w_{t−1}, w_t = w_{t−1} − v_t, so with b = (1 − τ)·a,
// w_t = (1 + μ − b)·w_{t−1} − μ·w_{t−2}.
const heavyBall: MomentumModel = {
  stable: (a, mu, tau) => (1 - tau) * a < 2 * (1 + mu),
  poly: (a, mu, tau) => [1 + mu - (1 - tau) * a, mu],
  bound: (mu, tau) => (2 * (1 + mu)) / (1 - tau),
};

// Nesterov (τ = 0): w_t = w_{t−1} − a·w_{t−1} − μ·v_t with v_t = μ·v_{t−1} + a·w_{t−1}, so
// w_t = (1 + μ)(1 − a)·w_{t−1} − μ(1 − a)·w_{t−2}.
const nesterovModel: MomentumModel = {
  stable: (a, mu) => a < (2 * (1 + mu)) / (1 + 2 * mu),
  poly: (a, mu) => [(1 + mu) * (1 - a), mu * (1 - a)],
  bound: (mu) => (2 * (1 + mu)) / (1 + 2 * mu),
};

export const heavyBallBound: Claim = {
  id: 'stability.heavy-ball-bound',
  statement: 'With heavy-ball momentum μ and dampening τ, pure L2 descent is stable if and only if (1 − τ)·lr·λ < 2(1 + μ), which is how a regularized loss can explode.',
  requires: [...SGD_TRAINING, 'recipe:half-pow-sum', 'sgd:momentum'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const cases = fc.record({
      weights: weightsArb(A.normalRangeValue),
      momentum: A.num(0.05, 0.9),
      dampening: A.supports('dampening') ? fc.oneof(fc.constant(0), A.num(0, 0.9)) : fc.constant(0),
      factor: factorArb,
      probe: probeArb,
    });
    return fc.asyncProperty(cases, ({ weights, momentum, dampening, factor, probe }) =>
      checkMomentumStability(backend, A, heavyBall, weights, momentum, dampening, factor, false, probe),
    );
  },
};

export const nesterovBound: Claim = {
  id: 'stability.nesterov-bound',
  statement: 'With nesterov momentum μ, pure L2 descent is stable if and only if lr·λ < 2(1 + μ)/(1 + 2μ), a tighter bound than heavy ball.',
  requires: [...SGD_TRAINING, 'recipe:half-pow-sum', 'sgd:momentum', 'sgd:nesterov'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const cases = fc.record({ weights: weightsArb(A.normalRangeValue), momentum: A.num(0.05, 0.9), factor: factorArb, probe: probeArb });
    return fc.asyncProperty(cases, ({ weights, momentum, factor, probe }) => checkMomentumStability(backend, A, nesterovModel, weights, momentum, 0, factor, true, probe));
  },
};

export const claims: Claim[] = [plainDescentRate, heavyBallBound, nesterovBound];
