/**
 * Fused multiply-add: a·b + c rounded once, as the CPU's FMA instruction computes it, for float64
 * (fma) and for float32 values (fma32). JavaScript has no fused operation, so the exact value is
 * rebuilt from error-free transformations, and only when they cannot prove the rounding correct
 * does exact integer arithmetic decide.
 */
import { FLOAT64, exactOf, powerOfTwo, roundExact } from './exact.ts';

/** 2^27 + 1: Veltkamp's constant, splitting a double into two halves of 26 bits each. */
const SPLITTER = 134217729;
/** Inside [2^-900, 2^900] no step of the fast path overflows or loses bits below the subnormal range. */
const SAFE_MAX = 2 ** 900;
const SAFE_MIN = 2 ** -900;

/** The rounding error of s = fl(a + b): a + b = s + error exactly (Knuth's TwoSum). */
function sumError(a: number, b: number, s: number): number {
  const bVirtual = s - a;
  return a - (s - bVirtual) + (b - bVirtual);
}

/** The rounding error of p = fl(a·b): a·b = p + error exactly (Dekker's TwoProduct), in the safe range. */
export function productError(a: number, b: number, p: number): number {
  const ac = SPLITTER * a;
  const aHigh = ac - (ac - a);
  const aLow = a - aHigh;
  const bc = SPLITTER * b;
  const bHigh = bc - (bc - b);
  const bLow = b - bHigh;
  return aHigh * bHigh - p + aHigh * bLow + aLow * bHigh + aLow * bLow;
}

const view = new DataView(new ArrayBuffer(8));

/**
 * Half the smaller of the two gaps next to a normal double r: any value closer to r than this
 * rounds to r.
 */
function halfGap(r: number): number {
  view.setFloat64(0, r);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  const isPowerOfTwo = (hi & 0xfffff) === 0 && view.getUint32(4) === 0;
  return powerOfTwo(biased - 1075 - (isPowerOfTwo ? 2 : 1));
}

function inSafeRange(x: number): boolean {
  const m = Math.abs(x);
  return m >= SAFE_MIN && m <= SAFE_MAX;
}

/** a·b + c rounded once to float64 (IEEE 754 fusedMultiplyAdd, round to nearest even). */
export function fma(a: number, b: number, c: number): number {
  // Infinities and NaN: the unfused expression gets them right, except that a finite product is
  // never infinite, whatever its double rounding says.
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a * b + c;
  if (!Number.isFinite(c)) return c;
  // An exactly zero product: the sum is c, or a zero whose sign IEEE addition decides.
  if (a === 0 || b === 0) return a * b + c;
  // c = 0: the result is the product rounded once, with the product's sign even if it underflows.
  if (c === 0) return a * b;
  const p = a * b;
  if (inSafeRange(a) && inSafeRange(b) && inSafeRange(p) && inSafeRange(c)) {
    const e = productError(a, b, p);
    const s = p + c;
    const t = sumError(p, c, s);
    const w = t + e;
    const wError = sumError(t, e, w);
    const r = s + w;
    // a·b + c = s + w + wError exactly; with wError = 0 that is s + w, which r rounds once.
    if (wError === 0) return r;
    // Else the exact value is r + (rError + wError); a residual below half the gap keeps r.
    const residual = sumError(s, w, r) + wError;
    if (r !== 0 && inSafeRange(r) && Math.abs(residual) < halfGap(r)) return r;
  }
  return exactFma(a, b, c);
}

function exactFma(a: number, b: number, c: number): number {
  const x = exactOf(a);
  const y = exactOf(b);
  const z = exactOf(c);
  const productMant = x.mant * y.mant;
  const productExp = x.exp + y.exp;
  const exp = Math.min(productExp, z.exp);
  const mant = (productMant << BigInt(productExp - exp)) + (z.mant << BigInt(z.exp - exp));
  // Nonzero terms cancelling exactly give +0 under round to nearest.
  return roundExact(mant, exp, FLOAT64);
}

/**
 * a·b + c rounded once to float32, for float32 values a, b, c. The product is exact in double
 * (48 bits); the sum is rounded to double by round-to-odd, which keeps a sticky bit, so the final
 * rounding to float32 (24 bits, 29 fewer) is the correct one (Boldo & Melquiond, 2008).
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  if (!Number.isFinite(s) || s === 0) return Math.fround(s);
  const t = sumError(p, c, s);
  return Math.fround(t === 0 ? s : roundToOdd(s, t));
}

/** s when its last bit is odd, else its neighbour toward s + t (t ≠ 0 the part s lost). */
function roundToOdd(s: number, t: number): number {
  view.setFloat64(0, s);
  const bits = view.getBigUint64(0);
  if ((bits & 1n) === 1n) return s;
  // Sign and magnitude: one unit more in the magnitude's bits is the next double away from zero.
  view.setBigUint64(0, t > 0 === s > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}
