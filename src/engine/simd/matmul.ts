/**
 * The large matrix products, in WebAssembly SIMD. Each output element is still the plain sequential
 * sum ((0 + a₀b₀) + a₁b₁) + … over the inner index in order, with every product and every sum
 * rounded on its own: the two lanes of a vector hold two different output elements, never two
 * terms of one sum, and the kernel multiplies then adds (no fused multiply-add). So the results are
 * bit for bit those of the textbook triple loop, −0, NaN, infinities and subnormals included.
 *
 * Layout. The operands are copied into the module's memory as they are, then packed: B in panels
 * of WIDTH columns, each holding, for p = 0, 1, …, k − 1, the WIDTH values B(p, j) side by side; A
 * likewise in panels of WIDTH rows (the same packing, applied to Aᵀ). Packing reads through strides,
 * so a transposed operand (the backward products) costs no more than a plain one. The kernel walks
 * a panel of A and a panel of B together and keeps the WIDTH×WIDTH block of sums in vector
 * registers, so each value loaded feeds two or four products. Rows and columns past the matrix's
 * edge are packed from whatever lies past the operand's end; the outputs they feed are computed and
 * dropped, and no lane ever mixes with another. The module's memory grows to the largest product
 * seen and is kept for the next one.
 */
import {
  I32, V128, add, block, brIf, eqz, f64x2Add, f64x2Mul, f64x2Zero, get, i32, load, loadSplat, loop, ltU, mul, set,
  loadF64, store, storeF64, wasmModule, type Code,
} from './wasm.ts';

/** Rows of A per panel, and columns of B per panel (two per vector). */
const WIDTH = 4;
const VECTORS = WIDTH / 2;
const BYTES = 8;

const forEach = (n: number, f: (i: number) => Code): Code => Array.from({ length: n }, (_, i) => f(i)).flat();
const increment = (local: number, by: Code): Code => set(local, add(get(local), by));
const i32Locals = (n: number) => new Array<number>(n).fill(I32);
const PANEL_ROW = WIDTH * BYTES;

/**
 * pack(src, row, col, dst, k, nBlocks), addresses and strides in bytes: copies B(p, j), at
 * src + p·row + j·col, for p < k and j < nBlocks·WIDTH, to dst as nBlocks panels of WIDTH columns.
 */
const pack = (() => {
  const [SRC, ROW, COL, DST, K, N_BLOCKS] = [0, 1, 2, 3, 4, 5];
  const [JB, P, FROM, BLOCK_STRIDE] = [6, 7, 8, 9];
  return {
    name: 'pack',
    params: i32Locals(6),
    locals: i32Locals(4),
    body: block(
      brIf(0, eqz(get(K))),
      brIf(0, eqz(get(N_BLOCKS))),
      set(BLOCK_STRIDE, mul(get(COL), i32(WIDTH))),
      set(JB, i32(0)),
      loop(
        set(FROM, get(SRC)),
        set(P, i32(0)),
        loop(
          forEach(WIDTH, (c) => storeF64(get(DST), loadF64(c === 0 ? get(FROM) : add(get(FROM), mul(get(COL), i32(c)))), BYTES * c)),
          increment(DST, i32(PANEL_ROW)),
          increment(FROM, get(ROW)),
          increment(P, i32(1)),
          brIf(0, ltU(get(P), get(K))),
        ),
        increment(SRC, get(BLOCK_STRIDE)),
        increment(JB, i32(1)),
        brIf(0, ltU(get(JB), get(N_BLOCKS))),
      ),
    ),
  };
})();

/**
 * kernel(a, b, c, mBlocks, nBlocks, k), addresses in bytes: C(i, j) = Σₚ A(i, p)·B(p, j) for
 * i < mBlocks·WIDTH and j < nBlocks·WIDTH, from A packed by rows at a (pack applied to Aᵀ) and B
 * packed by columns at b, to C(i, j) at c + (i·nBlocks·WIDTH + j)·8.
 */
