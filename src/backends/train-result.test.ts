import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trainCaseArb } from '../cases/arbitraries.ts';
import { encodeJson, decodeJson } from '../cases/json.ts';
import { parameterShapes } from '../cases/model.ts';
import { parseTrainResult } from '../cases/schema.ts';
import type { TrainCase, TrainResult } from '../cases/types.ts';
import { sizeOf } from '../engine/shape.ts';
import { readTrainResult, wellFormedTrainResult } from './train-result.ts';

/** What a reader makes of a value: its result with every key in order and every number spelled, or its error. */
function outcome(read: (v: unknown, c: TrainCase) => TrainResult, value: unknown, c: TrainCase): string {
  try {
    const r = read(value, c);
    return `ok ${encodeJson(r)} ${JSON.stringify(Object.keys(r))}`;
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

const number = fc.oneof(fc.double(), fc.constantFrom('NaN', 'Infinity', '-Infinity', '-0'));

/** A case with few steps and a well-formed result for it, numbers drawn at random. */
const caseAndResult = trainCaseArb({ steps: fc.integer({ min: 0, max: 3 }) }).chain((c) => {
  const snapshot = fc.record(Object.fromEntries(parameterShapes(c.model).map(({ name, shape }) => [name, fc.array(number, { minLength: sizeOf(shape), maxLength: sizeOf(shape) })])));
  const steps = { minLength: c.steps, maxLength: c.steps };
  const result = fc.record({ losses: fc.array(number, steps), grads: fc.array(snapshot, steps), params: fc.array(snapshot, steps) });
  return fc.tuple(fc.constant(c), result);
});

/** A path into `value` picked by `picks`: at each level stop (0) or go into child pick − 1 (modulo). */
function pathInto(value: unknown, picks: readonly number[]): PropertyKey[] {
  const path: PropertyKey[] = [];
  let v = value;
  for (const pick of picks) {
    if (pick === 0 || typeof v !== 'object' || v === null || Object.keys(v).length === 0) break;
    const keys = Object.keys(v);
    const key = keys[(pick - 1) % keys.length];
    path.push(Array.isArray(v) ? Number(key) : key);
    v = (v as Record<string, unknown>)[key];
  }
  return path;
}

// undefined deletes the field: one time in four.
const hostile = fc.oneof(
  fc.constant(undefined),
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom(null, [], {}, '', 'NaN', 'nan', '-0', 'constructor', '__proto__', -0, 1e300, true, [[]], [null], new Map(), new Date(0)),
);

/** An own property, as JSON.parse makes one (`__proto__` included: it does not set the prototype). */
const own = (target: object, key: string, value: unknown) => Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

/** `value` with the field at `path` replaced, deleted (undefined), or given an extra key `extra`. */
function corrupt(value: unknown, path: PropertyKey[], replacement: unknown, extra: string | null): unknown {
  const copy = structuredClone(value) as Record<PropertyKey, unknown>;
  if (path.length === 0) return extra === null ? replacement : own(copy, extra, replacement);
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<PropertyKey, unknown>;
  const last = path[path.length - 1];
  const target = parent[last];
  if (extra !== null && typeof target === 'object' && target !== null) own(target, extra, replacement);
  else if (replacement === undefined && !Array.isArray(parent)) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

/** The property: on any result, well formed or corrupted anywhere, the reader answers as parseTrainResult does. */
function sameAsSchema(read: (v: unknown, c: TrainCase) => TrainResult) {
  return fc.property(caseAndResult, fc.array(fc.nat(8), { maxLength: 5 }), hostile, fc.option(fc.constantFrom('x', '0.bias', '0.weight', '__proto__', 'toString', 'losses'), { nil: null }), fc.boolean(), ([c, result], picks, replacement, extra, intact) => {
    const value = intact ? result : corrupt(result, pathInto(result, picks), replacement, extra);
    expect(outcome(read, value, c)).toBe(outcome(parseTrainResult, value, c));
    // A well-formed result takes the fast path: zod is not run on it.
    if (intact) expect(wellFormedTrainResult(value, c)).not.toBeNull();
  });
}

describe('readTrainResult', () => {
  it('answers exactly as parseTrainResult on well-formed and corrupted results (same result, same error)', () => {
    fc.assert(sameAsSchema(readTrainResult), { numRuns: 400, seed: 11 });
  });

  it("answers as parseTrainResult on JSON replies: an own __proto__ key, a missing step, a junk reply", () => {
    const c: TrainCase = {
      kind: 'train',
      version: 1,
      model: { inputSize: 1, layers: [{ outFeatures: 1, activation: 'identity' }] },
      init: { '0.weight': [1], '0.bias': [0] },
      data: { x: [[1]], y: [[1]] },
      loss: { kind: 'mse', reduction: 'mean' },
      penalty: null,
      optimizer: { kind: 'sgd', lr: 0.1, momentum: 0, dampening: 0, nesterov: false, maximize: false, weightDecay: 0 },
      steps: 1,
      zeroGrad: true,
    };
    const replies = [
      '{"losses":[1],"grads":[{"0.weight":[1],"0.bias":["-0"]}],"params":[{"0.weight":[1],"0.bias":[0]}]}',
      '{"losses":[1],"grads":[{"0.weight":[1],"0.bias":[0],"__proto__":[1]}],"params":[{"0.weight":[1],"0.bias":[0]}]}',
      '{"losses":[1],"grads":[{"0.weight":[1],"__proto__":[0]}],"params":[{"0.weight":[1],"0.bias":[0]}]}',
      '{"losses":[],"grads":[],"params":[]}',
      '{"losses":[1],"grads":[{"0.weight":[1],"0.bias":[0]}],"params":[{"0.weight":[1],"0.bias":[0]}],"extra":1}',
    ];
    for (const reply of replies) expect(outcome(readTrainResult, decodeJson(reply), c)).toBe(outcome(parseTrainResult, decodeJson(reply), c));
    expect(outcome(readTrainResult, decodeJson(replies[0]), c)).toMatch(/^ok /);
  });

  it('the property fails on a reader that accepts a reserved parameter name or a value of the wrong size', () => {
    const lax = (v: unknown, c: TrainCase): TrainResult => {
      const r = v as TrainResult;
      return Array.isArray(r?.losses) && r.losses.length === c.steps ? (decodeJson(encodeJson(r)) as TrainResult) : parseTrainResult(v, c);
    };
    expect(() => fc.assert(sameAsSchema(lax), { numRuns: 400, seed: 11 })).toThrow(/Property failed/);
  });
});
