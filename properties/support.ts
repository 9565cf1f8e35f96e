/** Shared pieces of the claims: case edits and comparisons that say exactly where two runs part. */
import fc from 'fast-check';
import type { Backend } from '../src/backends/backend.ts';
import { precisionOf } from '../src/check/float.ts';
import type { PenaltySpec, SGDSpec, TrainCase, TrainResult } from '../src/cases/types.ts';

export function withPenalty<C extends TrainCase<any>>(c: C, recipe: string, lambda: number, extra: Partial<PenaltySpec> = {}): C {
  const penalty: PenaltySpec = { recipe, lambda, select: 'all', sign: 'add', ...extra };
  return { ...c, penalty };
}

export function withWeightDecay<C extends TrainCase<any>>(c: C, weightDecay: number): C {
  return { ...c, penalty: null, optimizer: { ...c.optimizer, weightDecay } };
}

export class Divergence extends Error {
  constructor(what: string, step: number, param: string, element: number, a: number, b: number, labels: [string, string]) {
    super(`${what} part at step ${step + 1}, parameter ${param}[${element}]: ${labels[0]} ${fmt(a)} versus ${labels[1]} ${fmt(b)}`);
    this.name = 'Divergence';
  }
}

export function fmt(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/** Asserts two runs hold bit-identical parameters after every step (NaN equals NaN; −0 differs from 0). */
export function expectIdenticalTrajectories(a: TrainResult, b: TrainResult, labels: [string, string]): void {
  if (a.params.length !== b.params.length) throw new Error(`the runs have ${a.params.length} and ${b.params.length} steps`);
  a.params.forEach((stepA, step) => {
    for (const [name, values] of Object.entries(stepA)) {
      const other = b.params[step][name];
      values.forEach((v, i) => {
        if (!Object.is(v, other[i])) throw new Divergence('the runs', step, name, i, v, other[i], labels);
      });
    }
  });
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
export const isBitExact = (backend: Backend): boolean => backend.capabilities.has('arith:reference');

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
export function expectSameRuns(backend: Backend, c: TrainCase<SGDSpec>, a: TrainResult, b: TrainResult, labels: [string, string], decay: number): void {
  if (isBitExact(backend)) {
    expectIdenticalTrajectories(a, b, labels);
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
      if (!(Math.abs(pa - pb) <= tolerance)) throw new Divergence(`the runs (beyond ${tolerance})`, 0, name, i, pa, pb, labels);
    });
  }
}
