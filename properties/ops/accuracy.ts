/**
 * The accuracy each op must reach, per dtype: the one table the ops.* claims read their
 * tolerances from, and that docs/ops.md states (a test keeps the two equal).
 *
 * An op's result r, computed in the backend's dtype at inputs the dtype represents exactly, must
 * lie within k·n·(u·s + η) of the reference's value: u is the dtype's unit roundoff, η its
 * subnormal spacing, k the entry below, n the number of terms summed into the element (1 for an
 * elementwise op, the reduced count for sum and mean, the inner dimension for matmul, and for a
 * gradient the positions a broadcast input was stretched to), and s the element's scale: |r|
 * itself for 'self', and for 'terms' the same op over the inputs' (and the seed's) absolute
 * values, Σ|terms|, since a sum is accurate relative to its terms, not to its possibly cancelled
 * result.
 */
import type { Dtype } from '../../src/backends/backend.ts';
import type { OpName } from '../../src/engine/index.ts';

export interface OpAccuracy {
  /** k for the value, per dtype. */
  value: Record<Dtype, number>;
  /** k for each input's gradient, per dtype. */
  grad: Record<Dtype, number>;
  scale: 'self' | 'terms';
}

const exact = { float64: 0, float32: 0 };
/** One correctly rounded operation: the result within u·|r| (k = 1). */
const rounded = { float64: 1, float32: 1 };
/**
 * A few roundings: a derivative formula of two or three operations (g·(2·x), g/(2·y)), or a sum
 * of n rounded products (matmul), which is within (n + 1)·u of its terms.
 */
const few = { float64: 4, float32: 4 };
/**
 * A library's exp, log, tanh or pow: glibc and fdlibm (V8's Math) are within 1 ulp in float64,
 * tanh within 2; a float32 kernel computed in float32 (not rounded from float64) within 2–4 ulps
 * (CUDA's and Cephes' documented bounds). An ulp is at most 2u·|r|, and the two sides' errors
 * add: 8u covers the float64 pair, 16u the float32 kernels; float32-level precision in float64
 * (2^-24 relative, 2^29 u) is far outside.
 */
const transcendental = { float64: 8, float32: 16 };

export const OP_ACCURACY: Record<OpName, OpAccuracy> = {
  neg: { value: exact, grad: exact, scale: 'self' },
  exp: { value: transcendental, grad: transcendental, scale: 'self' },
  log: { value: transcendental, grad: rounded, scale: 'self' },
  sqrt: { value: rounded, grad: few, scale: 'self' },
  abs: { value: exact, grad: exact, scale: 'self' },
  sign: { value: exact, grad: exact, scale: 'self' },
  relu: { value: exact, grad: exact, scale: 'self' },
  // tanh's gradient g·(1 − y²) is computed from the rounded y, so it is accurate relative to
  // |g|·(1 + y²), not to its own (cancelled) value: the claims add |g|·y² to the scale.
  tanh: { value: transcendental, grad: transcendental, scale: 'self' },
  square: { value: rounded, grad: few, scale: 'self' },
  pow: { value: transcendental, grad: transcendental, scale: 'self' },
  add: { value: rounded, grad: rounded, scale: 'terms' },
  sub: { value: rounded, grad: rounded, scale: 'terms' },
  mul: { value: rounded, grad: few, scale: 'terms' },
  div: { value: rounded, grad: few, scale: 'terms' },
  matmul: { value: few, grad: few, scale: 'terms' },
  sum: { value: rounded, grad: exact, scale: 'terms' },
  mean: { value: few, grad: rounded, scale: 'terms' },
  norm: { value: few, grad: few, scale: 'terms' },
  reshape: { value: exact, grad: exact, scale: 'self' },
  transpose: { value: exact, grad: exact, scale: 'self' },
};

const PRECISION: Record<Dtype, { u: number; eta: number }> = {
  float64: { u: 2 ** -53, eta: 2 ** -1074 },
  float32: { u: 2 ** -24, eta: 2 ** -149 },
};

/** The allowed distance from the reference for one element: k·n·(u·s + η). */
export function allowedError(k: number, dtype: Dtype, terms: number, scale: number): number {
  const { u, eta } = PRECISION[dtype];
  return k * terms * (u * scale + eta);
}

/** The nearest value of the dtype: what a correct backend returns for the reference's exact-ish value. */
export function toDtype(x: number, dtype: Dtype): number {
  return dtype === 'float32' ? Math.fround(x) : x;
}