const kernel = (() => {
  const [A, B, C, M_BLOCKS, N_BLOCKS, K] = [0, 1, 2, 3, 4, 5];
  const [C_ROW, C_END, PANEL, IB, B_PANEL, C_TILE, PA, PB, PB_END] = [6, 7, 8, 9, 10, 11, 12, 13, 14];
  const FIRST_VECTOR = 15;
  const sum = (r: number, v: number) => FIRST_VECTOR + r * VECTORS + v;
  const B_VALUE = FIRST_VECTOR + WIDTH * VECTORS;
  const A_VALUE = B_VALUE + VECTORS;
  return {
    name: 'kernel',
    params: i32Locals(6),
    locals: [...i32Locals(FIRST_VECTOR - 6), ...new Array<number>(A_VALUE + 1 - FIRST_VECTOR).fill(V128)],
    body: block(
      brIf(0, eqz(get(M_BLOCKS))),
      brIf(0, eqz(get(N_BLOCKS))),
      set(C_ROW, mul(get(N_BLOCKS), i32(PANEL_ROW))),
      set(C_END, add(get(C), get(C_ROW))),
      set(PANEL, mul(get(K), i32(PANEL_ROW))),
      set(B_PANEL, get(B)),
      loop(
        // One column panel of B against every row panel of A, which lie one after the other.
        set(PA, get(A)),
        set(C_TILE, get(C)),
        set(IB, i32(0)),
        set(PB_END, add(get(B_PANEL), get(PANEL))),
        loop(
          forEach(WIDTH, (r) => forEach(VECTORS, (v) => set(sum(r, v), f64x2Zero()))),
          set(PB, get(B_PANEL)),
          block(
            brIf(0, eqz(ltU(get(PB), get(PB_END)))),
            loop(
              forEach(VECTORS, (v) => set(B_VALUE + v, load(get(PB), 16 * v))),
              forEach(WIDTH, (r) => [
                ...set(A_VALUE, loadSplat(get(PA), BYTES * r)),
                ...forEach(VECTORS, (v) => set(sum(r, v), f64x2Add(get(sum(r, v)), f64x2Mul(get(A_VALUE), get(B_VALUE + v))))),
              ]),
              increment(PA, i32(PANEL_ROW)),
              increment(PB, i32(PANEL_ROW)),
              brIf(0, ltU(get(PB), get(PB_END))),
            ),
          ),
          forEach(WIDTH, (r) => forEach(VECTORS, (v) =>
            store(add(get(C_TILE), mul(i32(r), get(C_ROW))), get(sum(r, v)), 16 * v))),
          increment(C_TILE, mul(i32(WIDTH), get(C_ROW))),
          increment(IB, i32(1)),
          brIf(0, ltU(get(IB), get(M_BLOCKS))),
        ),
        increment(C, i32(PANEL_ROW)),
        set(B_PANEL, get(PB_END)),
        brIf(0, ltU(get(C), get(C_END))),
      ),
    ),
  };
})();

interface Instance {
  memory: WebAssembly.Memory;
  pack(src: number, row: number, col: number, dst: number, k: number, nBlocks: number): void;
  kernel(a: number, b: number, c: number, mBlocks: number, nBlocks: number, k: number): void;
}

let instance: Instance | null = null;
let heap = new Float64Array(0);
let products = 0;
let compilations = 0;

/**
 * What the SIMD kernel has done since this module was loaded: the products it ran, how many times
 * it compiled its WebAssembly module (once, at the first product), and the bytes of its memory.
 * Tests count work with it (which kernel a product ran on, that memory grows only as needed) where
 * timings would be noise.
 */
export function simdWork(): { products: number; compilations: number; memoryBytes: number } {
  return { products, compilations, memoryBytes: instance === null ? 0 : instance.memory.buffer.byteLength };
}

function compiled(): Instance {
  if (instance === null) {
    compilations++;
    const module = new WebAssembly.Module(wasmModule([pack, kernel], 1));
    instance = new WebAssembly.Instance(module).exports as unknown as Instance;
    heap = new Float64Array(instance.memory.buffer);
  }
  return instance;
}

/** The module's memory as float64s, grown to hold at least n of them. */
function reserve(wasm: Instance, n: number): Float64Array {
  if (heap.length < n) {
    const pages = Math.ceil((n * BYTES - wasm.memory.buffer.byteLength) / 65536);
    wasm.memory.grow(pages);
    heap = new Float64Array(wasm.memory.buffer);
  }
  return heap;
}

