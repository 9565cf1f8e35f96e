/** Shared pieces of the claims: case edits and comparisons that say exactly where two runs part. */
import type { PenaltySpec, TrainCase, TrainResult } from '../src/cases/types.ts';

export function withPenalty(c: TrainCase, recipe: string, lambda: number, extra: Partial<PenaltySpec> = {}): TrainCase {
  const penalty: PenaltySpec = { recipe, lambda, select: 'all', sign: 'add', ...extra };
  return { ...c, penalty };
}

export function withWeightDecay(c: TrainCase, weightDecay: number): TrainCase {
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
