/** Shared pieces of the claims: case edits and comparisons that say exactly where two runs part. */
import fc from 'fast-check';
import type { Backend, Capability } from '../src/backends/backend.ts';
import { ARITH_REFERENCE, LAYER_LINEAR, LOSS_MSE_MEAN, LOSS_MSE_SUM, optimizerCapability } from '../src/backends/capabilities.ts';
import { precisionOf } from '../src/check/float.ts';
import type { Arbitraries } from '../src/cases/arbitraries.ts';
import type { ExprNode, ModelSpec, PenaltySpec, SGDSpec, TrainCase, TrainResult } from '../src/cases/types.ts';
import { gradientBound } from './fixtures-gradients.ts';

/** What every training case uses: Linear layers and one of the MSE reductions (the arbitraries pick a declared one). */
export const TRAINING: readonly Capability[] = [LAYER_LINEAR, `${LOSS_MSE_MEAN}|${LOSS_MSE_SUM}`];

/** Training cases with SGD. */
export const SGD_TRAINING: readonly Capability[] = [...TRAINING, optimizerCapability('sgd')];

/** x², through whichever op the backend has: square, pow with exponent 2, or x·x (each exact to one rounding of x²). */
export const SQUARING = 'op:square|op:pow|op:mul';

export function squared(backend: Backend, x: ExprNode): ExprNode {
  if (backend.capabilities.has('op:square')) return { op: 'square', args: [x] };
  if (backend.capabilities.has('op:pow')) return { op: 'pow', args: [x], attrs: { exponent: 2 } };
  return { op: 'mul', args: [x, x] };
}

export function withPenalty<C extends TrainCase<any>>(c: C, recipe: string, lambda: number, extra: Partial<PenaltySpec> = {}): C {
  const penalty: PenaltySpec = { recipe, lambda, select: 'all', sign: 'add', ...extra };
  return { ...c, penalty };
}

export function withWeightDecay<C extends TrainCase<any>>(c: C, weightDecay: number): C {
  return { ...c, penalty: null, optimizer: { ...c.optimizer, weightDecay } };
}

export class Divergence extends Error {
  /** `effect`, when given, says what the compared feature should have done to this element, so the gap reads against it. */
  constructor(what: string, step: number, param: string, element: number, a: number, b: number, labels: [string, string], effect?: string) {
    super(
      `${what} part at step ${step + 1}, parameter ${param}[${element}]: ${labels[0]} ${fmt(a)} versus ${labels[1]} ${fmt(b)}` +
        (effect === undefined ? '' : `, which differ by ${fmt(Math.abs(a - b))} where ${effect}`),
    );
    this.name = 'Divergence';
  }
}

