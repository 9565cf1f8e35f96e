/** Float64 facts the error bounds are built from. */

/** Unit roundoff: the largest relative error of one rounding to nearest in the normal range. */
export const U = Number.EPSILON / 2;

/**
 * The spacing of subnormals, 2^-1074. The standard model of one rounding is
 * fl(x ∘ y) = (x ∘ y)(1 + δ) + η with |δ| ≤ U and |η| ≤ ETA/2 (ETA/2 itself is not a double).
 */
export const ETA = Number.MIN_VALUE;

const view = new DataView(new ArrayBuffer(8));

/** The float64 as an ordered integer (as a bigint), so neighbours differ by one. */
function ordered(x: number): bigint {
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  return bits < 0n ? -(bits & 0x7fffffffffffffffn) : bits;
}

/** How many representable doubles lie between a and b (0 for equal values, −0 and 0 included). */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const d = ordered(a) - ordered(b);
  return Number(d < 0n ? -d : d);
}

/**
 * The spacing of doubles at |x|: the gap from |x| up to the next double (ETA in the subnormal
 * range), so that a correctly rounded result is within ulp(result)/2 of the exact value.
 */
export function ulp(x: number): number {
  if (!Number.isFinite(x)) return NaN;
  view.setFloat64(0, x);
  const biased = (view.getUint16(0) >>> 4) & 0x7ff;
  return biased === 0 ? ETA : 2 ** (biased - 1075);
}

/** Unit roundoff and subnormal spacing of a backend's dtype, for bounds that hold on any backend. */
export function precisionOf(dtype: 'float64' | 'float32'): { u: number; eta: number } {
  return dtype === 'float32' ? { u: 2 ** -24, eta: 2 ** -149 } : { u: U, eta: ETA };
}
