import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactOf, type Exact } from './exact.ts';
import { fma, fma32 } from './fma.ts';
import { referenceRound32, referenceRound64 } from './reference-rounding.ts';

/** a·b + c exactly, as an integer times a power of two. */
function exactFma(a: number, b: number, c: number): Exact {
  const x = exactOf(a);
  const y = exactOf(b);
  const z = exactOf(c);
  const pe = x.exp + y.exp;
  const exp = Math.min(pe, z.exp);
  return { mant: ((x.mant * y.mant) << BigInt(pe - exp)) + (z.mant << BigInt(z.exp - exp)), exp };
}

/** IEEE 754 fusedMultiplyAdd from first principles: special values by the standard's table, finite values rounded once. */
function expected(a: number, b: number, c: number, round: (x: Exact) => number): number {
  if (Number.isNaN(a) || Number.isNaN(b) || Number.isNaN(c)) return NaN;
  const productInfinite = !Number.isFinite(a) || !Number.isFinite(b);
  if (productInfinite) {
    if (a === 0 || b === 0) return NaN;
    const product = Math.sign(a) * Math.sign(b) * Infinity;
    return Number.isFinite(c) || c === product ? product : NaN;
  }
  if (!Number.isFinite(c)) return c;
  const x = exactFma(a, b, c);
  if (x.mant !== 0n) return round(x);
  // An exact zero: −0 only when both the product and c are −0 (or −0 + −0); else +0.
  const productNegative = (Object.is(a, -0) || a < 0) !== (Object.is(b, -0) || b < 0);
  const productZero = a === 0 || b === 0;
  if (productZero && c === 0) return productNegative && Object.is(c, -0) ? -0 : 0;
  return 0;
}

const same = (x: number, y: number) => Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));

/** Doubles with few significant bits at a chosen scale: products are exact and sums land on midpoints. */
const coarse = (bits: number, minExp: number, maxExp: number) =>
  fc.tuple(fc.integer({ min: -(2 ** bits), max: 2 ** bits }), fc.integer({ min: minExp, max: maxExp })).map(([m, e]) => m * 2 ** e);

const anyDouble = fc.double();
/** c near −a·b: cancellation, and c a half-ulp away from the product, the double-rounding cases. */
const moderate = fc.double({ min: -1e6, max: 1e6, noNaN: true });
const hardTriple = fc.tuple(moderate, moderate, fc.integer({ min: -4, max: 4 }), fc.integer({ min: -60, max: 2 }))
  .map(([a, b, k, s]) => {
    const p = a * b;
    return [a, b, -p + k * Math.abs(p) * 2 ** (s - 53)] as [number, number, number];
  });
const midpointTriple = fc.tuple(coarse(27, -30, 30), coarse(27, -30, 30), coarse(53, -90, 40));
const extremeTriple = fc.tuple(coarse(53, -1074, -900), coarse(53, -200, 200), coarse(53, -1074, -1000));
const hugeTriple = fc.tuple(coarse(53, 500, 971), coarse(53, 0, 600), coarse(53, 900, 971));

describe('fma: a·b + c rounded once to float64', () => {
  const property = (f: (a: number, b: number, c: number) => number) =>
    fc.property(fc.oneof(fc.tuple(anyDouble, anyDouble, anyDouble), hardTriple, midpointTriple, extremeTriple, hugeTriple), ([a, b, c]) =>
      same(f(a, b, c), expected(a, b, c, referenceRound64)),
    );

  it('agrees with the exact value rounded by Number(bigint), over random, cancelling, midpoint, subnormal and overflowing inputs', () => {
    fc.assert(property(fma), { numRuns: 10000, seed: 13 });
  });

  it('fails for the unfused a·b + c (the property can fail)', () => {
    const run = fc.check(property((a, b, c) => a * b + c), { numRuns: 10000, seed: 13 });
    expect(run.failed).toBe(true);
  });

  it('gets the signs of exact zeros and of underflowing products right', () => {
    expect(Object.is(fma(-0, 1, -0), -0)).toBe(true);
    expect(Object.is(fma(0, -1, 0), 0)).toBe(true);
    expect(Object.is(fma(-1e-200, 1e-200, 0), -0)).toBe(true);
    expect(Object.is(fma(3, 2, -6), 0)).toBe(true);
    expect(fma(1e300, 1e300, -Infinity)).toBe(-Infinity);
  });
});

const float32 = fc.float({ noDefaultInfinity: false }).map(Math.fround);
const coarse32 = (bits: number, minExp: number, maxExp: number) => coarse(bits, minExp, maxExp).map(Math.fround);

describe('fma32: a·b + c rounded once to float32', () => {
  const property = (f: (a: number, b: number, c: number) => number) =>
    fc.property(
      fc.oneof(
        fc.tuple(float32, float32, float32),
        fc.tuple(coarse32(12, -20, 20), coarse32(12, -20, 20), coarse32(24, -50, 20)),
        fc.tuple(coarse32(24, -149, -100), coarse32(24, -30, 30), coarse32(24, -149, -120)),
        fc.tuple(coarse32(24, 40, 104), coarse32(24, 0, 60), coarse32(24, 90, 104)),
      ),
      ([a, b, c]) => same(f(a, b, c), expected(a, b, c, referenceRound32)),
    );

  it('agrees with the exact value rounded to float32 by integer division', () => {
    fc.assert(property(fma32), { numRuns: 10000, seed: 13 });
  });

  it('fails for fround(a·b + c), which rounds twice', () => {
    expect(fc.check(property((a, b, c) => Math.fround(a * b + c)), { numRuns: 10000, seed: 13 }).failed).toBe(true);
  });
});
