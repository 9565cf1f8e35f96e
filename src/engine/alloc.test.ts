import { describe, expect, it } from 'vitest';
import { allocate, copyOf } from './alloc.ts';
import { fromData, tensor } from './index.ts';
import * as ops from './ops.ts';

describe('allocate', () => {
  it('hands out zeroed arrays that never overlap, across slab boundaries and sizes', () => {
    const arrays = Array.from({ length: 400 }, (_, i) => allocate(1 + ((i * 37) % 300)));
    expect(arrays.every((a) => a.every((v) => v === 0))).toBe(true);
    arrays.forEach((a, i) => a.fill(i + 1));
    arrays.forEach((a, i) => expect(a.every((v) => v === i + 1)).toBe(true));
    const source = Float64Array.from({ length: 50 }, (_, i) => i - 0.5);
    const copy = copyOf(source);
    source[0] = 99;
    expect(copy[0]).toBe(-0.5);
  });
});

describe('where allocate takes its arrays from', () => {
  // alloc.ts: up to 8 elements V8 keeps the array on its heap, 9 to 256 come from a shared 16 KiB
  // slab, more than 256 get their own buffer.
  /** The first array of a fresh slab: 256 elements are 2 KiB, so at most eight calls reach one. */
  const slabStart = () => {
    let first = allocate(256);
    while (first.byteOffset !== 0) first = allocate(256);
    return first;
  };
  it('gives tiny and large arrays their own buffer, and carves the others from one slab', () => {
    expect(allocate(8).buffer.byteLength).toBe(64);
    expect(allocate(0).length).toBe(0);
    expect(allocate(257).buffer.byteLength).toBe(257 * 8);
    const first = slabStart();
    const small = allocate(9);
    expect(small.buffer.byteLength).toBe(16 * 1024);
    expect(small.buffer).toBe(first.buffer);
    expect(small.byteOffset).toBe(2048);
    expect(allocate(12).byteOffset).toBe(2048 + 9 * 8);
  });
  it('fills a slab exactly before starting the next one', () => {
    // Eight arrays of 2 KiB fill a 16 KiB slab to its last byte.
    const first = slabStart();
    const rest = Array.from({ length: 7 }, () => allocate(256));
    expect(rest.map((a) => a.buffer === first.buffer)).toEqual(new Array(7).fill(true));
    expect(rest.map((a) => a.byteOffset)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => i * 2048));
    const after = allocate(256);
    expect(after.buffer).not.toBe(first.buffer);
    expect(after.byteOffset).toBe(0);
  });
});

describe('backward hands each gradient array to one owner', () => {
  it('x + x, and a pass-through rule reached twice, give 2·g without aliasing the seed', () => {
    const x = fromData(Float64Array.from({ length: 12 }, (_, i) => i), [12], { requiresGrad: true });
    const seed = fromData(Float64Array.from({ length: 12 }, (_, i) => i + 1), [12]);
    ops.add(x, x).backward(seed);
    expect(Array.from(x.grad!.data)).toEqual(Array.from(seed.data, (v) => 2 * v));
    const y = fromData(new Float64Array(12), [3, 4], { requiresGrad: true });
    ops.add(ops.reshape(y, [12]), ops.reshape(y, [12])).backward(seed);
    expect(Array.from(y.grad!.data)).toEqual(Array.from(seed.data, (v) => 2 * v));
    expect(Array.from(seed.data)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('a leaf gradient accumulates across backward calls without touching other leaves', () => {
    const a = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { requiresGrad: true });
    const b = tensor([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], { requiresGrad: true });
    const out = ops.sum(ops.add(ops.reshape(a, [10]), b));
    out.backward(undefined, { retainGraph: true });
    out.backward();
    expect(Array.from(a.grad!.data)).toEqual(new Array(10).fill(2));
    expect(Array.from(b.grad!.data)).toEqual(new Array(10).fill(2));
  });
});
