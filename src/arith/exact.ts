/**
 * Exact binary floating-point values as integers: x = mant·2^exp with a BigInt mantissa, and the
 * one rounding back to a binary format (round to nearest, ties to even), subnormals and overflow
 * included. The slow paths of the correctly rounded operations end here.
 */

/** A binary format: its precision in bits, the exponent of its smallest subnormal spacing, and of its largest finite binade. */
export interface BinaryFormat {
  readonly precision: number;
  readonly minExp: number;
  readonly maxExp: number;
}

export const FLOAT64: BinaryFormat = { precision: 53, minExp: -1074, maxExp: 1023 };
export const FLOAT32: BinaryFormat = { precision: 24, minExp: -149, maxExp: 127 };

export interface Exact {
  readonly mant: bigint;
  readonly exp: number;
}

const view = new DataView(new ArrayBuffer(8));

/** A finite double as mant·2^exp (mant = 0 for ±0). */
export function exactOf(x: number): Exact {
  if (!Number.isFinite(x)) throw new RangeError(`exactOf: ${x} is not finite`);
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  const magnitude = biased === 0 ? fraction : fraction | (1n << 52n);
  const exp = (biased === 0 ? 1 : biased) - 1075;
  return { mant: hi >>> 31 === 1 ? -magnitude : magnitude, exp };
}

export function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * mant·2^exp rounded once to the nearest value of the format (ties to even), as a double.
 * A zero mantissa gives +0: callers that can produce −0 decide its sign themselves.
 */
export function roundExact(mant: bigint, exp: number, format: BinaryFormat = FLOAT64): number {
  if (mant === 0n) return 0;
  const negative = mant < 0n;
  let m = negative ? -mant : mant;
  let e = exp;
  const top = e + bitLength(m) - 1;
  const quantum = Math.max(top - (format.precision - 1), format.minExp);
  const shift = quantum - e;
  if (shift > 0) {
    const big = BigInt(shift);
    const kept = m >> big;
    const rest = m - (kept << big);
    const half = 1n << (big - 1n);
    m = rest > half || (rest === half && (kept & 1n) === 1n) ? kept + 1n : kept;
    e = quantum;
  }
  // A carry can lengthen m by one bit; the result is finite while its top bit stays in range.
  const roundedTop = e + bitLength(m) - 1;
  if (m !== 0n && roundedTop > format.maxExp) return negative ? -Infinity : Infinity;
  const magnitude = scaleByPowerOfTwo(Number(m), e);
  return negative ? -magnitude : magnitude;
}

/**
 * x·2^n for an integer x below 2^54 whose product is representable: the power is applied in
 * steps that each stay in the normal range, so every step is exact.
 */
function scaleByPowerOfTwo(x: number, n: number): number {
  let result = x;
  let left = n;
  while (left > 1000) {
    result *= powerOfTwo(1000);
    left -= 1000;
  }
  while (left < -1000) {
    result *= powerOfTwo(-1000);
    left += 1000;
  }
  return result * powerOfTwo(left);
}

/** 2^n for −1022 ≤ n ≤ 1023, built from its bits (no reliance on how exact a library pow is). */
export function powerOfTwo(n: number): number {
  view.setUint32(0, (n + 1023) << 20);
  view.setUint32(4, 0);
  return view.getFloat64(0);
}
