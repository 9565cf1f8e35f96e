import fc from 'fast-check';
import { expect, it, vi } from 'vitest';

// matmul.ts writes its WebAssembly functions while it loads. This test imports a fresh copy inside
// the test, so that code runs under the test (under a mutant, the mutated builder) and simdWork()
// is read before any product. Nothing here imports matmul.ts statically: a builder that throws
// fails this test, where it stops every file that imports matmul.ts from loading, which Stryker's
// vitest runner counts as no failed test. resetModules also makes the test files that run after
// this one in the same worker load their own modules afresh, each file consistent with itself.
// (A query on the import, `./matmul.ts?fresh`, also gives a fresh copy, but Stryker then counts
// none of the copy's code as covered by this test.)

/** out[i·n + j] = ((0 + A(i, 0)·B(0, j)) + A(i, 1)·B(1, j)) + …, A and B read through strides. */
function naive(
  a: Float64Array, aRow: number, aCol: number,
  b: Float64Array, bRow: number, bCol: number,
  m: number, k: number, n: number,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < k; p++) out[i * n + j] += a[i * aRow + p * aCol] * b[p * bRow + j * bCol];
    }
  }
  return out;
}

const value = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(-0, 0, 5e-324, -2.5e-310, Infinity, -Infinity, NaN, 1e308) },
);
const values = (size: number) =>
  fc.array(value, { minLength: size, maxLength: size }).map((v) => Float64Array.from(v));
const side = fc.integer({ min: 0, max: 13 });
/** A is m×k, stored as it is or as its transpose (k×m); likewise B, k×n or n×k. */
const shape = fc.record({ m: side, k: side, n: side, aTransposed: fc.boolean(), bTransposed: fc.boolean() });
const product = shape.chain((s) =>
  fc.record({ a: values(s.m * s.k), b: values(s.k * s.n) }).map((operands) => ({
    ...s,
    ...operands,
    strides: [...(s.aTransposed ? [1, s.m] : [s.k, 1]), ...(s.bTransposed ? [1, s.k] : [s.n, 1])],
  })),
);

it('builds, when it loads, a kernel that gives the naive loop\'s bits, and counts no work before a product', async () => {
  vi.resetModules();
  const { simdProduct, simdWork } = await import('./matmul.ts');
  expect(simdWork()).toEqual({ products: 0, compilations: 0, memoryBytes: 0 });
  fc.assert(fc.property(product, ({ m, k, n, a, b, strides: [aRow, aCol, bRow, bCol] }) => {
    const out = new Float64Array(m * n).fill(12345.678);
    simdProduct(a, aRow, aCol, b, bRow, bCol, out, m, k, n);
    const expected = naive(a, aRow, aCol, b, bRow, bCol, m, k, n);
    expect(out.every((x, i) => Object.is(x, expected[i])), `${m}×${k}·${k}×${n}`).toBe(true);
  }), { numRuns: 100, seed: 7 });
  expect(simdWork().compilations).toBe(1);
});
