/**
 * The schema's properties over many cases: every case the arbitraries make is accepted unchanged,
 * and any corruption of a valid case is a CaseError or a valid case (schema.test.ts has the rules
 * one by one). Kept apart because they cost seconds: mutation runs of schema.ts use the fast file.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PENALTIES } from '../regularize/recipes.ts';
import { lambdaArb, trainCaseArb } from './arbitraries.ts';
import { CaseError, parseExprCase, parseExprResult, parseTrainCase, parseTrainResult } from './schema.ts';
import { expr, train } from './testdata/cases.ts';
import type { TrainCase } from './types.ts';

describe('valid cases', () => {
  it('accepts the cases the arbitraries generate, with every recipe, and returns them unchanged', () => {
    const recipeArb = fc.constantFrom(...Object.keys(PENALTIES));
    fc.assert(
      fc.property(trainCaseArb(), recipeArb, lambdaArb, fc.double(), (c, recipe, lambda, start) => {
        const withPenalty: TrainCase = { ...c, penalty: { recipe, lambda, select: 'weights', sign: 'subtract', ...(recipe === 'norm-uninit-leaf' ? { start } : {}) } };
        expect(parseTrainCase(withPenalty)).toEqual(withPenalty);
      }),
      { numRuns: 100 },
    );
  });
});

describe('total decoding: any corruption of a valid case is a CaseError or a valid case, never another error', () => {
  /** Every path into a value, as key lists. */
  function paths(value: unknown): PropertyKey[][] {
    const out: PropertyKey[][] = [];
    const stack: [unknown, PropertyKey[]][] = [[value, []]];
    while (stack.length > 0) {
      const [v, path] = stack.pop()!;
      out.push(path);
      if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) stack.push([x, [...path, Array.isArray(v) ? Number(k) : k]]);
    }
    return out;
  }

  /** `value` with the field at `path` replaced by `replacement`, or deleted when it is undefined. */
  function corrupt(value: unknown, path: PropertyKey[], replacement: unknown): unknown {
    if (path.length === 0) return replacement;
    const copy = structuredClone(value) as Record<PropertyKey, unknown>;
    let parent = copy;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<PropertyKey, unknown>;
    const last = path[path.length - 1];
    if (replacement === undefined && !Array.isArray(parent)) delete parent[last];
    else parent[last] = replacement;
    return copy;
  }

  const replacement = fc.oneof(
    fc.anything({ maxDepth: 2 }),
    fc.constantFrom(undefined, null, [], {}, '', 'NaN', 'constructor', '__proto__', -1, 0, 1e300, -0, true, [[]], [null], { op: 'neg' }),
  );

  /** The property: whatever field of `base` is corrupted, `parse` accepts or throws a CaseError. */
  function total(base: unknown, parse: (v: unknown) => unknown) {
    const all = paths(base);
    return fc.property(fc.nat(all.length - 1), replacement, (i, r) => {
      try {
        parse(corrupt(base, all[i], r));
      } catch (e) {
        if (!(e instanceof CaseError)) throw new Error(`${all[i].join('.')} = ${String(r)}: ${(e as Error).message}`);
      }
    });
  }

  it.each<[string, unknown, (v: unknown) => unknown]>([
    ['expression case', expr, parseExprCase],
    ['training case', train, parseTrainCase],
    ['expression result', { value: { shape: [], data: [21] }, grads: { x: [1, 1, 1, 1, 1, 1] } }, (v) => parseExprResult(v, expr)],
    ['training result', { losses: [1, 2], grads: [train.init, train.init], params: [train.init, train.init] }, (v) => parseTrainResult(v, train)],
  ])('%s', (_what, base, parse) => {
    fc.assert(total(base, parse), { numRuns: 300, seed: 10 });
  });

  it('the property fails on a parser that reads the model before validating it (as the schema once did)', () => {
    const early = (v: unknown) => {
      const model = (v as TrainCase).model;
      return [model.layers[model.layers.length - 1].outFeatures, parseTrainCase(v)];
    };
    expect(() => fc.assert(total(train, early), { numRuns: 300, seed: 10 })).toThrow(/Property failed/);
  });
});
