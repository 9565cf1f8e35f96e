import { describe, expect, it } from 'vitest';
import { fromData, full, tensor, zeros } from './create.ts';

describe('tensor()', () => {
  it('reads a number as a scalar and nested arrays row-major', () => {
    const s = tensor(3);
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data)).toEqual([3]);
    const m = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(m.shape).toEqual([2, 3]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.requiresGrad).toBe(false);
    expect(tensor([1], { requiresGrad: true }).requiresGrad).toBe(true);
  });
  it('gives an empty array a zero dimension', () => {
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
  });
  it('names what is neither a number nor an array, and where', () => {
    const bad = (v: unknown) => () => tensor(v as number);
    expect(bad(null)).toThrow(TypeError);
    expect(bad(null)).toThrow('tensor(): value is null, expected a number or an array');
    expect(bad(['a'])).toThrow('tensor(): value[0] is string, expected a number or an array');
    expect(bad([[undefined]])).toThrow('tensor(): value[0][0] is undefined, expected a number or an array');
  });
  it('names the first ragged place with the length it expected', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(RangeError);
    expect(() => tensor([[1, 2], [3]])).toThrow('tensor(): value[1] should be an array of length 2 (the array is ragged)');
    expect(() => tensor([[1], 2])).toThrow('tensor(): value[1] should be an array of length 1 (the array is ragged)');
    expect(() => tensor([[[1, 2]], [[3]]])).toThrow('tensor(): value[1][0] should be an array of length 2 (the array is ragged)');
    expect(() => tensor([1, [2]] as number[])).toThrow(TypeError);
    expect(() => tensor([1, [2]] as number[])).toThrow('tensor(): value[1] should be a number (the array is ragged)');
  });
});

describe('fromData, zeros and full', () => {
  it('fromData takes a Float64Array as it is and copies a plain array', () => {
    const data = new Float64Array([1, 2, 3, 4]);
    const t = fromData(data, [2, 2], { requiresGrad: true });
    expect(t.data).toBe(data);
    expect(t.shape).toEqual([2, 2]);
    expect(t.requiresGrad).toBe(true);
    const u = fromData([5, 6], [2]);
    expect(u.data).toBeInstanceOf(Float64Array);
    expect(Array.from(u.data)).toEqual([5, 6]);
    expect(u.requiresGrad).toBe(false);
  });
  it('fromData names the count and the shape it does not fill', () => {
    expect(() => fromData([1, 2, 3], [2, 2])).toThrow(RangeError);
    expect(() => fromData([1, 2, 3], [2, 2])).toThrow('fromData(): 3 values do not fill shape [2, 2]');
  });
  it('zeros and full fill the shape with one value', () => {
    const z = zeros([2, 3], { requiresGrad: true });
    expect(z.shape).toEqual([2, 3]);
    expect(Array.from(z.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(z.requiresGrad).toBe(true);
    expect(zeros([2]).requiresGrad).toBe(false);
    const f = full([3], -1.5, { requiresGrad: true });
    expect(Array.from(f.data)).toEqual([-1.5, -1.5, -1.5]);
    expect(f.requiresGrad).toBe(true);
    expect(full([1], 2).requiresGrad).toBe(false);
  });
});
