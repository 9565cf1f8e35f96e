/**
 * base^k for an integer k ≥ 0, correctly rounded to float64: what Python's `beta ** step` aims at
 * (glibc's pow is within 0.52 ulp, so the two agree except within a few thousandths of an ulp of a
 * midpoint). V8's `**` is not correctly rounded (0.9 ** 4 is one ulp off).
 *
 * First in double-double arithmetic (about 106 bits) with a bound on its relative error: when the
 * enclosure cannot straddle a rounding boundary, the double-double's leading part is the answer.
 * Otherwise the power is enclosed between a lower and an upper bound, each kept to `bits` bits by
 * truncating down and up; when both bounds round to the same double, so does every value between
 * them, the exact power included. Otherwise the precision grows until the power is exact.
 */
import { FLOAT64, bitLength, exactOf, powerOfTwo, roundExact, type Exact } from './exact.ts';
import { productError } from './fma.ts';

/** Inside [2^-900, 2^900] Dekker's product is exact (no overflow in the split, no lost low bits). */
const SAFE_MAX = 2 ** 900;
const SAFE_MIN = 2 ** -900;
/**
 * The relative error of one double-double product without the low·low term (Dekker's mul2;
 * Joldes, Muller and Popescu 2017 prove 7u² for it), taken as 16u² with u = 2^-53 for margin.
 */
const PRODUCT_ERROR = 16 * 2 ** -106;

const view = new DataView(new ArrayBuffer(8));

/** Half the smaller of the two gaps next to a normal double r (as in fma.ts). */
function halfGap(r: number): number {
  view.setFloat64(0, r);
  const hi = view.getUint32(0);
  const isPowerOfTwo = (hi & 0xfffff) === 0 && view.getUint32(4) === 0;
  return powerOfTwo(((hi >>> 20) & 0x7ff) - 1075 - (isPowerOfTwo ? 2 : 1));
}

/** base^k for base > 0 when double-double arithmetic settles its rounding; NaN when it cannot. */
function doubleDoublePower(base: number, k: number): number {
  let high = 1;
  let low = 0;
  let squareHigh = base;
  let squareLow = 0;
  let products = 0;
  const times = (ah: number, al: number, bh: number, bl: number): [number, number] => {
    const p = ah * bh;
    const e = productError(ah, bh, p) + (ah * bl + al * bh);
    const h = p + e;
    products += 1;
    return [h, e - (h - p)];
  };
  for (let left = k; left > 0; left = Math.floor(left / 2)) {
    if (left % 2 === 1) [high, low] = times(high, low, squareHigh, squareLow);
    if (left > 1) [squareHigh, squareLow] = times(squareHigh, squareLow, squareHigh, squareLow);
    if (!(high >= SAFE_MIN && high <= SAFE_MAX && squareHigh >= SAFE_MIN && squareHigh <= SAFE_MAX)) return NaN;
  }
  // The exact power is (high + low)(1 + θ) with |θ| ≤ (1 + PRODUCT_ERROR)^products − 1 < 2·products·PRODUCT_ERROR;
  // high is the nearest double to high + low, and stays the nearest to every value that close.
  const slack = 2 * products * PRODUCT_ERROR * (Math.abs(high) + Math.abs(low));
  return Math.abs(low) + slack < halfGap(high) ? high : NaN;
}

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
  const fast = doubleDoublePower(Math.abs(base), k);
  if (!Number.isNaN(fast)) return negative ? -fast : fast;
  const magnitude = exactOf(Math.abs(base));
  // Beyond 53·k bits nothing is truncated, so the loop ends with the exact power at the latest.
  for (let bits = 128; ; bits *= 4) {
    const [low, high] = powerWithin(magnitude, k, bits);
    const rounded = roundExact(low.mant, low.exp, FLOAT64);
    if (rounded === roundExact(high.mant, high.exp, FLOAT64)) return negative ? -rounded : rounded;
  }
}
