import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactOf } from './exact.ts';
import { powInt } from './pow.ts';
import { referenceRound64 } from './reference-rounding.ts';

/** base^k exactly (mant^k·2^(exp·k)), rounded by the independent reference. */
function expected(base: number, k: number): number {
  if (k === 0) return 1;
  if (base === 0) return base ** k;
  const { mant, exp } = exactOf(base);
  const value = referenceRound64({ mant: mant ** BigInt(k), exp: exp * k });
  return value === 0 && base < 0 && k % 2 === 1 ? -0 : value;
}

const bases = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.double({ min: -4, max: 4, noNaN: true }),
  fc.constantFrom(0.9, 0.999, 0.99, 0.95, 0.5, 0.9999, 1 - 2 ** -53, 1 + 2 ** -52, 2 ** -1074, 1e-300, 1e300),
);

describe('powInt: base^k correctly rounded', () => {
  const property = (f: (base: number, k: number) => number) =>
    fc.property(bases, fc.integer({ min: 0, max: 300 }), (base, k) => Object.is(f(base, k), expected(base, k)));

  it('agrees with the exact power rounded once, underflow and overflow included', () => {
    fc.assert(property(powInt), { numRuns: 3000, seed: 13 });
  });

  it("fails for V8's ** (the property can fail)", () => {
    expect(fc.check(property((b, k) => b ** k), { numRuns: 3000, seed: 13 }).failed).toBe(true);
  });

  it("agrees with CPython's 0.9 ** 4.0, 0.9 ** 23.0 and 0.999 ** 16.0 where V8's ** is an ulp off", () => {
    // The values CPython 3.11 with glibc prints (glibc's pow is correctly rounded on these).
    expect([powInt(0.9, 4), powInt(0.9, 23), powInt(0.999, 16)]).toEqual([0.6561, 0.08862938119652507, 0.9841194418156399]);
    expect([0.9 ** 4, 0.9 ** 23, 0.999 ** 16]).not.toEqual([0.6561, 0.08862938119652507, 0.9841194418156399]);
  });

  it('settles exact midpoints and near-midpoints, where the double-double enclosure cannot, exactly', () => {
    // (1 − 2^-27)² = 1 − 2^-26 + 2^-54 lies exactly halfway between two doubles.
    const hard: [number, number][] = [[1 - 2 ** -27, 2], [-(1 - 2 ** -27), 3], [1 + 2 ** -27, 2], [0.9478274870593494, 24], [0.5250645323197618, 97]];
    for (const [base, k] of hard) expect(powInt(base, k)).toBe(expected(base, k));
  });

  it('rejects an exponent that is not a non-negative integer', () => {
    expect(() => powInt(0.9, 1.5)).toThrow(/integer ≥ 0, got 1.5/);
    expect(() => powInt(0.9, -1)).toThrow(/integer ≥ 0/);
  });
});
