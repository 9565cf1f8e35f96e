import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  I32, V128, add, block, brIf, eqz, f64x2Add, f64x2Mul, f64x2Zero, get, i32, load, loadF64, loadSplat, loop, ltU,
  mul, set, sleb, store, storeF64, uleb, wasmModule,
} from './wasm.ts';

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

// The expected bytes below are written out from the WebAssembly core specification, binary format
// (section 5.4, instructions; 5.5, modules) and its fixed-width SIMD extension, not taken from the
// writer's output. Operands are marker bytes, so each test also checks that they come first, in order.
const X = [0xaa];
const Y = [0xbb];
const Z = [0xcc];

describe('instructions, as the specification encodes them', () => {
  it('writes locals, constants and integer arithmetic in folded order', () => {
    expect(get(3)).toEqual([0x20, 0x03]); // local.get 3
    expect(get(200)).toEqual([0x20, 0xc8, 0x01]); // local indices are unsigned LEB128
    expect(set(17, X)).toEqual([0xaa, 0x21, 0x11]); // operand, local.set 17
    expect(i32(-1)).toEqual([0x41, 0x7f]); // i32.const, signed LEB128
    expect(i32(256)).toEqual([0x41, 0x80, 0x02]);
    expect(add(X, Y)).toEqual([0xaa, 0xbb, 0x6a]); // i32.add
    expect(mul(X, Y)).toEqual([0xaa, 0xbb, 0x6c]); // i32.mul
    expect(ltU(X, Y)).toEqual([0xaa, 0xbb, 0x49]); // i32.lt_u
    expect(eqz(X)).toEqual([0xaa, 0x45]); // i32.eqz
  });

  it('writes blocks, loops and conditional branches', () => {
    // block/loop, the empty block type 0x40, the body, end (0x0b).
    expect(block(X, Y)).toEqual([0x02, 0x40, 0xaa, 0xbb, 0x0b]);
    expect(loop(X, Y, Z)).toEqual([0x03, 0x40, 0xaa, 0xbb, 0xcc, 0x0b]);
    expect(block()).toEqual([0x02, 0x40, 0x0b]);
    expect(brIf(1, X)).toEqual([0xaa, 0x0d, 0x01]); // condition, br_if 1
  });

  it('writes memory accesses with their alignment (log2) and offset', () => {
    expect(loadF64(X)).toEqual([0xaa, 0x2b, 0x03, 0x00]); // f64.load align=8 offset=0
    expect(loadF64(X, 24)).toEqual([0xaa, 0x2b, 0x03, 0x18]);
    expect(storeF64(X, Y)).toEqual([0xaa, 0xbb, 0x39, 0x03, 0x00]); // f64.store
    expect(storeF64(X, Y, 200)).toEqual([0xaa, 0xbb, 0x39, 0x03, 0xc8, 0x01]);
    expect(load(X)).toEqual([0xaa, 0xfd, 0x00, 0x04, 0x00]); // v128.load align=16
    expect(load(X, 16)).toEqual([0xaa, 0xfd, 0x00, 0x04, 0x10]);
    expect(loadSplat(X)).toEqual([0xaa, 0xfd, 0x0a, 0x03, 0x00]); // v128.load64_splat align=8
    expect(loadSplat(X, 8)).toEqual([0xaa, 0xfd, 0x0a, 0x03, 0x08]);
    expect(store(X, Y)).toEqual([0xaa, 0xbb, 0xfd, 0x0b, 0x04, 0x00]); // v128.store align=16
    expect(store(X, Y, 16)).toEqual([0xaa, 0xbb, 0xfd, 0x0b, 0x04, 0x10]);
  });

  it('writes the SIMD arithmetic and the zero vector', () => {
    // f64x2.add is SIMD opcode 240 and f64x2.mul 242, both unsigned LEB128 after the 0xfd prefix.
    expect(f64x2Add(X, Y)).toEqual([0xaa, 0xbb, 0xfd, 0xf0, 0x01]);
    expect(f64x2Mul(X, Y)).toEqual([0xaa, 0xbb, 0xfd, 0xf2, 0x01]);
    expect(f64x2Zero()).toEqual([0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // v128.const
    expect([I32, V128]).toEqual([0x7f, 0x7b]);
  });
});

describe('wasmModule', () => {
  // One function "f" of one i32 parameter and locals (i32, v128), whose body is `nop`, and a
  // memory of 2 pages.
  const f = { name: 'f', params: [I32], locals: [I32, V128], body: [0x01] };
  const expected = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00, // type section: one type, func (i32) → ()
    0x03, 0x02, 0x01, 0x00, // function section: function 0 has type 0
    0x05, 0x03, 0x01, 0x00, 0x02, // memory section: one memory, min 2 pages, no max
    0x07, 0x0e, 0x02, // export section, 14 bytes, two exports:
    0x01, 0x66, 0x00, 0x00, // "f", function 0
    0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // "memory", memory 0
    0x0a, 0x09, 0x01, // code section, 9 bytes, one body:
    0x07, 0x02, 0x01, 0x7f, 0x01, 0x7b, 0x01, 0x0b, // 7 bytes: locals 1×i32 and 1×v128, nop, end
  ];

  it('writes the sections as the specification lays them out', () => {
    expect([...wasmModule([f], 2)]).toEqual(expected);
  });

  it('gives a module the engine accepts, with the functions exported and the memory sized in pages', () => {
    // Two functions: the index of each (types, declarations, exports) counts.
    const g = { name: 'g', params: [I32, I32], locals: [], body: storeF64(get(0), loadF64(get(1))) };
    const bytes = wasmModule([f, g], 3);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as {
      memory: WebAssembly.Memory;
      g(to: number, from: number): void;
    };
    expect(exports.memory.buffer.byteLength).toBe(3 * 65536);
    const heap = new Float64Array(exports.memory.buffer);
    heap[5] = -2.5;
    exports.g(8 * 2, 8 * 5);
    expect(heap[2]).toBe(-2.5);
  });
});
