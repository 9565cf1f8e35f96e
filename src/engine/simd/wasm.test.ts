import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sleb, uleb } from './wasm.ts';

/** LEB128 read back: seven bits per byte, low bits first, the high bit marking that more follow. */
function decode(bytes: number[], signed: boolean): number {
  let value = 0n;
  let shift = 0n;
  for (const [i, byte] of bytes.entries()) {
    expect(byte, `byte ${i}`).toBeLessThan(256);
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) {
      expect(i, 'the last byte ends the number').toBe(bytes.length - 1);
      if (signed && (byte & 0x40) !== 0) value -= 1n << shift;
      return Number(value);
    }
  }
  throw new Error('no final byte');
}

describe('LEB128, as the WebAssembly binary format encodes integers', () => {
  it('reads back every unsigned and signed 32-bit integer, in the fewest bytes', () => {
    fc.assert(fc.property(fc.nat({ max: 2 ** 32 - 1 }), (n) => {
      const bytes = uleb(n);
      return decode(bytes, false) === n && bytes.length === Math.max(1, Math.ceil(Math.log2(n + 1) / 7));
    }), { numRuns: 500, seed: 5 });
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
      const bytes = sleb(n);
      // A signed number needs its magnitude's bits plus a sign bit.
      const bits = (n < 0 ? Math.ceil(Math.log2(-n)) : Math.ceil(Math.log2(n + 1))) + 1;
      return decode(bytes, true) === n && bytes.length === Math.ceil(bits / 7);
    }), { numRuns: 500, seed: 5 });
  });

  it('matches the specification examples at the byte boundaries', () => {
    expect(uleb(0)).toEqual([0x00]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });
});
