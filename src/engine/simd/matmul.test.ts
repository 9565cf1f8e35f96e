import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fma } from '../../arith/fma.ts';
import {
  SIMD_MIN_WORK, matmulInto, runsOnSimd, matmulTransposedLeftInto, matmulTransposedRightInto, scalarMatmulInto,
  scalarMatmulTransposedLeftInto, scalarMatmulTransposedRightInto,
} from '../kernels.ts';
import { simdProduct } from './matmul.ts';

// Every kernel must give, bit for bit, what the textbook loop gives: each output element is
// ((0 + t₀) + t₁) + … over the inner index in order, every product and sum rounded on its own.
// The values include −0, subnormals, infinities and NaN, which a reordered, fused or differently
// started sum would propagate differently.

/** One product of the three that matmul needs: out[m×n] from a, b and the inner size k. */
type Product = (a: Float64Array, b: Float64Array, m: number, k: number, n: number) => Float64Array;

/** Adds the term x·y, the p-th of its sum, to the running sum s. */
type Term = (s: number, x: number, y: number, p: number) => number;
const plain: Term = (s, x, y) => s + x * y;

/**
 * The three products as strides into a and b: A(i, p) = a[i·aRow + p·aCol], B(p, j) = b[p·bRow + j·bCol].
 * forward is a[m×k]·b[k×n]; transposedRight is a[m×k]·(b[n×k])ᵀ (matmul's g·bᵀ); transposedLeft is
 * (a[k×m])ᵀ·b[k×n] (matmul's aᵀ·g).
 */
const PRODUCTS = {
  forward: { strides: (m: number, k: number, n: number) => [k, 1, n, 1], sizes: (m: number, k: number, n: number) => [m * k, k * n] },
  transposedRight: { strides: (m: number, k: number) => [k, 1, 1, k], sizes: (m: number, k: number, n: number) => [m * k, n * k] },
  transposedLeft: { strides: (m: number, k: number, n: number) => [1, m, n, 1], sizes: (m: number, k: number, n: number) => [k * m, k * n] },
};
type Name = keyof typeof PRODUCTS;

/** C(i, j) = the sum of A(i, p)·B(p, j) over p, in order (or backwards), term by term. */
function textbook(name: Name, term: Term, a: Float64Array, b: Float64Array, m: number, k: number, n: number, backwards = false): Float64Array {
  const [aRow, aCol, bRow, bCol] = PRODUCTS[name].strides(m, k, n);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) {
        const p = backwards ? k - 1 - t : t;
        s = term(s, a[i * aRow + p * aCol], b[p * bRow + j * bCol], t);
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

/** Each kernel, called as ops.ts calls it, under the same (a, b, m, k, n) as its reference. */
const KERNELS: Record<Name, Record<string, Product>> = {
  forward: {
    dispatch: (a, b, m, k, n) => run(m * n, (out) => matmulInto(a, b, out, m, k, n)),
    scalar: (a, b, m, k, n) => run(m * n, (out) => scalarMatmulInto(a, b, out, m, k, n)),
    simd: (a, b, m, k, n) => run(m * n, (out) => simdProduct(a, k, 1, b, n, 1, out, m, k, n)),
  },
  transposedRight: {
    dispatch: (a, b, m, k, n) => run(m * n, (out) => matmulTransposedRightInto(a, b, out, m, k, n)),
    scalar: (a, b, m, k, n) => run(m * n, (out) => scalarMatmulTransposedRightInto(a, b, out, m, k, n)),
    simd: (a, b, m, k, n) => run(m * n, (out) => simdProduct(a, k, 1, b, 1, k, out, m, k, n)),
  },
  transposedLeft: {
    dispatch: (a, b, m, k, n) => run(m * n, (out) => matmulTransposedLeftInto(a, b, out, k, m, n)),
    scalar: (a, b, m, k, n) => run(m * n, (out) => scalarMatmulTransposedLeftInto(a, b, out, k, m, n)),
    simd: (a, b, m, k, n) => run(m * n, (out) => simdProduct(a, 1, m, b, n, 1, out, m, k, n)),
  },
};

/** Runs a kernel into an output array prefilled with a marker, so an element left unwritten shows. */
function run(size: number, kernel: (out: Float64Array) => void): Float64Array {
  const out = new Float64Array(size).fill(12345.678);
  kernel(out);
  return out;
}

/** The first index where two arrays differ as bits (NaN equals NaN; −0 differs from 0), or −1. */
function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

const SPECIAL = [-0, 0, 5e-324, -2.5e-310, 2.2250738585072014e-308, Infinity, -Infinity, NaN, 1e308, -1e-300, 1, -1];
const value = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 1, arbitrary: fc.double() },
);
/** Sides around the kernels' block sizes (4) and remainders, zero included. */
const side = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 10, max: 21 }));

