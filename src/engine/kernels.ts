/**
 * Matrix products for matmul's forward and backward. Every output element is the plain sequential
 * sum ((0 + t₀) + t₁) + … over the inner dimension, in index order, exactly as the textbook triple
 * loop computes it: the speed comes from how the work is laid out, never from reordering a sum.
 * So the results are bit for bit the textbook loop's, whichever of the two kernels runs.
 *
 * Products of at least SIMD_MIN_WORK multiply-adds go to the WebAssembly SIMD kernel
 * (simd/matmul.ts), whose vector lanes hold different output elements. Smaller ones, where copying
 * the operands into WebAssembly memory would cost more than the arithmetic, stay in JavaScript:
 * that kernel keeps a 2×4 block of outputs in local variables (V8 keeps them in registers), so each
 * value loaded feeds two or four products, and it reads the right operand from a packed copy of
 * four columns laid out contiguously, so the inner loop streams through memory. Its two backward
 * products transpose an operand first and reuse it: a transpose costs one pass over the matrix,
 * the product one pass per row or column of the other.
 */
import { simdFits, simdProduct } from './simd/matmul.ts';

/** m·k·n from which the SIMD kernel runs; below it the JavaScript kernel is faster (bench/kernels.ts). */
export const SIMD_MIN_WORK = 512;

/** Whether a product of m·k·n multiply-adds runs on the SIMD kernel. */
export const runsOnSimd = (m: number, k: number, n: number): boolean => m * k * n >= SIMD_MIN_WORK;

let packed: Float64Array = new Float64Array(0);
let flipped: Float64Array = new Float64Array(0);

/**
 * The float64s the JavaScript kernels' two scratch arrays hold: the packed columns of the right
 * operand, and the transposed operand of the backward products. Each grows only when a product
 * needs more, at least doubling, and is kept for the next product; tests check that from here.
 */
export const scratchFloats = (): { packed: number; flipped: number } => ({ packed: packed.length, flipped: flipped.length });

function scratch(buffer: Float64Array, n: number): Float64Array {
  return buffer.length >= n ? buffer : new Float64Array(Math.max(n, 2 * buffer.length));
}

/** out[m×n] = a[m×k] · b[k×n], row-major; out is written, not accumulated into. */
export function matmulInto(a: Float64Array, b: Float64Array, out: Float64Array, m: number, k: number, n: number): void {
  if (runsOnSimd(m, k, n) && simdFits(a.length, k, 1, b.length, n, 1, m, k, n)) simdProduct(a, k, 1, b, n, 1, out, m, k, n);
  else scalarMatmulInto(a, b, out, m, k, n);
}

/** matmulInto's JavaScript kernel, whatever the size. */
export function scalarMatmulInto(a: Float64Array, b: Float64Array, out: Float64Array, m: number, k: number, n: number): void {
  packed = scratch(packed, 4 * k);
  const bp = packed;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    for (let p = 0, q = 0, rb = j; p < k; p++, q += 4, rb += n) {
      bp[q] = b[rb];
      bp[q + 1] = b[rb + 1];
      bp[q + 2] = b[rb + 2];
      bp[q + 3] = b[rb + 3];
    }
    let i = 0;
    for (; i + 1 < m; i += 2) {
      const ra0 = i * k;
      const ra1 = ra0 + k;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = 0, q = 0; p < k; p++, q += 4) {
        const a0 = a[ra0 + p];
        const a1 = a[ra1 + p];
        const b0 = bp[q];
        const b1 = bp[q + 1];
        const b2 = bp[q + 2];
        const b3 = bp[q + 3];
        s00 += a0 * b0;
        s01 += a0 * b1;
        s02 += a0 * b2;
        s03 += a0 * b3;
        s10 += a1 * b0;
        s11 += a1 * b1;
        s12 += a1 * b2;
        s13 += a1 * b3;
      }
      const o0 = i * n + j;
      const o1 = o0 + n;
      out[o0] = s00;
      out[o0 + 1] = s01;
      out[o0 + 2] = s02;
      out[o0 + 3] = s03;
      out[o1] = s10;
      out[o1 + 1] = s11;
      out[o1 + 2] = s12;
      out[o1 + 3] = s13;
    }
    if (i < m) {
      const ra = i * k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0, q = 0; p < k; p++, q += 4) {
        const av = a[ra + p];
        s0 += av * bp[q];
        s1 += av * bp[q + 1];
        s2 += av * bp[q + 2];
        s3 += av * bp[q + 3];
      }
      const o = i * n + j;
      out[o] = s0;
      out[o + 1] = s1;
      out[o + 2] = s2;
      out[o + 3] = s3;
    }
  }
  // The last n mod 4 columns, one at a time.
  for (; j < n; j++) {
    for (let p = 0, rb = j; p < k; p++, rb += n) bp[p] = b[rb];
    for (let i = 0; i < m; i++) {
      const ra = i * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ra + p] * bp[p];
      out[i * n + j] = s;
    }
  }
}

