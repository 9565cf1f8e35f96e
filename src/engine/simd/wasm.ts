/**
 * A small WebAssembly binary writer: just the instructions the SIMD kernels use, written in the
 * folded style of the text format. Each instruction helper takes its operands (already encoded
 * instructions) and returns their bytes followed by its own, so
 * `add(get(x), i32(8))` is `(i32.add (local.get $x) (i32.const 8))`.
 *
 * Encodings follow the WebAssembly core specification (binary format, version 1) and its
 * fixed-width SIMD extension. The kernels' own tests run every instruction emitted here.
 */

export type Code = number[];

/** Value types. */
export const I32 = 0x7f;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(n: number): Code {
  const out: Code = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): Code {
  const out: Code = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const utf8 = (s: string): Code => [...uleb(s.length), ...new TextEncoder().encode(s)];
const vector = (items: Code[]): Code => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];

// ------------------------------------------------------------------ instructions

const EMPTY_BLOCK = 0x40;
const SIMD = 0xfd;

export const get = (local: number): Code => [0x20, ...uleb(local)];
export const set = (local: number, value: Code): Code => [...value, 0x21, ...uleb(local)];
export const i32 = (value: number): Code => [0x41, ...sleb(value)];
export const add = (a: Code, b: Code): Code => [...a, ...b, 0x6a];
export const mul = (a: Code, b: Code): Code => [...a, ...b, 0x6c];
export const ltU = (a: Code, b: Code): Code => [...a, ...b, 0x49];
export const eqz = (a: Code): Code => [...a, 0x45];

/** `block … end`: `brIf(0, …)` inside jumps past the end. */
export const block = (...body: Code[]): Code => [0x02, EMPTY_BLOCK, ...body.flat(), 0x0b];
/** `loop … end`: `brIf(0, …)` inside jumps back to the start. */
export const loop = (...body: Code[]): Code => [0x03, EMPTY_BLOCK, ...body.flat(), 0x0b];
export const brIf = (depth: number, condition: Code): Code => [...condition, 0x0d, ...uleb(depth)];

/** A memory access's immediate: the alignment as a power of two, then a constant byte offset. */
const memarg = (alignLog2: number, offset: number): Code => [...uleb(alignLog2), ...uleb(offset)];

/** One float64 at address + offset, and its store. */
export const loadF64 = (address: Code, offset = 0): Code => [...address, 0x2b, ...memarg(3, offset)];
export const storeF64 = (address: Code, value: Code, offset = 0): Code => [...address, ...value, 0x39, ...memarg(3, offset)];
/** Sixteen bytes at address + offset. */
export const load = (address: Code, offset = 0): Code => [...address, SIMD, 0x00, ...memarg(4, offset)];
/** One float64 at address + offset, in both lanes. */
export const loadSplat = (address: Code, offset = 0): Code => [...address, SIMD, 0x0a, ...memarg(3, offset)];
export const store = (address: Code, value: Code, offset = 0): Code => [...address, ...value, SIMD, 0x0b, ...memarg(4, offset)];
/** Lane-wise IEEE 754 sum and product, each rounded on its own (never fused). */
export const f64x2Add = (a: Code, b: Code): Code => [...a, ...b, SIMD, ...uleb(0xf0)];
export const f64x2Mul = (a: Code, b: Code): Code => [...a, ...b, SIMD, ...uleb(0xf2)];
/** Both lanes +0. */
export const f64x2Zero = (): Code => [SIMD, 0x0c, ...new Array<number>(16).fill(0)];

// ------------------------------------------------------------------ module

export interface WasmFunction {
  name: string;
  params: number[];
  /** The types of the locals after the parameters, in index order. */
  locals: number[];
  body: Code;
}

/** A module that exports its functions and one memory, "memory", of `pages` 64 KiB pages. */
export function wasmModule(functions: WasmFunction[], pages: number): Uint8Array<ArrayBuffer> {
  const types = section(1, vector(functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), 0])));
  const declarations = section(3, vector(functions.map((_, i) => uleb(i))));
  const memory = section(5, vector([[0x00, ...uleb(pages)]]));
  const exports = section(7, vector([
    ...functions.map((f, i) => [...utf8(f.name), 0x00, ...uleb(i)]),
    [...utf8('memory'), 0x02, 0],
  ]));
  const bodies = section(10, vector(functions.map((f) => {
    const locals = vector(f.locals.map((t) => [1, t]));
    const code = [...locals, ...f.body, 0x0b];
    return [...uleb(code.length), ...code];
  })));
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  return Uint8Array.from([...header, ...types, ...declarations, ...memory, ...exports, ...bodies]);
}
