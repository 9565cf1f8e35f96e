import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fma } from '../../arith/fma.ts';
import {
  SIMD_MIN_WORK, matmulInto, matmulTransposedLeftInto, matmulTransposedRightInto, runsOnSimd,
  scalarMatmulInto, scalarMatmulTransposedLeftInto, scalarMatmulTransposedRightInto,
} from '../kernels.ts';
import { SIMD_MAX_FLOATS, simdFits, simdProduct, simdWork } from './matmul.ts';

// Every kernel must give, bit for bit, what the textbook loop gives: each output element is
// ((0 + t₀) + t₁) + … over the inner index in order, every product and sum rounded on its own.
// The values include −0, subnormals, infinities and NaN, which a reordered, fused or differently
// started sum would propagate differently.

/** The output is m×n; k is the inner size, the length of each sum. */
interface Shape {
  m: number;
  k: number;
  n: number;
}

interface ProductCase extends Shape {
  name: Name;
  a: Float64Array;
  b: Float64Array;
}

/** Adds the term x·y, the t-th of its sum, to the running sum s. */
type Term = (s: number, x: number, y: number, t: number) => number;
const plain: Term = (s, x, y) => s + x * y;

/**
 * The three products matmul needs, each as the sizes of a and b and as strides into them:
 * A(i, p) = a[i·aRow + p·aCol], B(p, j) = b[p·bRow + j·bCol]. forward is a[m×k]·b[k×n];
 * transposedRight is a[m×k]·(b[n×k])ᵀ (matmul's g·bᵀ); transposedLeft is (a[k×m])ᵀ·b[k×n]
 * (matmul's aᵀ·g).
 */
const PRODUCTS = {
  forward: {
    sizes: ({ m, k, n }: Shape) => [m * k, k * n],
    strides: ({ k, n }: Shape) => [k, 1, n, 1],
  },
  transposedRight: {
    sizes: ({ m, k, n }: Shape) => [m * k, n * k],
    strides: ({ k }: Shape) => [k, 1, 1, k],
  },
  transposedLeft: {
    sizes: ({ m, k, n }: Shape) => [k * m, k * n],
    strides: ({ m, n }: Shape) => [1, m, n, 1],
  },
};
type Name = keyof typeof PRODUCTS;
const NAMES = Object.keys(PRODUCTS) as Name[];

/** C(i, j) = the sum of A(i, p)·B(p, j) over p, in order (or backwards), term by term. */
function textbook(c: ProductCase, term: Term, backwards = false): Float64Array {
  const { m, k, n, a, b } = c;
  const [aRow, aCol, bRow, bCol] = PRODUCTS[c.name].strides(c);
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

/** Each kernel of each product, called as ops.ts and kernels.ts call it, writing into out. */
const KERNELS: Record<Name, Record<string, (c: ProductCase, out: Float64Array) => void>> = {
  forward: {
    dispatch: ({ a, b, m, k, n }, out) => matmulInto(a, b, out, m, k, n),
    scalar: ({ a, b, m, k, n }, out) => scalarMatmulInto(a, b, out, m, k, n),
    simd: ({ a, b, m, k, n }, out) => simdProduct(a, k, 1, b, n, 1, out, m, k, n),
  },
  transposedRight: {
    dispatch: ({ a, b, m, k, n }, out) => matmulTransposedRightInto(a, b, out, m, k, n),
    scalar: ({ a, b, m, k, n }, out) => scalarMatmulTransposedRightInto(a, b, out, m, k, n),
    simd: ({ a, b, m, k, n }, out) => simdProduct(a, k, 1, b, 1, k, out, m, k, n),
  },
  transposedLeft: {
    dispatch: ({ a, b, m, k, n }, out) => matmulTransposedLeftInto(a, b, out, k, m, n),
    scalar: ({ a, b, m, k, n }, out) => scalarMatmulTransposedLeftInto(a, b, out, k, m, n),
    simd: ({ a, b, m, k, n }, out) => simdProduct(a, 1, m, b, n, 1, out, m, k, n),
  },
};

/** The kernel's result, in an array prefilled with a marker so that an element left unwritten shows. */
function resultOf(kernel: (c: ProductCase, out: Float64Array) => void, c: ProductCase): Float64Array {
  const out = new Float64Array(c.m * c.n).fill(12345.678);
  kernel(c, out);
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
/** Sides around the kernels' block sizes (4 for SIMD, 2×4 for JavaScript) and remainders, 0 included. */
const side = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 10, max: 21 }));
const values = (size: number) => fc.array(value, { minLength: size, maxLength: size }).map((v) => Float64Array.from(v));

const productCase = fc.record({ name: fc.constantFrom(...NAMES), m: side, k: side, n: side }).chain((shape) => {
  const [aSize, bSize] = PRODUCTS[shape.name].sizes(shape);
  return fc.record({ a: values(aSize), b: values(bSize) }).map((operands): ProductCase => ({ ...shape, ...operands }));
});

/** Every kernel of the case's product agrees with `reference` bit for bit. */
const agreesWith = (reference: (c: ProductCase) => Float64Array) =>
  fc.property(productCase, (c) => {
    const expected = reference(c);
    return Object.values(KERNELS[c.name]).every((kernel) => firstDifference(resultOf(kernel, c), expected) === -1);
  });

