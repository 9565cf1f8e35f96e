/**
 * Steps, error floors and tolerances: how far a difference may lie from the analytical value
 * before an element is a failure.
 */
import type { Dtype } from '../../backends/backend.ts';
import { U } from '../float.ts';
import type { RoundingScale } from './noise.ts';
import type { ElementStatus, Method } from './report.ts';

// ---------------------------------------------------------------- steps and default tolerances

const MACHINE_EPSILON: Record<Dtype, number> = { float64: 2 ** -52, float32: 2 ** -23 };

// The records by dtype and by method are read by a branch on the key, with both entries loaded
// every time: a keyed load that meets a second key name, or a load first reached after the code
// was compiled, deoptimizes what it is inlined into, and these are inlined far up.

/** A record's entry for a dtype. */
export function byDtype<T>(record: Readonly<Record<Dtype, T>>, dtype: Dtype): T {
  const { float32, float64 } = record;
  return dtype === 'float32' ? float32 : float64;
}

/** A record's entry for a method. */
export function byMethod<T>(record: Readonly<Record<Method, T>>, method: Method): T {
  const { central, richardson } = record;
  return method === 'central' ? central : richardson;
}

/** The unit roundoff of the dtype. */
export function unitRoundoff(dtype: Dtype): number {
  return dtype === 'float64' ? U : 2 ** -24;
}

const STEP_EXPONENT: Record<Method, number> = { central: 1 / 3, richardson: 1 / 5 };

/**
 * The base step relative to max(1, |x|): ε^(1/3) for central differences, ε^(1/5) for Richardson,
 * rounded down to a power of two so that x ± h is exact for |x| ≤ 1 (no carry out of the binade
 * aside) and the stencil's ratios 1 : 2 : 4 hold exactly.
 */
export function baseStep(method: Method, dtype: Dtype): number {
  return 2 ** Math.floor(Math.log2(byDtype(MACHINE_EPSILON, dtype) ** byMethod(STEP_EXPONENT, method)));
}

/**
 * Each method's error floor, relative to the derivative scale F/s, for a function f of scale F
 * whose derivatives are unit-scaled (|f⁽ᵏ⁾|·sᵏ ≲ F with s = max(1, |x|)) and whose evaluation is
 * off by at most one rounding, u·F; h is the step relative to s:
 * - central: D(h) = f' + h²f‴/6 + O(h⁴), and the noise is ≤ 2·uF/(2h): h²/6 + u/h. At
 *   h = ε^(1/3) that is (2/3)·ε^(2/3); at the step used, 2^-18, 3.2e-11 (float64).
 * - Richardson: R = (4D(h) − D(2h))/3 = f' − h⁴f⁽⁵⁾/30 + O(h⁶), noise ≤ (4uF/h + uF/(2h))/3:
 *   h⁴/30 + 1.5·u/h. At h = ε^(1/5) that is about 0.78·ε^(4/5); at 2^-11, 3.4e-13 (float64).
 * Rounding the step down to a power of two (by less than half) trades truncation for noise;
 * the floors are those of the steps actually used.
 */
export function errorFloor(method: Method, dtype: Dtype): number {
  const h = baseStep(method, dtype);
  const u = unitRoundoff(dtype);
  return method === 'central' ? h ** 2 / 6 + u / h : h ** 4 / 30 + (1.5 * u) / h;
}

/**
 * The default relative tolerance: 16 times the method's floor. The floor assumes one rounding in
 * f and unit-scaled derivatives; the factor lets f carry up to 16 roundings' worth of noise (or
 * derivatives 16 times steeper than unit scale) before an element leans on its adaptive terms,
 * and it covers the analytical side's own roundings (a few u, far below every floor). Values:
 * float64 central 5.0e-10, Richardson 5.5e-12; float32 central 2.8e-4, Richardson 4.6e-5. The
 * float64 values are far below the 1e-8 relative errors the checker must detect, and below
 * PyTorch's rtol 1e-3 by six to eight orders of magnitude.
 */
export const TOLERANCE_SAFETY = 16;

export const DEFAULT_TOLERANCES: Record<Dtype, Record<Method, number>> = {
  float64: { central: TOLERANCE_SAFETY * errorFloor('central', 'float64'), richardson: TOLERANCE_SAFETY * errorFloor('richardson', 'float64') },
  float32: { central: TOLERANCE_SAFETY * errorFloor('central', 'float32'), richardson: TOLERANCE_SAFETY * errorFloor('richardson', 'float32') },
};



