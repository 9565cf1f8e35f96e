import { setFlagsFromString } from 'node:v8';
import { describe, expect, it, vi } from 'vitest';
import { fromData } from './create.ts';
import * as ops from './ops.ts';
import { INTERNED_LIMIT, internShape } from './shape.ts';
import { Tensor } from './tensor.ts';

// Its own file: the last test fills the module's trie, which the others must see empty.
describe('internShape', () => {
  it('gives one frozen array per dimension list, never the caller’s own array', () => {
    const dims = [2, 3];
    const shape = internShape(dims);
    expect(shape).not.toBe(dims);
    expect(shape).toEqual([2, 3]);
    expect(Object.isFrozen(shape)).toBe(true);
    dims[0] = 9;
    expect(shape).toEqual([2, 3]);
    expect(internShape([2, 3])).toBe(shape);
    expect(internShape([2])).toEqual([2]);
    expect(internShape([3, 2])).not.toBe(shape);
    expect(internShape([])).toBe(internShape([]));
  });
  it('is the shape of every tensor, given or computed', () => {
    const a = new Tensor(new Float64Array(6), [2, 3]);
    expect(a.shape).toBe(internShape([2, 3]));
    expect(ops.transpose(a).shape).toBe(internShape([3, 2]));
    expect(ops.sum(a).shape).toBe(internShape([]));
  });
  it('freezes no array in a training step once its shapes are known (counted)', () => {
    const w = fromData([1, -2, 3, 0.5, -1, 2], [2, 3], { requiresGrad: true });
    const b = fromData([0.1, -0.2], [2], { requiresGrad: true });
    const x = fromData([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3]);
    const step = () => ops.add(ops.mean(ops.square(ops.add(ops.matmul(x, ops.transpose(w)), b))), ops.mul(0.5, ops.sum(ops.pow(w, 2)))).backward();
    step();
    const freeze = vi.spyOn(Object, 'freeze');
    for (let i = 0; i < 10; i++) step();
    const calls = freeze.mock.calls.length;
    freeze.mockRestore();
    expect(calls).toBe(0);
  });
  it('gives every shape one hidden class, whatever array it was first made from', () => {
    // V8's own test of two objects' hidden classes: code reading shapes of two classes is compiled
    // for both, and deoptimized when a third comes.
    setFlagsFromString('--allow-natives-syntax');
    const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
    const holey = new Array<number>(2);
    holey[0] = 4;
    holey[1] = 1;
    const made = [internShape([4, 2]), internShape(holey), internShape([4.5 - 0.5, 3]), internShape(Object.freeze([4, 4])), internShape([])];
    expect(made.map((shape) => sameMap(shape, made[0]))).toEqual([true, true, true, true, true]);
  });
  it(`keeps at most ${INTERNED_LIMIT} shapes and then hands out frozen copies`, () => {
    const kept = internShape([2, 3]);
    for (let i = 0; i < INTERNED_LIMIT; i++) internShape([7, i]);
    const dims = [5, 5, 5];
    const a = internShape(dims);
    const b = internShape([5, 5, 5]);
    expect(a).not.toBe(dims);
    expect(Object.isFrozen(dims)).toBe(false);
    expect(a).not.toBe(b);
    expect([a, b]).toEqual([[5, 5, 5], [5, 5, 5]]);
    expect(Object.isFrozen(a) && Object.isFrozen(b)).toBe(true);
    expect(internShape([2, 3])).toBe(kept);
  });
});