describe('matmul kernels: the textbook loop, bit for bit', () => {
  it('holds for the JavaScript, SIMD and dispatching kernel of each product, odd and empty shapes included', () => {
    fc.assert(agreesWith((c) => textbook(c, plain)), { numRuns: 300, seed: 7 });
  });

  it('fails against a sum taken backwards, a fused multiply-add, or a sum started from its first term', () => {
    const fused: Term = (s, x, y) => fma(x, y, s);
    const fromFirst: Term = (s, x, y, t) => (t === 0 ? x * y : s + x * y);
    const broken = [
      (c: ProductCase) => textbook(c, plain, true),
      (c: ProductCase) => textbook(c, fused),
      (c: ProductCase) => textbook(c, fromFirst),
    ];
    for (const reference of broken) expect(fc.check(agreesWith(reference), { numRuns: 300, seed: 7 }).failed).toBe(true);
  });

  it('runs the SIMD kernel from SIMD_MIN_WORK multiply-adds on, the thread model on JavaScript', () => {
    const edges = [runsOnSimd(8, 8, 8), runsOnSimd(SIMD_MIN_WORK, 1, 1), runsOnSimd(1, 1, SIMD_MIN_WORK - 1)];
    expect(edges).toEqual([true, true, false]);
    // The thread model's products, forward and backward: 10×5·5×5, 10×5·5×1 and their transposes.
    expect([runsOnSimd(10, 5, 5), runsOnSimd(5, 10, 5), runsOnSimd(10, 5, 1)]).toEqual([false, false, false]);
  });

  it('grows its memory for a product larger than any before', () => {
    // About 600 KB of operands, panels and outputs: past the one 64 KiB page the module starts
    // with, and past what any case of the property above needs.
    for (const name of NAMES) {
      const shape = { m: 70, k: 301, n: 45 };
      const [aSize, bSize] = PRODUCTS[name].sizes(shape);
      const c: ProductCase = {
        name,
        ...shape,
        a: Float64Array.from({ length: aSize }, (_, i) => Math.sin(i) * 3),
        b: Float64Array.from({ length: bSize }, (_, i) => Math.cos(i) / 7),
      };
      const expected = textbook(c, plain);
      for (const [kernel, product] of Object.entries(KERNELS[name])) {
        expect(firstDifference(resultOf(product, c), expected), `${name} ${kernel}`).toBe(-1);
      }
    }
  });

  it('leaves to JavaScript a product whose memory would pass SIMD_MAX_FLOATS, and refuses it by name', () => {
    // An n×n·n×n product with n a multiple of 4 needs A and B (n² each), their panels (n² each)
    // and the block of sums (n²): 5n² float64s. 5·7324² = 268,204,880 ≤ 2²⁸ = 268,435,456 < 5·7328².
    const fits = (n: number) => simdFits(n * n, n, 1, n * n, n, 1, n, n, n);
    expect([SIMD_MAX_FLOATS, fits(7324), fits(7328)]).toEqual([268_435_456, true, false]);
    // A 4×4·4×4 product whose A has `length` elements (all copied, though only 16 are read) needs
    // length rounded up to even (each region starts on 16 bytes), then 16 each for B, the two
    // panels and the sums: with length 2²⁸ − 64 exactly SIMD_MAX_FLOATS, with one more past it.
    const withA = (length: number) => simdFits(length, 4, 1, 16, 4, 1, 4, 4, 4);
    expect([withA(2 ** 28 - 64), withA(2 ** 28 - 63)]).toEqual([true, false]);
    const tiny = new Float64Array(1);
    expect(() => simdProduct(tiny, 7328, 1, tiny, 7328, 1, tiny, 7328, 7328, 7328))
      .toThrow(/a 7328×7328·7328×7328 product needs 268497920 float64s of WebAssembly memory, more than SIMD_MAX_FLOATS \(268435456\); check simdFits first/);
  });

  it('dispatches each product by its work and its memory: SIMD from SIMD_MIN_WORK on, else JavaScript', () => {
    const caseOf = (name: Name, shape: Shape): ProductCase => {
      const [aSize, bSize] = PRODUCTS[name].sizes(shape);
      return { name, ...shape, a: new Float64Array(aSize).fill(0.5), b: new Float64Array(bSize).fill(-3) };
    };
    const simdRuns = (c: ProductCase) => {
      const before = simdWork().products;
      const out = resultOf(KERNELS[c.name].dispatch, c);
      expect(firstDifference(out, textbook(c, plain)), c.name).toBe(-1);
      return simdWork().products - before;
    };
    for (const name of NAMES) {
      // 8·8·8 = 512 multiply-adds, and 511 = 7·73·1.
      expect([simdRuns(caseOf(name, { m: 8, k: 8, n: 8 })), simdRuns(caseOf(name, { m: 7, k: 73, n: 1 }))]).toEqual([1, 0]);
      // An operand whose length says 2²⁹ float64s (its first 64 are real; no product reads
      // further) needs more than SIMD_MAX_FLOATS of WebAssembly memory: JavaScript runs it.
      const huge = caseOf(name, { m: 8, k: 8, n: 8 });
      Object.defineProperty(huge.b, 'length', { value: 2 ** 29 });
      expect(simdRuns(huge), `${name}, too large for SIMD`).toBe(0);
    }
  });

  it('compiles its module once, and grows its memory to the whole pages the largest product needs', () => {
    const grown = (m: number, k: number, n: number) => {
      const before = simdWork().memoryBytes;
      const a = new Float64Array(m * k).fill(1);
      const b = new Float64Array(k * n).fill(2);
      simdProduct(a, k, 1, b, n, 1, new Float64Array(m * n), m, k, n);
      // m, k and n multiples of 4: A and B, their panels (as many floats again) and the m×n sums.
      const bytes = 8 * (2 * m * k + 2 * k * n + m * n);
      return [before, simdWork().memoryBytes, Math.max(before, Math.ceil(bytes / 65536) * 65536)];
    };
    const [, after, expected] = grown(96, 400, 96);
    expect(after).toBe(expected);
    const [before, unchanged] = grown(8, 8, 8);
    expect(unchanged).toBe(before);
    expect(simdWork().compilations).toBe(1);
  });
});
