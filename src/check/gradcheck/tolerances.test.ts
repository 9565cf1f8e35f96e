import { describe, expect, it } from 'vitest';
import { DEFAULT_TOLERANCES, adjointUnderflow, baseStep, errorFloor, judge, noiseFloor, relativeError, unitRoundoff } from './tolerances.ts';

// Expected values are worked out by hand from the formulas in the doc comments, in powers of two.
const none = { relative: 0, absolute: 0, underflow: 0, singular: null };

describe('steps and floors', () => {
  it('gives each dtype its unit roundoff', () => {
    expect(unitRoundoff('float64')).toBe(2 ** -53);
    expect(unitRoundoff('float32')).toBe(2 ** -24);
  });

  it('rounds ε^(1/3) and ε^(1/5) down to powers of two', () => {
    // float64: ε = 2^-52, 52/3 = 17.3 and 52/5 = 10.4; float32: ε = 2^-23, 23/3 = 7.7 and 23/5 = 4.6.
    expect(baseStep('central', 'float64')).toBe(2 ** -18);
    expect(baseStep('richardson', 'float64')).toBe(2 ** -11);
    expect(baseStep('central', 'float32')).toBe(2 ** -8);
    expect(baseStep('richardson', 'float32')).toBe(2 ** -5);
  });

  it('sums truncation and noise at the step used', () => {
    // central: h²/6 + u/h; Richardson: h⁴/30 + 1.5·u/h.
    expect(errorFloor('central', 'float64')).toBe(2 ** -36 / 6 + 2 ** -35);
    expect(errorFloor('richardson', 'float64')).toBe(2 ** -44 / 30 + 1.5 * 2 ** -42);
    expect(errorFloor('central', 'float32')).toBe(2 ** -16 / 6 + 2 ** -16);
    expect(errorFloor('richardson', 'float32')).toBe(2 ** -20 / 30 + 1.5 * 2 ** -19);
  });

  it('sets the default tolerances to the values the docs state', () => {
    expect(DEFAULT_TOLERANCES.float64.central).toBeCloseTo(5.0e-10, 11);
    expect(DEFAULT_TOLERANCES.float64.richardson).toBeCloseTo(5.5e-12, 13);
    expect(DEFAULT_TOLERANCES.float32.central).toBeCloseTo(2.8e-4, 5);
    expect(DEFAULT_TOLERANCES.float32.richardson).toBeCloseTo(4.6e-5, 6);
  });
});

describe('noiseFloor', () => {
  // gain (central 1, Richardson 1.5) × 2 roundings × per-evaluation noise / h.
  it('counts relative roundings of the scale and of |f|', () => {
    expect(noiseFloor('central', 'float64', { ...none, relative: 3 }, 0, 2 ** -10)).toBe(2 * 3 * 2 ** -53 * 2 ** 10 + 2 * 2 ** -1074 * 2 ** 10);
    expect(noiseFloor('central', 'float64', none, 5, 1)).toBe(2 * 5 * 2 ** -53 + 2 * 2 ** -1074);
    expect(noiseFloor('richardson', 'float32', { ...none, relative: 1 }, 1, 1)).toBe(1.5 * 2 * (2 * 2 ** -24 + 2 ** -149));
  });

  it('counts a subnormal spacing per absolute rounding and one for f itself', () => {
    expect(noiseFloor('central', 'float64', { ...none, absolute: 3 }, 0, 1)).toBe(2 * 4 * 2 ** -1074);
    expect(noiseFloor('central', 'float32', { ...none, absolute: 1 }, 0, 1)).toBe(2 * 2 * 2 ** -149);
  });

  it('counts √(spacing) per unit of norm underflow', () => {
    // √(2^-1074) = 2^-537.
    expect(noiseFloor('central', 'float64', { ...none, underflow: 2 }, 0, 1)).toBe(2 * (2 ** -1074 + 2 * 2 ** -537));
    expect(noiseFloor('richardson', 'float64', { ...none, underflow: 1 }, 0, 2 ** -4)).toBe(1.5 * 2 * (2 ** -1074 + 2 ** -537) * 16);
  });
});

describe('adjointUnderflow', () => {
  it('allows two subnormal spacings per unit of sensitivity', () => {
    expect(adjointUnderflow('float64', 3)).toBe(6 * 2 ** -1074);
    expect(adjointUnderflow('float32', 0.5)).toBe(2 ** -149);
  });
});

describe('judge', () => {
  const scale = { noise: 0.25, floor: 0.5 };

  it('passes within 2·estimate + noise + floor and fails beyond it', () => {
    // tolerance = 2·0.125 + 0.25 + 0.5 = 1.
    expect(judge(2, 0.125, 1, scale, null, null)).toEqual({ tolerance: 1, noiseFloor: 0.25, status: 'pass' });
    expect(judge(-1, 0.125, 0, scale, null, null)).toEqual({ tolerance: 1, noiseFloor: 0.25, status: 'pass' });
    expect(judge(2.0000001, 0.125, 1, scale, null, null).status).toBe('fail');
    expect(judge(0, 0.125, 1.0000001, scale, null, null).status).toBe('fail');
  });

  it('reports a non-finite numerical or analytical value before anything else', () => {
    expect(judge(1, 0, 1, scale, 'a kink', 'NaN at x = 0')).toEqual({ tolerance: 0.75, noiseFloor: 0.25, status: 'nonfinite', reason: 'numerical: NaN at x = 0' });
    expect(judge(1, 0, Infinity, scale, 'a kink', null)).toMatchObject({ status: 'nonfinite', reason: 'analytical: Infinity' });
    expect(judge(1, 0, NaN, scale, null, 'overflow')).toMatchObject({ status: 'nonfinite', reason: 'numerical: overflow; analytical: NaN' });
  });

  it('reports an uncheckable element with its reason', () => {
    expect(judge(1, 0, 1, scale, 'a kink in the stencil', null)).toEqual({ tolerance: 0.75, noiseFloor: 0.25, status: 'not-checkable', reason: 'a kink in the stencil' });
  });

  it('names an overflow in the difference', () => {
    const reason = 'numerical: Infinity (the finite values overflow in the difference)';
    expect(judge(Infinity, 0, 1, scale, null, null)).toEqual({ tolerance: 0.75, noiseFloor: 0.25, status: 'nonfinite', reason });
    expect(judge(1, Infinity, 1, scale, null, null)).toMatchObject({ status: 'nonfinite', reason: 'numerical: 1 (the finite values overflow in the difference)' });
  });
});

describe('relativeError', () => {
  it('divides by the larger magnitude, and is 0 when both are 0', () => {
    expect(relativeError(0, 0)).toBe(0);
    expect(relativeError(2, 3)).toBe(1 / 3);
    expect(relativeError(-4, 2)).toBe(1.5);
    expect(relativeError(1, -4)).toBe(1.25);
    expect(relativeError(0, -2)).toBe(1);
  });
});