/**
 * How much evaluation noise reaches the result, per unit of noise/h: D(h) carries
 * (noise₊ + noise₋)/(2h) ≤ 1·noise/h; (4D(h) − D(2h))/3 carries (4·noise/h + noise/(2h))/3.
 */
const STENCIL_NOISE_GAIN: Record<Method, number> = { central: 1, richardson: 1.5 };

/**
 * The error estimate is the gap between the result and the same formula one step coarser:
 * |D(2h) − D(h)| is 3 times D(h)'s truncation error, |R(2h) − R(h)| 15 times R(h)'s, and both
 * are of the order of the noise when noise dominates. Twice the gap leaves room for noise that
 * happens to cancel between the two.
 */
const ESTIMATE_FACTOR = 2;

/**
 * Roundings per graph value assumed in the noise floor: one for the value itself, one more for
 * what the op does inside (a sum's partial sums, a library function's second half-ulp).
 */
export const NOISE_ROUNDINGS = 2;

/** The spacing of subnormals: below the normal range a rounding is off by up to half of it, absolutely. */
export const SUBNORMAL_SPACING: Record<Dtype, number> = { float64: 2 ** -1074, float32: 2 ** -149 };

/**
 * The stencil's noise floor: each evaluation is off by NOISE_ROUNDINGS roundings of the graph's
 * rounding scale (relative ones, u·|v|, and subnormal ones, weighted by the adjoints), plus the
 * largest |f| over the stencil (f may grow away from x), and the method amplifies noise by its
 * gain over the finest step h. A subnormal rounding is off by half a spacing, but half the
 * smallest spacing is not a double (it rounds to 0), so the whole spacing stands in for it.
 */
export function noiseFloor(method: Method, dtype: Dtype, scale: RoundingScale, magnitude: number, h: number): number {
  const eta = byDtype(SUBNORMAL_SPACING, dtype);
  const perEvaluation = unitRoundoff(dtype) * (scale.relative + magnitude) + eta * (scale.absolute + 1) + Math.sqrt(eta) * scale.underflow;
  return (byMethod(STENCIL_NOISE_GAIN, method) * NOISE_ROUNDINGS * perEvaluation) / h;
}

/**
 * The analytical side's own subnormal roundings: each adjoint may be off by a spacing, which
 * reaches the input's gradient multiplied by ∂v/∂x (see forwardSensitivity). Its relative
 * roundings, a few u, sit far below rtol.
 */
export function adjointUnderflow(dtype: Dtype, sensitivity: number): number {
  return NOISE_ROUNDINGS * byDtype(SUBNORMAL_SPACING, dtype) * sensitivity;
}

// ---------------------------------------------------------------- judging one element

export interface Judged {
  tolerance: number;
  noiseFloor: number;
  status: ElementStatus;
  reason?: string;
}

/**
 * The element's tolerance: twice its error estimate, plus the noise floor of the stencil (see
 * noiseFloor), plus the analytical side's floor (rtol times the analytical value's scale, and
 * its subnormal roundings, see adjointUnderflow). Non-finite
 * values come first, then what makes it not checkable (a kink in the stencil, unbounded noise):
 * an element is a pass or a failure only when neither applies.
 */
export function judge(numerical: number, estimate: number, analytical: number, scale: { noise: number; floor: number }, uncheckable: string | null, nonfinite: string | null): Judged {
  const tolerance = ESTIMATE_FACTOR * estimate + scale.noise + scale.floor;
  const noiseFloor = scale.noise;
  if (nonfinite !== null || !Number.isFinite(analytical)) {
    const parts = [nonfinite === null ? null : `numerical: ${nonfinite}`, Number.isFinite(analytical) ? null : `analytical: ${analytical}`].filter((p) => p !== null);
    return { tolerance, noiseFloor, status: 'nonfinite', reason: parts.join('; ') };
  }
  if (uncheckable !== null) return { tolerance, noiseFloor, status: 'not-checkable', reason: uncheckable };
  if (!Number.isFinite(numerical) || !Number.isFinite(tolerance)) return { tolerance, noiseFloor, status: 'nonfinite', reason: `numerical: ${numerical} (the finite values overflow in the difference)` };
  return { tolerance, noiseFloor, status: Math.abs(numerical - analytical) <= tolerance ? 'pass' : 'fail' };
}

export function relativeError(a: number, n: number): number {
  const denom = Math.max(Math.abs(a), Math.abs(n));
  return denom === 0 ? 0 : Math.abs(n - a) / denom;
}
