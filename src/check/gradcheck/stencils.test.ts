import { describe, expect, it } from 'vitest';
import { Random, fromData } from '../../engine/index.ts';
import type { Site } from './kinks.ts';
import type { Method } from './report.ts';
import { differentiateLine, direction, exactDirection, moveAlong, powerOfTwoScale, round, type Sample } from './stencils.ts';

const OUT = fromData([0], [1]);
const KINK_SITE = { op: 'relu', rule: { what: 'relu at 0', test: 'sign', singular: false }, values: new Float64Array([0]) } as unknown as Site;

/** A sample of outputs fs at offset t (realized as `offset`), with `sites` kink sites. */
const at = (fs: ((t: number) => number)[], t: number, offset = t, sites: Site[] = []): Sample => ({
  offset,
  values: Float64Array.from(fs, (f) => f(offset)),
  sites,
  out: OUT,
  nodes: null,
});

/** differentiateLine on the outputs fs of the offset, with every probe's t recorded. */
function line(method: Method, h: number, fs: ((t: number) => number)[], realize = (t: number) => t, sitesAt = (_t: number): Site[] => []) {
  const probes: number[] = [];
  const count = { n: 0 };
  const result = differentiateLine(method, h, at(fs, 0), fs.length, (t) => {
    probes.push(t);
    return at(fs, t, realize(t), sitesAt(t));
  }, count);
  return { ...result, probes, count: count.n };
}

describe('differentiateLine', () => {
  it('central: D(h) = (f(h) − f(−h))/2h, its error estimate |D(2h) − D(h)|, the largest |f| on either side', () => {
    // f = (1 + t)³: D(h) = 3 + h², so D(1/2) = 3.25 and D(1) = 4. g = (1 − t)³: D(h) = −3 − h².
    const r = line('central', 0.5, [(t) => (1 + t) ** 3, (t) => (1 - t) ** 3]);
    expect([...r.numerical]).toEqual([3.25, -3.25]);
    expect([...r.estimate]).toEqual([0.75, 0.75]);
    // |f| is largest at t = 1 (8) for f and at t = −1 (8) for g.
    expect([...r.magnitude]).toEqual([8, 8]);
    expect(r.probes).toEqual([0.5, 1, -0.5, -1]);
    expect(r.count).toBe(4);
    expect(r.step).toBe(0.5);
    expect(r.kink).toBeNull();
    expect(r.nonfinite).toEqual([null, null]);
    expect(r.ends.map((s) => s.offset)).toEqual([1, -1]);
    expect(r.inner.map((s) => s.offset)).toEqual([0.5, -0.5]);
  });

  it('richardson: (4·D(h) − D(2h))/3, its error estimate against (4·D(2h) − D(4h))/3', () => {
    // f = t + t⁵: D(h) = 1 + h⁴, so fine = 1 − 4h⁴ and coarse = 1 − 64h⁴; at h = 1/2: 0.75 and −3.
    const r = line('richardson', 0.5, [(t) => t + t ** 5]);
    expect([...r.numerical]).toEqual([0.75]);
    expect([...r.estimate]).toEqual([3.75]);
    expect([...r.magnitude]).toEqual([34]);
    expect(r.probes).toEqual([0.5, 1, 2, -0.5, -1, -2]);
    expect(r.count).toBe(6);
    expect(r.ends.map((s) => s.offset)).toEqual([2, -2]);
    expect(r.inner.map((s) => s.offset)).toEqual([0.5, -0.5]);
  });

  it('takes the magnitude at x too', () => {
    // f = 5 − t²: |f| is largest at x.
    expect([...line('central', 0.5, [(t) => 5 - t * t]).magnitude]).toEqual([5]);
  });

  it('divides by the realized offsets, and adds |f″|·Σ|w·μ| when they are not symmetric', () => {
    // f = t² + 1, h = 1/4, x + h realized at 0.375 and x + 2h at 0.625 (x − h, x − 2h exact):
    // μ = 1/16 for both.
    const f = (t: number): number => t * t + 1;
    const r = line('central', 0.25, [f], (t) => (t > 0 ? t + 0.125 : t));
    // D = (a² − b²)/(a + b) = a − b = 2μ = 1/8 for both steps, so the plain estimate is 0;
    // f″ from the 2h samples: (1.390625 − 2 + 1.25)/(0.625·0.5) = 2.05; central's weights (1, 0).
    expect([...r.numerical]).toEqual([0.125]);
    expect(r.estimate[0]).toBeCloseTo((0.640625 / 0.3125) * 0.0625, 15);
  });

  it('weighs the shifts by Richardson\'s weights 4/3, −1/3 and 0', () => {
    // As above with x + 4h realized at 1.125: μ = 1/16 for every step, D = 1/8 for every step.
    const r = line('richardson', 0.25, [(t) => t * t + 1], (t) => (t > 0 ? t + 0.125 : t));
    expect(r.numerical[0]).toBeCloseTo(0.125, 15);
    expect(r.estimate[0]).toBeCloseTo(2.05 * (4 / 3 + 1 / 3) * 0.0625, 15);
  });

  it('weighs each shift by its Richardson weight, a shift of one step only included', () => {
    // Only x + 2h (t = 1) realized at 1.25: μ = (0, 1/8, 0). D = (0, 1/4, 0), fine = −1/12,
    // coarse = 1/3, so the plain estimate is 5/12; f″ = 2.05 from the 2h samples, weight |−1/3|.
    const r = line('richardson', 0.5, [(t) => t * t], (t) => (t === 1 ? 1.25 : t));
    expect(r.numerical[0]).toBeCloseTo(-1 / 12, 15);
    expect(r.estimate[0]).toBeCloseTo(5 / 12 + 2.05 / 24, 15);
  });

  it('names the first value that is not finite, by side and multiple of h', () => {
    const r = line('richardson', 0.5, [
      (t) => (t === -0.5 ? Infinity : t === 1 ? NaN : t),
      (t) => (t === 1 ? NaN : t),
      (t) => (t === -2 ? -Infinity : t),
      (t) => (t === 0.5 ? Infinity : t === -0.5 ? NaN : t),
      (t) => t,
    ]);
    expect(r.nonfinite).toEqual(['f(x − h) = Infinity', 'f(x + 2h) = NaN', 'f(x − 4h) = -Infinity', 'f(x + h) = Infinity', null]);
  });

  it('keeps an infinite error estimate infinite when the offsets are symmetric', () => {
    // f(x + 2h) = ∞: |D(2h) − D(h)| = ∞, with no shift correction (which would add ∞·0 = NaN).
    expect([...line('central', 0.5, [(t) => (t === 1 ? Infinity : t)]).estimate]).toEqual([Infinity]);
  });

  it('shrinks the step by 16 while the stencil straddles a kink', () => {
    // A kink site appears beyond |t| = 0.1: h = 1 and h = 1/16 (2h = 1/8) straddle it, h = 1/256 does not.
    const r = line('central', 1, [(t) => t], undefined, (t) => (Math.abs(t) > 0.1 ? [KINK_SITE] : []));
    expect(r.step).toBe(1 / 256);
    expect(r.kink).toBeNull();
    expect(r.count).toBe(12);
    expect(r.probes).toEqual([1, 2, -1, -2, 1 / 16, 1 / 8, -1 / 16, -1 / 8, 1 / 256, 1 / 128, -1 / 256, -1 / 128]);
    expect([...r.numerical]).toEqual([1]);
  });

  it('gives up after two shrinks and says why', () => {
    const r = line('central', 1, [(t) => t], undefined, () => [KINK_SITE]);
    expect(r.step).toBe(1 / 256);
    expect(r.count).toBe(12);
    expect(r.kink).toBe('the stencil straddles a kink: the graph changes shape within the stencil');
  });
});