/** Rounds n up to a multiple of 2, so every region starts on a 16-byte boundary. */
const even = (n: number) => n + (n & 1);

/**
 * Most float64s the module's memory is asked to hold: 2 GiB, within what every wasm32 engine
 * grants. A product needing more runs in JavaScript (kernels.ts asks simdFits first).
 */
export const SIMD_MAX_FLOATS = 2 ** 28;

interface Layout {
  mBlocks: number;
  nBlocks: number;
  height: number;
  width: number;
  /** Where A, B, their panels and the block of sums start, in float64s. */
  aAt: number;
  bAt: number;
  aPanelsAt: number;
  bPanelsAt: number;
  cAt: number;
  /** How many float64s the product needs in all. */
  end: number;
}

function layout(aLength: number, aRow: number, aCol: number, bLength: number, bRow: number, bCol: number, m: number, k: number, n: number): Layout {
  const mBlocks = Math.ceil(m / WIDTH);
  const nBlocks = Math.ceil(n / WIDTH);
  const height = mBlocks * WIDTH;
  const width = nBlocks * WIDTH;
  // A and B are copied as they are, then packed. The padding rows and columns read past the
  // operands' last elements: their regions leave room for that.
  const aAt = 0;
  const bAt = even(aAt + extent(aLength, height, k, aRow, aCol));
  const aPanelsAt = even(bAt + extent(bLength, k, width, bRow, bCol));
  const bPanelsAt = aPanelsAt + height * k;
  const cAt = bPanelsAt + k * width;
  return { mBlocks, nBlocks, height, width, aAt, bAt, aPanelsAt, bPanelsAt, cAt, end: cAt + height * width };
}

/** Whether a product laid out as `at` stays within SIMD_MAX_FLOATS. */
const withinLimit = (at: Layout) => at.end <= SIMD_MAX_FLOATS;

/** Whether simdProduct can run this product within SIMD_MAX_FLOATS (arguments as simdProduct's). */
export function simdFits(aLength: number, aRow: number, aCol: number, bLength: number, bRow: number, bCol: number, m: number, k: number, n: number): boolean {
  return withinLimit(layout(aLength, aRow, aCol, bLength, bRow, bCol, m, k, n));
}

/**
 * out[i·n + j] = Σₚ A(i, p)·B(p, j), summed over p = 0, 1, …, k − 1 in order, where
 * A(i, p) = a[i·aRow + p·aCol] and B(p, j) = b[p·bRow + j·bCol]. out is written, not accumulated into.
 */
export function simdProduct(
  a: Float64Array, aRow: number, aCol: number,
  b: Float64Array, bRow: number, bCol: number,
  out: Float64Array, m: number, k: number, n: number,
): void {
  const at = layout(a.length, aRow, aCol, b.length, bRow, bCol, m, k, n);
  if (!withinLimit(at)) {
    throw new RangeError(`simdProduct: a ${m}×${k}·${k}×${n} product needs ${at.end} float64s of WebAssembly memory, more than SIMD_MAX_FLOATS (${SIMD_MAX_FLOATS}); check simdFits first`);
  }
  const wasm = compiled();
  products++;
  const mem = reserve(wasm, at.end);
  mem.set(a, at.aAt);
  mem.set(b, at.bAt);
  wasm.pack(at.aAt * BYTES, aCol * BYTES, aRow * BYTES, at.aPanelsAt * BYTES, k, at.mBlocks);
  wasm.pack(at.bAt * BYTES, bRow * BYTES, bCol * BYTES, at.bPanelsAt * BYTES, k, at.nBlocks);
  wasm.kernel(at.aPanelsAt * BYTES, at.bPanelsAt * BYTES, at.cAt * BYTES, at.mBlocks, at.nBlocks, k);
  const { cAt, width } = at;
  if (width === n) out.set(mem.subarray(cAt, cAt + m * n));
  else for (let i = 0; i < m; i++) for (let j = 0, q = cAt + i * width; j < n; j++) out[i * n + j] = mem[q++];
}

/** How many elements from the start a strided rows×cols read of `length` values touches, or all of them. */
function extent(length: number, rows: number, cols: number, row: number, col: number): number {
  return rows === 0 || cols === 0 ? length : Math.max(length, (rows - 1) * row + (cols - 1) * col + 1);
}
