/**
 * Stencils: the difference formulas along a line through the base point, the steps they use and
 * the directions of fast mode.
 */
import type { Dtype } from '../../backends/backend.ts';
import type { Random, Tensor } from '../../engine/index.ts';
import { straddle, type Site } from './kinks.ts';
import type { Method } from './report.ts';

/** The multiples of h each method evaluates at, on both sides. */
export const STENCIL_MULTIPLES: Record<Method, number[]> = { central: [1, 2], richardson: [1, 2, 4] };

/** A stencil that straddles a kink shrinks by this factor, at most MAX_SHRINKS times. */
export const SHRINK_FACTOR = 16;
export const MAX_SHRINKS = 2;

export interface Sample {
  offset: number;
  values: Float64Array;
  sites: Site[];
  /** The output tensor with its graph, for the rounding scale at this point. */
  out: Tensor;
  /** The computed tensors of that graph (graphNodes) once a caller has needed them, null before. */
  nodes: Tensor[] | null;
}

export const round = (dtype: Dtype, x: number): number => (dtype === 'float32' ? Math.fround(x) : x);

/** x + t·u, each element rounded to the dtype. */
export function moveAlong(x: Float64Array, t: number, u: Float64Array, dtype: Dtype): Float64Array {
  const moved = new Float64Array(x.length);
  for (let k = 0; k < x.length; k++) moved[k] = x[k] + t * u[k];
  if (dtype === 'float32') for (let k = 0; k < x.length; k++) moved[k] = Math.fround(moved[k]);
  return moved;
}

interface LineResult {
  /** Per output: the estimate, its error estimate, and the largest |f| over the stencil. */
  numerical: Float64Array;
  estimate: Float64Array;
  magnitude: Float64Array;
  step: number;
  /** Why the stencil still straddles a kink after shrinking, or null. */
  kink: string | null;
  /** Per output: which stencil value was not finite, or null. */
  nonfinite: (string | null)[];
  /** The outermost samples on both sides, where the rounding noise is measured besides x. */
  ends: [Sample, Sample];
  /** The innermost samples, at ±h. */
  inner: [Sample, Sample];
}

const stepName = (k: number): string => (k === 1 ? 'h' : `${k}h`);

/** Weights of D(h), D(2h), D(4h) in each method's result. */
const COMBINATION: Record<Method, number[]> = { central: [1, 0], richardson: [4 / 3, -1 / 3, 0] };

/**
 * Differentiates along a line through the base point. `probe(t)` evaluates at the point moved by
 * t and returns the offset actually realized. Shrinks the step while the stencil straddles a kink.
 */
export function differentiateLine(method: Method, h0: number, base: Sample, m: number, probe: (t: number) => Sample, count: { n: number }): LineResult {
  const multiples = STENCIL_MULTIPLES[method];
  const weights = COMBINATION[method];
  let h = h0;
  for (let attempt = 0; ; attempt++) {
    const plus = multiples.map((k) => probe(k * h));
    const minus = multiples.map((k) => probe(-k * h));
    count.n += 2 * multiples.length;
    const samples = [...plus, ...minus];
    const crossing = straddle(base, samples);
    const kink = crossing === null ? null : `the stencil straddles a kink: ${crossing}`;
    if (crossing !== null && attempt < MAX_SHRINKS) {
      h /= SHRINK_FACTOR;
      continue;
    }
    // Offsets are symmetric unless x ± kh rounded; then D(kh) is the derivative at the midpoint
    // shift μ_k = (offset₊ + offset₋)/2, off by f''·μ_k, and f'' comes from the same samples.
    const shifts = multiples.map((_, s) => (plus[s].offset + minus[s].offset) / 2);
    const shifted = shifts.some((mu) => mu !== 0);
    // What does not depend on the output element, once per line rather than once per element.
    const spans = multiples.map((_, s) => plus[s].offset - minus[s].offset);
    const shiftWeight = shifted ? weights.reduce((acc, w, s) => acc + Math.abs(w * shifts[s]), 0) : 0;
    const numerical = new Float64Array(m);
    const estimate = new Float64Array(m);
    const magnitude = new Float64Array(m);
    const nonfinite: (string | null)[] = [];
    const d = new Float64Array(multiples.length);
    for (let i = 0; i < m; i++) {
      let bad: string | null = null;
      for (let s = 0; s < multiples.length; s++) {
        const above = plus[s].values[i];
        const below = minus[s].values[i];
        d[s] = (above - below) / spans[s];
        if (bad === null && !Number.isFinite(above)) bad = `f(x + ${stepName(multiples[s])}) = ${above}`;
        if (bad === null && !Number.isFinite(below)) bad = `f(x − ${stepName(multiples[s])}) = ${below}`;
      }
      nonfinite.push(bad);
      if (method === 'central') {
        numerical[i] = d[0];
        estimate[i] = Math.abs(d[1] - d[0]);
      } else {
        const fine = (4 * d[0] - d[1]) / 3;
        const coarse = (4 * d[1] - d[2]) / 3;
        numerical[i] = fine;
        estimate[i] = Math.abs(fine - coarse);
      }
      if (shifted) {
        const curvature = Math.abs((plus[1].values[i] - 2 * base.values[i] + minus[1].values[i]) / (plus[1].offset * -minus[1].offset));
        estimate[i] += curvature * shiftWeight;
      }
      let mag = Math.abs(base.values[i]);
      for (const p of samples) mag = Math.max(mag, Math.abs(p.values[i]));
      magnitude[i] = mag;
    }
    return { numerical, estimate, magnitude, step: h, kink, nonfinite, ends: [plus[plus.length - 1], minus[minus.length - 1]], inner: [plus[0], minus[0]] };
  }
}

/** The largest power of two ≤ max(1, |x|): steps scaled by it keep x ± h exact (see baseStep). */
export function powerOfTwoScale(x: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, Math.abs(x))));
}

/** Bits kept in each direction entry, so that t·u_k is a short multiple of a power of two. */
const DIRECTION_BITS = 20;

/** Standard normal entries scaled to a largest magnitude of 1 and rounded to DIRECTION_BITS bits. */
export function direction(rng: Random, n: number): Float64Array {
  const z = new Float64Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) {
    z[i] = rng.normal();
    max = Math.max(max, Math.abs(z[i]));
  }
  for (let i = 0; i < n; i++) z[i] = Math.round((z[i] / max) * 2 ** DIRECTION_BITS) / 2 ** DIRECTION_BITS;
  return z;
}

/**
 * A direction over one input whose every stencil point is exact: entries scaled by a power of
 * two ≤ max(1, |x|), so each element moves by at most h·max(1, |x|) as in full mode, and an entry
 * is dropped (set to 0) where x ± t·u would round for some step t the stencil may use. The
 * displacement is then exactly t·u and no midpoint shift arises.
 */
export function exactDirection(rng: Random, x: Float64Array, steps: number[], dtype: Dtype): Float64Array {
  const z = direction(rng, x.length);
  for (let k = 0; k < z.length; k++) {
    z[k] *= powerOfTwoScale(x[k]);
    for (const t of steps) {
      const d = t * z[k];
      if (round(dtype, x[k] + d) - x[k] !== d || round(dtype, x[k] - d) - x[k] !== -d) {
        z[k] = 0;
        break;
      }
    }
  }
  return z;
}
