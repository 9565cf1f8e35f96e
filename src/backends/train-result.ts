/**
 * A training result from a process backend, checked against its case. The answer is always
 * parseTrainResult's (src/cases/schema.ts): a well-formed result that answers its case is
 * recognised here in one pass over plain objects and arrays and built as the schema builds it, and
 * anything else (a wrong type, an unknown field, a reserved name, a missing step or value) is
 * handed to parseTrainResult, which reports it. The schema walks every number through zod, which
 * for a reply of a few hundred steps cost as much as decoding its JSON.
 */
import { readNumber } from '../cases/graph.ts';
import { sizeOf } from '../engine/shape.ts';
import { parameterShapes } from '../cases/model.ts';
import { parseTrainResult } from '../cases/schema.ts';
import type { TrainCase, TrainResult } from '../cases/types.ts';

type Snapshot = Record<string, number[]>;

/** An object literal or JSON.parse's object, with or without a prototype (no Map, Date, array...). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The numbers of `v` (numbers or their special spellings), `size` of them, or null. */
function numbers(v: unknown, size: number): number[] | null {
  if (!Array.isArray(v) || v.length !== size) return null;
  const out = new Array<number>(size);
  for (let i = 0; i < size; i++) {
    const x = typeof v[i] === 'number' ? (v[i] as number) : readNumber(v[i]);
    if (x === undefined) return null;
    out[i] = x;
  }
  return out;
}

/** Each step's values by parameter name, every parameter of `sizes` present and none other. */
function snapshots(v: unknown, steps: number, sizes: ReadonlyMap<string, number>): Snapshot[] | null {
  if (!Array.isArray(v) || v.length !== steps) return null;
  const out: Snapshot[] = [];
  for (const step of v) {
    if (!isPlainObject(step)) return null;
    const names = Object.keys(step);
    if (names.length !== sizes.size) return null;
    const snapshot: Snapshot = {};
    for (const name of names) {
      const size = sizes.get(name);
      if (size === undefined) return null;
      const values = numbers(step[name], size);
      if (values === null) return null;
      snapshot[name] = values;
    }
    out.push(snapshot);
  }
  return out;
}

/** The result as parseTrainResult reads it, when it is well formed and answers `c`; else null. */
export function wellFormedTrainResult(value: unknown, c: TrainCase): TrainResult | null {
  if (!isPlainObject(value)) return null;
  if (Object.keys(value).length !== 3 || !['losses', 'grads', 'params'].every((k) => Object.hasOwn(value, k))) return null;
  const sizes = new Map(parameterShapes(c.model).map(({ name, shape }) => [name, sizeOf(shape)]));
  const losses = numbers(value.losses, c.steps);
  if (losses === null) return null;
  const grads = snapshots(value.grads, c.steps, sizes);
  if (grads === null) return null;
  const params = snapshots(value.params, c.steps, sizes);
  if (params === null) return null;
  return { losses, grads, params };
}

/** parseTrainResult(value, c): the same result, or the same CaseError. */
export function readTrainResult(value: unknown, c: TrainCase): TrainResult {
  return wellFormedTrainResult(value, c) ?? parseTrainResult(value, c);
}