/**
 * out[c×r] = the transpose of src[r×c]. Eight rows at a time: each step reads one value from each
 * of eight rows and writes them side by side, a whole cache line of out, where one row at a time
 * would touch a different line of out with every value.
 */
export function transposeInto(src: Float64Array, out: Float64Array, rows: number, cols: number): void {
  let i = 0;
  for (; i + 7 < rows; i += 8) {
    const r0 = i * cols, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
    const r4 = r3 + cols, r5 = r4 + cols, r6 = r5 + cols, r7 = r6 + cols;
    for (let j = 0, o = i; j < cols; j++, o += rows) {
      out[o] = src[r0 + j];
      out[o + 1] = src[r1 + j];
      out[o + 2] = src[r2 + j];
      out[o + 3] = src[r3 + j];
      out[o + 4] = src[r4 + j];
      out[o + 5] = src[r5 + j];
      out[o + 6] = src[r6 + j];
      out[o + 7] = src[r7 + j];
    }
  }
  for (; i < rows; i++) {
    const r = i * cols;
    for (let j = 0, o = i; j < cols; j++, o += rows) out[o] = src[r + j];
  }
}

/** out[m×k] = g[m×n] · bᵀ where b is [k×n]: each element sums over n in order. */
export function matmulTransposedRightInto(g: Float64Array, b: Float64Array, out: Float64Array, m: number, n: number, k: number): void {
  if (runsOnSimd(m, k, n) && simdFits(g.length, n, 1, b.length, 1, n, m, n, k)) simdProduct(g, n, 1, b, 1, n, out, m, n, k);
  else scalarMatmulTransposedRightInto(g, b, out, m, n, k);
}

/** matmulTransposedRightInto's JavaScript kernel, whatever the size. */
export function scalarMatmulTransposedRightInto(g: Float64Array, b: Float64Array, out: Float64Array, m: number, n: number, k: number): void {
  flipped = scratch(flipped, k * n);
  const bt = flipped;
  transposeInto(b, bt, k, n);
  scalarMatmulInto(g, bt, out, m, n, k);
}

/** out[k×n] = aᵀ · g where a is [m×k] and g is [m×n]: each element sums over m in order. */
export function matmulTransposedLeftInto(a: Float64Array, g: Float64Array, out: Float64Array, m: number, k: number, n: number): void {
  if (runsOnSimd(m, k, n) && simdFits(a.length, 1, k, g.length, n, 1, k, m, n)) simdProduct(a, 1, k, g, n, 1, out, k, m, n);
  else scalarMatmulTransposedLeftInto(a, g, out, m, k, n);
}

/** matmulTransposedLeftInto's JavaScript kernel, whatever the size. */
export function scalarMatmulTransposedLeftInto(a: Float64Array, g: Float64Array, out: Float64Array, m: number, k: number, n: number): void {
  flipped = scratch(flipped, m * k);
  const at = flipped;
  transposeInto(a, at, m, k);
  scalarMatmulInto(at, g, out, k, m, n);
}
