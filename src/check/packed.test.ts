import { describe, expect, it } from 'vitest';
import { packedMap } from './packed.ts';

describe('packedMap', () => {
  it('gives what map gives: f of each element and its index, in order', () => {
    const xs = ['a', 'b', 'c'];
    const calls: [string, number][] = [];
    const out = packedMap(xs, (x, i) => {
      calls.push([x, i]);
      return `${x}${i}`;
    });
    expect(out).toEqual(xs.map((x, i) => `${x}${i}`));
    expect(calls).toEqual([['a', 0], ['b', 1], ['c', 2]]);
  });

  it('gives an empty array for an empty one, without calling f', () => {
    expect(packedMap([], () => {
      throw new Error('called');
    })).toEqual([]);
  });
});
