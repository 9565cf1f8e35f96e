/**
 * An independent rounding of exact values for the tests of the correctly rounded operations:
 * float64 through ECMAScript's Number(bigint), which the language defines as round to nearest,
 * ties to even, and float32 (and every subnormal) by integer division with the remainder compared
 * against half the divisor. It shares nothing with exact.ts's shifting.
 */
import type { Exact } from './exact.ts';

const MIN_F32 = Math.fround(1e-45);

/** 2^n as a double, exactly, for |n| ≤ 1074. */
function twoTo(n: number): number {
  if (n >= 0) return Number(1n << BigInt(n));
  return n >= -1022 ? 1 / Number(1n << BigInt(-n)) : (1 / Number(1n << 1000n)) * (1 / Number(1n << BigInt(-n - 1000)));
}

function divideToEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const twice = 2n * (n - q * d);
  return twice > d || (twice === d && q % 2n === 1n) ? q + 1n : q;
}

/** mant·2^exp rounded to an integer multiple of 2^q (round half to even), as that integer. */
function roundAt(mant: bigint, exp: number, q: number): bigint {
  return exp >= q ? mant << BigInt(exp - q) : divideToEven(mant, 1n << BigInt(q - exp));
}

export function referenceRound64({ mant, exp }: Exact): number {
  if (mant === 0n) return 0;
  const sign = mant < 0n ? -1 : 1;
  const n = mant < 0n ? -mant : mant;
  const top = exp + n.toString(2).length - 1;
  if (top < -1022) return sign * Number(roundAt(n, exp, -1074)) * Number.MIN_VALUE;
  // Normal range: Number(n) rounds to 53 bits, and scaling by a power of two is exact (or overflows).
  // A long n is first cut to 60 bits plus a sticky bit, which rounds the same at 53 bits.
  const cut = Math.max(n.toString(2).length - 60, 0);
  const kept = n >> BigInt(cut);
  let value = Number(kept << BigInt(cut) === n ? kept : kept | 1n);
  let left = exp + cut;
  while (left > 0) {
    const step = Math.min(left, 1000);
    value *= twoTo(step);
    left -= step;
  }
  while (left < 0) {
    const step = Math.max(left, -1000);
    value *= twoTo(step);
    left -= step;
  }
  return sign * value;
}

export function referenceRound32({ mant, exp }: Exact): number {
  if (mant === 0n) return 0;
  const sign = mant < 0n ? -1 : 1;
  const n = mant < 0n ? -mant : mant;
  const top = exp + n.toString(2).length - 1;
  const q = Math.max(top - 23, -149);
  const m = roundAt(n, exp, q);
  if (m === 0n) return sign * 0;
  const value = q === -149 ? Number(m) * MIN_F32 : Number(m) * twoTo(q);
  return sign * (value >= 2 ** 128 ? Infinity : value);
}
