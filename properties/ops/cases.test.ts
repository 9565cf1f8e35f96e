import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPS, type OpName } from '../../src/engine/index.ts';
import { opCaseArb, outputShapeOf } from './cases.ts';

describe('opCaseArb', () => {
  // The output size that sizes the seed is inferred once per distinct shapes and attributes: a
  // cache keyed on less (the shapes alone) would give a reduction over one axis, or with keepDim,
  // the seed of another.
  it.each(Object.keys(OPS) as OpName[])('draws a seed as long as the output of %s', (op) => {
    fc.assert(
      fc.property(opCaseArb(op, 'float64'), (c) => {
        expect(c.seed.length).toBe(outputShapeOf(c).reduce((a, b) => a * b, 1));
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});
