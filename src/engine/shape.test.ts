import { describe, expect, it } from 'vitest';
import { broadcastIndex, broadcastRead, broadcastShapes, checkShape, formatShape, sameShape, sizeOf, stridesOf } from './shape.ts';

/**
 * The element of a tensor of inShape that output element k of outShape reads, found the long way:
 * unravel k into coordinates, pin every stretched (size-1 or missing) dimension to 0, ravel again.
 */
function readByCoordinates(inShape: number[], outShape: number[], k: number): number {
  const coords: number[] = [];
  let rest = k;
  for (let d = outShape.length - 1; d >= 0; d--) {
    coords.unshift(rest % outShape[d]);
    rest = Math.floor(rest / outShape[d]);
  }
  const offset = outShape.length - inShape.length;
  let flat = 0;
  for (let d = 0; d < inShape.length; d++) flat = flat * inShape[d] + (inShape[d] === 1 ? 0 : coords[offset + d]);
  return flat;
}

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

describe('sizes, equality and formatting', () => {
  it('sizeOf multiplies the dimensions: 1 for a scalar, 0 with a zero dimension', () => {
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(sizeOf([3, 0, 5])).toBe(0);
  });
  it('sameShape compares ranks and every dimension', () => {
    expect(sameShape([], [])).toBe(true);
    expect(sameShape([2, 3], [2, 3])).toBe(true);
    expect(sameShape([2, 3], [2, 4])).toBe(false);
    expect(sameShape([2, 3], [3, 3])).toBe(false);
    expect(sameShape([2], [2, 1])).toBe(false);
    expect(sameShape([2, 1], [2])).toBe(false);
  });
  it('formatShape writes a bracketed, comma-separated list', () => {
    expect(formatShape([])).toBe('[]');
    expect(formatShape([2, 3])).toBe('[2, 3]');
  });
  it('stridesOf gives row-major strides', () => {
    expect(stridesOf([])).toEqual([]);
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(stridesOf([5])).toEqual([1]);
  });
});

describe('checkShape', () => {
  it('accepts non-negative integers, zero included', () => {
    expect(() => checkShape([0, 1, 7], 'here')).not.toThrow();
    expect(() => checkShape([], 'here')).not.toThrow();
  });
  it.each([[-1], [1.5], [NaN], [Infinity]])('rejects the dimension %s and names it, the shape and the caller', (d) => {
    expect(() => checkShape([2, d], 'here')).toThrow(RangeError);
    expect(() => checkShape([2, d], 'here')).toThrow(`here: shape [2, ${d}] has an invalid dimension ${d} (dimensions are non-negative integers)`);
  });
});

describe('broadcastShapes', () => {
  it.each([
    [[3, 1], [1, 4], [3, 4]],
    [[4], [2, 3, 4], [2, 3, 4]],
    [[2, 3, 4], [4], [2, 3, 4]],
    [[2, 1, 4], [3, 1], [2, 3, 4]],
    [[], [2, 2], [2, 2]],
    [[5, 1], [], [5, 1]],
    [[0, 1], [1, 3], [0, 3]],
  ])('%j with %j is %j', (a, b, out) => {
    expect(broadcastShapes(a, b, 'op')).toEqual(out);
  });
  it('names the op, both shapes and the first clashing dimension', () => {
    expect(() => broadcastShapes([2, 3], [4], 'add')).toThrow(RangeError);
    expect(() => broadcastShapes([2, 3], [4], 'add')).toThrow('add: shapes [2, 3] and [4] cannot be broadcast together (dimension 1 is 3 versus 4)');
    expect(() => broadcastShapes([2, 5], [3, 5], 'mul')).toThrow('(dimension 0 is 2 versus 3)');
  });
});

describe('broadcastIndex and broadcastRead', () => {
  const cases: [number[], number[]][] = [
    [[2, 3], [2, 3]],
    [[3], [4, 3]],
    [[1, 3], [4, 3]],
    [[4, 1], [4, 3]],
    [[1], [2, 3]],
    [[], [2, 3]],
    [[2, 1, 4], [2, 3, 4]],
    [[3, 1], [2, 3, 4]],
    [[1, 3, 1], [2, 3, 4]],
    [[2, 1, 1], [2, 3, 4]],
    [[1, 1, 4], [2, 3, 4]],
    [[5, 1, 1, 2], [5, 2, 3, 2]],
  ];
  it.each(cases)('%j read into %j matches unravel, pin and ravel', (inShape, outShape) => {
    const n = product(outShape);
    const expected = Array.from({ length: n }, (_, k) => readByCoordinates(inShape, outShape, k));
    expect(Array.from(broadcastIndex(inShape, outShape))).toEqual(expected);
    const read = broadcastRead(inShape, outShape);
    const viaRead = Array.from({ length: n }, (_, k) => (read.index === null ? k % read.period : read.index[k]));
    expect(viaRead).toEqual(expected);
  });
  it('reads a trailing block (leading 1s aside) by period, anything else by index', () => {
    expect(broadcastRead([1, 1, 3], [4, 3])).toEqual({ period: 3, index: null });
    expect(broadcastRead([4, 3], [4, 3])).toEqual({ period: 12, index: null });
    expect(broadcastRead([], [4, 3])).toEqual({ period: 1, index: null });
    expect(broadcastRead([4, 1], [4, 3]).index).not.toBeNull();
    expect(broadcastRead([2, 1, 4], [2, 3, 4]).index).not.toBeNull();
    // Not a broadcast at all, but not a trailing block either: the core is longer than outShape.
    expect(broadcastRead([2, 3], [3]).index).not.toBeNull();
  });
});