interface ProductCase {
  name: Name;
  m: number;
  k: number;
  n: number;
  a: Float64Array;
  b: Float64Array;
}

const productCase = fc.tuple(fc.constantFrom(...(Object.keys(PRODUCTS) as Name[])), side, side, side).chain(([name, m, k, n]) => {
  const [aSize, bSize] = PRODUCTS[name].sizes(m, k, n);
  const values = (size: number) => fc.array(value, { minLength: size, maxLength: size }).map((v) => Float64Array.from(v));
  return fc.record({ name: fc.constant(name), m: fc.constant(m), k: fc.constant(k), n: fc.constant(n), a: values(aSize), b: values(bSize) });
});

/** Every kernel of the case's product agrees with `reference` bit for bit. */
const agreesWith = (reference: (c: ProductCase) => Float64Array) =>
  fc.property(productCase, (c) => {
    const expected = reference(c);
    return Object.values(KERNELS[c.name]).every((kernel) => firstDifference(kernel(c.a, c.b, c.m, c.k, c.n), expected) === -1);
  });

const textbookOf = (term: Term, backwards = false) => (c: ProductCase) => textbook(c.name, term, c.a, c.b, c.m, c.k, c.n, backwards);

describe('matmul kernels: the textbook loop, bit for bit', () => {
  it('holds for the JavaScript, the SIMD and the dispatching kernel of each product, odd and empty shapes included', () => {
    fc.assert(agreesWith(textbookOf(plain)), { numRuns: 300, seed: 7 });
  });

  it('fails against a sum taken backwards, a fused multiply-add, or a sum started from its first term', () => {
    const fused: Term = (s, x, y) => fma(x, y, s);
    const fromFirst: Term = (s, x, y, p) => (p === 0 ? x * y : s + x * y);
    for (const broken of [textbookOf(plain, true), textbookOf(fused), textbookOf(fromFirst)]) {
      expect(fc.check(agreesWith(broken), { numRuns: 300, seed: 7 }).failed).toBe(true);
    }
  });

  it('runs the SIMD kernel from SIMD_MIN_WORK multiply-adds on, the thread model on JavaScript', () => {
    expect([runsOnSimd(8, 8, 8), runsOnSimd(SIMD_MIN_WORK, 1, 1), runsOnSimd(1, 1, SIMD_MIN_WORK - 1)]).toEqual([true, true, false]);
    // The thread model's products, forward and backward: 10×5·5×5, 10×5·5×1 and their transposes.
    expect([runsOnSimd(10, 5, 5), runsOnSimd(5, 10, 5), runsOnSimd(10, 5, 1)]).toEqual([false, false, false]);
  });

  it('grows its memory for a product larger than any before', () => {
    // About 600 KB of operands, panels and outputs: past the one 64 KiB page the module starts
    // with, and past what any case of the property above needs.
    const [m, k, n] = [70, 301, 45];
    for (const name of Object.keys(PRODUCTS) as Name[]) {
      const [aSize, bSize] = PRODUCTS[name].sizes(m, k, n);
      const a = Float64Array.from({ length: aSize }, (_, i) => Math.sin(i) * 3);
      const b = Float64Array.from({ length: bSize }, (_, i) => Math.cos(i) / 7);
      const expected = textbook(name, plain, a, b, m, k, n);
      for (const [kernel, product] of Object.entries(KERNELS[name])) {
        expect(firstDifference(product(a, b, m, k, n), expected), `${name} ${kernel}`).toBe(-1);
      }
    }
  });
});