export function fmt(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/** What a compared feature should have done to one element at one step (for Divergence's effect), or undefined. */
export type Effect = (step: number, name: string, element: number) => string | undefined;

/** Asserts two runs hold bit-identical parameters after every step (NaN equals NaN; −0 differs from 0). */
export function expectIdenticalTrajectories(a: TrainResult, b: TrainResult, labels: [string, string], effect?: Effect): void {
  if (a.params.length !== b.params.length) throw new Error(`the runs have ${a.params.length} and ${b.params.length} steps`);
  a.params.forEach((stepA, step) => {
    for (const [name, values] of Object.entries(stepA)) {
      const other = b.params[step][name];
      values.forEach((v, i) => {
        if (!Object.is(v, other[i])) throw new Divergence('the runs', step, name, i, v, other[i], labels, effect?.(step, name, i));
      });
    }
  });
}

/**
 * The effect of weight decay λ on one SGD step of an element: lr·(1 + μ if nesterov)·λ·w at the
 * parameters the step starts from (this run's), the amount a run that drops the decay misses.
 */
export function decayEffect(c: TrainCase<SGDSpec>, run: TrainResult, decay: number): Effect {
  const { lr, nesterov, momentum } = c.optimizer;
  const gain = nesterov ? 1 + momentum : 1;
  return (step, name, i) => {
    if (decay === 0) return undefined;
    const w = step === 0 ? c.init[name][i] : run.params[step - 1][name][i];
    return `weight decay λ = ${fmt(decay)} should move it by lr·λ·w = ${fmt(lr * gain * decay * w)} on this step`;
  };
}

/** The first element where two parameter snapshots differ, or null. */
export function firstDifference(a: Record<string, number[]>, b: Record<string, number[]>): { name: string; index: number } | null {
  for (const [name, values] of Object.entries(a)) {
    const index = values.findIndex((v, i) => !Object.is(v, b[name][i]));
    if (index >= 0) return { name, index };
  }
  return null;
}

/** Whether the backend computes exactly the reference engine's arithmetic (see the 'arith:reference' capability). */
export const isBitExact = (backend: Backend): boolean => backend.capabilities.has(ARITH_REFERENCE);

/**
 * Steps for a metamorphic trajectory claim: 1–20 where the backend is bit-exact; one step
 * elsewhere, where the two sides may round differently (PyTorch fuses weight decay's
 * multiply-add) and a trajectory would amplify those ulps by the dynamics of the loss.
 */
export const metamorphicSteps = (backend: Backend, steps: fc.Arbitrary<number> = fc.integer({ min: 1, max: 20 })): fc.Arbitrary<number> =>
  isBitExact(backend) ? steps : fc.constant(1);

/**
 * Two runs that must agree: bit for bit on a bit-exact backend; elsewhere on their first step
 * only (both from the same initial values; later steps would carry the dynamics' amplification).
 * Each side computes p + (−lr)·gain·(g + λ·w) with at most four roundings, each within u of a
 * term no larger than |p'| or lr·gain·(|g| + |λ·w|), and ETA/2 in the subnormal range; the two
 * sides' errors add.
 */
export function expectSameRuns(backend: Backend, c: TrainCase<SGDSpec>, a: TrainResult, b: TrainResult, labels: [string, string], decay: number, effect: Effect = decayEffect(c, b, decay)): void {
  if (isBitExact(backend)) {
    expectIdenticalTrajectories(a, b, labels, effect);
    return;
  }
  const { u, eta } = precisionOf(backend.dtype);
  const gain = c.optimizer.nesterov ? 1 + c.optimizer.momentum : 1;
  for (const [name, init] of Object.entries(c.init)) {
    init.forEach((w, i) => {
      const pa = a.params[0][name][i];
      const pb = b.params[0][name][i];
      const step = c.optimizer.lr * gain;
      const side = (p: number, g: number) => 4 * u * (Math.abs(p) + step * (Math.abs(g) + Math.abs(decay * w))) + 2 * eta;
      const tolerance = side(pa, a.grads[0][name][i]) + side(pb, b.grads[0][name][i]);
      if (!(Math.abs(pa - pb) <= tolerance)) throw new Divergence(`the runs (beyond ${tolerance})`, 0, name, i, pa, pb, labels, effect(0, name, i));
    });
  }
}

/** The activations whose rounding gradientBound (fixture-support.ts) covers: a non-bit-exact backend's bounded claims draw only these. */
export const BOUNDED_ACTIVATIONS = ['relu', 'identity'] as const;

/** Models for a claim that compares two evaluations of the same graph: any on a bit-exact backend, ReLU and identity elsewhere (where the bound needs them). */
export const sameGraphModel = (backend: Backend, A: Arbitraries): fc.Arbitrary<ModelSpec> =>
  isBitExact(backend) ? A.model() : A.model({ activations: BOUNDED_ACTIVATIONS });

/**
 * Two gradients of the same objective at the same parameters must agree: bit for bit on a bit-exact
 * backend (the same operations in the same order); elsewhere each side may order and fuse its
 * roundings differently, so they agree within gradientBound's derivation for two implementations
 * in the backend's dtype, (γ_K(u) + γ_K(u))·(the absolute-value network). Returns false when the
 * state sits too close to a ReLU kink for the bound to hold (the caller sets the case aside).
 */
export function expectSameGradients(
  backend: Backend,
  c: TrainCase,
  state: Record<string, number[]>,
  a: Record<string, number[]>,
  b: Record<string, number[]>,
  describe: (name: string, i: number, x: number, y: number, bound: number) => string,
): boolean {
  const bounds = isBitExact(backend) ? null : gradientBound({ ...c, init: state }, state, backend.dtype, backend.dtype);
  if (bounds !== null && bounds.illConditioned !== null) return false;
  for (const [name, values] of Object.entries(a)) {
    values.forEach((x, i) => {
      const y = b[name][i];
      const bound = bounds === null ? 0 : bounds.grads[name][i];
      if (!(Object.is(x, y) || Math.abs(x - y) <= bound)) throw new Error(describe(name, i, x, y, bound));
    });
  }
  return true;
}
