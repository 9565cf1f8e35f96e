import { describe, expect, it } from 'vitest';
import { ETA, U, precisionOf, ulp, ulpDistance } from './float.ts';

describe('float64 constants', () => {
  it('are 2^-53 and 2^-1074', () => {
    expect(U).toBe(2 ** -53);
    expect(ETA).toBe(2 ** -1074);
  });
});

describe('ulpDistance', () => {
  it('counts the doubles between two values of one sign', () => {
    expect(ulpDistance(1, 1)).toBe(0);
    expect(ulpDistance(1, 1 + 2 ** -52)).toBe(1);
    expect(ulpDistance(1 + 2 ** -52, 1)).toBe(1);
    // [1, 2) holds 2^52 doubles.
    expect(ulpDistance(1, 2)).toBe(2 ** 52);
    expect(ulpDistance(-2, -1)).toBe(2 ** 52);
    expect(ulpDistance(0, 2 ** -1074 * 7)).toBe(7);
  });

  it('counts across zero, with −0 and 0 as one value', () => {
    expect(ulpDistance(0, -0)).toBe(0);
    expect(ulpDistance(-(2 ** -1074), 2 ** -1074)).toBe(2);
    expect(ulpDistance(-0, 2 ** -1074 * 3)).toBe(3);
    // The doubles in [0, 1) number 1023·2^52 (biased exponents 0 to 1022), and as many below 0.
    expect(ulpDistance(-1, 1)).toBe(2 * 1023 * 2 ** 52);
  });

  it('is 0 between two NaNs and infinite between a NaN and a number', () => {
    expect(ulpDistance(NaN, NaN)).toBe(0);
    expect(ulpDistance(NaN, 1)).toBe(Infinity);
    expect(ulpDistance(1, NaN)).toBe(Infinity);
  });
});

describe('ulp', () => {
  it('is the gap from |x| to the next double up', () => {
    expect(ulp(1)).toBe(2 ** -52);
    expect(ulp(1.75)).toBe(2 ** -52);
    expect(ulp(-2)).toBe(2 ** -51);
    expect(ulp(-3)).toBe(2 ** -51);
    expect(ulp(0.1)).toBe(2 ** -56);
    expect(ulp(Number.MAX_VALUE)).toBe(2 ** 971);
    expect(ulp(-Number.MAX_VALUE)).toBe(2 ** 971);
    // The smallest normal, 2^-1022, and everything below share the subnormal spacing.
    expect(ulp(2 ** -1022)).toBe(2 ** -1074);
    expect(ulp(2 ** -1021)).toBe(2 ** -1073);
    expect(ulp(2 ** -1030)).toBe(2 ** -1074);
    expect(ulp(0)).toBe(2 ** -1074);
    expect(ulp(-0)).toBe(2 ** -1074);
  });

  it('is NaN where no spacing exists', () => {
    expect(ulp(Infinity)).toBeNaN();
    expect(ulp(-Infinity)).toBeNaN();
    expect(ulp(NaN)).toBeNaN();
  });
});

describe('precisionOf', () => {
  it('gives each dtype its unit roundoff and subnormal spacing', () => {
    expect(precisionOf('float64')).toEqual({ u: 2 ** -53, eta: 2 ** -1074 });
    expect(precisionOf('float32')).toEqual({ u: 2 ** -24, eta: 2 ** -149 });
  });
});
