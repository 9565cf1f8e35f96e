import { describe, expect, it } from 'vitest';
import { OPS, tensor } from '../../engine/index.ts';
import { countOpWork } from './op-work.ts';

describe('countOpWork', () => {
  it('counts forward and backward calls and the elements they produce', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = tensor([4, 5, 6], { requiresGrad: true });
    const { result, work } = countOpWork(() => {
      const out = x.mul(y).sum();
      out.backward();
      return out.item();
    });
    expect(result).toBe(4 + 10 + 18);
    // Forward: mul gives 3 elements, sum 1. Backward: sum gives one gradient of 3, mul two of 3.
    expect(work).toEqual({ forwardCalls: 2, backwardCalls: 2, elements: 3 + 1 + 3 + 6 });
  });

  it('counts no elements for an operand that needs no gradient', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const { work } = countOpWork(() => x.mul(tensor([3, 4])).sum().backward());
    // Forward 2 + 1; backward: sum's gradient of 2, mul's gradient of 2 for x only.
    expect(work.elements).toBe(2 + 1 + 2 + 2);
  });

  it('restores the op table afterwards, even when the body throws', () => {
    const before = { ...OPS };
    countOpWork(() => tensor([1]).neg());
    expect({ ...OPS }).toEqual(before);
    expect(() => countOpWork(() => { throw new Error('boom'); })).toThrow('boom');
    for (const name of Object.keys(before) as (keyof typeof OPS)[]) expect(OPS[name]).toBe(before[name]);
    const { work } = countOpWork(() => 0);
    expect(work).toEqual({ forwardCalls: 0, backwardCalls: 0, elements: 0 });
  });
});