describe('points and directions', () => {
  it('rounds to float32 only for float32', () => {
    expect(round('float32', 0.1)).toBe(Math.fround(0.1));
    expect(round('float32', 0.1)).not.toBe(0.1);
    expect(round('float64', 0.1)).toBe(0.1);
  });

  it('moves x by t·u, rounded to the dtype', () => {
    const x = new Float64Array([1, 2, -3]);
    const u = new Float64Array([1, -0.5, 0]);
    expect([...moveAlong(x, 0.1, u, 'float64')]).toEqual([1 + 0.1, 2 - 0.05, -3]);
    expect([...moveAlong(x, 0.1, u, 'float32')]).toEqual([Math.fround(1.1), Math.fround(1.95), -3]);
  });

  it('scales by the largest power of two ≤ max(1, |x|)', () => {
    expect([0, 1e-5, 0.75, 1, 1.5, 3, -5, 8, -1024.5].map(powerOfTwoScale)).toEqual([1, 1, 1, 1, 1, 2, 4, 8, 1024]);
  });

  it('draws normal entries scaled to a largest magnitude of 1, kept to 20 bits', () => {
    const z = direction(new Random(3), 6);
    const rng = new Random(3);
    const normals = Array.from({ length: 6 }, () => rng.normal());
    const max = Math.max(...normals.map(Math.abs));
    expect(Math.max(...z.map(Math.abs))).toBe(1);
    z.forEach((zi, i) => {
      expect(Number.isInteger(zi * 2 ** 20)).toBe(true);
      expect(Math.abs(zi - normals[i] / max)).toBeLessThanOrEqual(2 ** -21);
    });
  });

  it('keeps an entry, scaled by x\'s power of two, only where x ± t·u is exact for every step', () => {
    const x = new Float64Array([0.5, 3, 1 - 2 ** -53, -6]);
    const z = direction(new Random(5), 4);
    const d = exactDirection(new Random(5), x, [2 ** -10, 2 ** -8], 'float64');
    // 1 − 2^-53 ± t·z crosses 1 on one side, where the spacing is 2^-52; the others are exact at
    // 20-bit entries times 2^-10 or 2^-8.
    expect([...d]).toEqual([z[0], 2 * z[1], 0, 4 * z[3]]);
  });

  it('drops an entry where only x + d or only x − d rounds in float32', () => {
    // Near ±1 in float32, x + d and x − d are exact only for multiples of 2^-23 on the side away
    // from 0 and of 2^-24 towards it: an entry z with z·2^20 odd and step 1/16 (d an odd multiple
    // of 2^-24) is dropped for x = 1 (x + d rounds when d > 0) and x = −1 (x − d rounds when d > 0).
    const n = 16;
    const z = direction(new Random(7), n);
    const odd = (k: number): boolean => Math.abs(z[k] * 2 ** 20) % 2 === 1;
    const cases = [1, -1].map((v) => exactDirection(new Random(7), new Float64Array(n).fill(v), [1 / 16], 'float32'));
    for (const d of cases) z.forEach((zk, k) => expect(d[k]).toBe(odd(k) ? 0 : zk));
    // Both kinds of entry occur, on both signs of z.
    expect([true, false].every((o) => z.some((zk, k) => odd(k) === o && zk > 0))).toBe(true);
    expect(z.some((zk, k) => odd(k) && zk < 0)).toBe(true);
  });
});
