/**
 * base^k for an integer k ≥ 0, correctly rounded to float64: what Python's `beta ** step` aims at
 * (glibc's pow is within 0.52 ulp, so the two agree except within a few thousandths of an ulp of a
 * midpoint). V8's `**` is not correctly rounded (0.9 ** 4 is one ulp off).
 *
 * The power is enclosed between a lower and an upper bound, each kept to `bits` bits by truncating
 * down and up; when both bounds round to the same double, so does every value between them, the
 * exact power included. Otherwise the precision grows until the power is computed exactly.
 */
import { FLOAT64, bitLength, exactOf, roundExact, type Exact } from './exact.ts';

function truncate(x: Exact, bits: number, up: boolean): Exact {
  const extra = bitLength(x.mant) - bits;
  if (extra <= 0) return x;
  const shift = BigInt(extra);
  const kept = x.mant >> shift;
  const lost = x.mant !== kept << shift;
  return { mant: up && lost ? kept + 1n : kept, exp: x.exp + extra };
}

function times(x: Exact, y: Exact, bits: number, up: boolean): Exact {
  return truncate({ mant: x.mant * y.mant, exp: x.exp + y.exp }, bits, up);
}

function powerWithin(base: Exact, k: number, bits: number): [Exact, Exact] {
  let low: Exact = { mant: 1n, exp: 0 };
  let high = low;
  let squareLow = base;
  let squareHigh = base;
  for (let left = k; left > 0; left = Math.floor(left / 2)) {
    if (left % 2 === 1) {
      low = times(low, squareLow, bits, false);
      high = times(high, squareHigh, bits, true);
    }
    if (left > 1) {
      squareLow = times(squareLow, squareLow, bits, false);
      squareHigh = times(squareHigh, squareHigh, bits, true);
    }
  }
  return [low, high];
}

export function powInt(base: number, k: number): number {
  if (!Number.isSafeInteger(k) || k < 0) throw new RangeError(`powInt: the exponent must be an integer ≥ 0, got ${k}`);
  if (k === 0) return 1;
  if (!Number.isFinite(base) || base === 0) return base ** k;
  const negative = base < 0 && k % 2 === 1;
  const magnitude = exactOf(Math.abs(base));
  // Beyond 53·k bits nothing is truncated, so the loop ends with the exact power at the latest.
  for (let bits = 128; ; bits *= 4) {
    const [low, high] = powerWithin(magnitude, k, bits);
    const rounded = roundExact(low.mant, low.exp, FLOAT64);
    if (rounded === roundExact(high.mant, high.exp, FLOAT64)) return negative ? -rounded : rounded;
  }
}
