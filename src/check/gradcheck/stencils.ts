/**
 * Stencils: the difference formulas along a line through the base point, the steps they use and
 * the directions of fast mode.
 */
import type { Dtype } from '../../backends/backend.ts';
import type { Random, Tensor } from '../../engine/index.ts';
import { straddle, type Site } from './kinks.ts';
import type { Method } from './report.ts';
import { byMethod } from './tolerances.ts';

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

// Both roundings are computed whatever the dtype: code first reaching Math.fround after it was
// compiled for float64 would be deoptimized, with everything it is inlined into.

/** x rounded to the dtype. */
export function round(dtype: Dtype, x: number): number {
  const single = Math.fround(x);
  return dtype === 'float32' ? single : x;
}

/** x + t·u, each element rounded to the dtype. */
export function moveAlong(x: Float64Array, t: number, u: Float64Array, dtype: Dtype): Float64Array {
  const moved = new Float64Array(x.length);
  for (let k = 0; k < x.length; k++) moved[k] = round(dtype, x[k] + t * u[k]);
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

/** Weights of D(h), D(2h), D(4h) in each method's result (typed arrays, so that both are of one kind). */
const COMBINATION: Record<Method, Float64Array> = { central: Float64Array.of(1, 0), richardson: Float64Array.of(4 / 3, -1 / 3, 0) };

/**
 * Differentiates along a line through the base point. `probe(t)` evaluates at the point moved by
 * t and returns the offset actually realized. Shrinks the step while the stencil straddles a kink.
 * The probing is kept apart from the arithmetic (lineEstimates): the probe inlines the function
 * under check, whose every deoptimization recompiles what it was inlined into.
 */
export function differentiateLine(method: Method, h0: number, base: Sample, m: number, probe: (t: number) => Sample, count: { n: number }): LineResult {
  const multiples = byMethod(STENCIL_MULTIPLES, method);
  let h = h0;
  for (let attempt = 0; ; attempt++) {
    const plus: Sample[] = [];
    const minus: Sample[] = [];
    for (let s = 0; s < multiples.length; s++) plus.push(probe(multiples[s] * h));
    for (let s = 0; s < multiples.length; s++) minus.push(probe(-multiples[s] * h));
    count.n += 2 * multiples.length;
    const samples = plus.concat(minus);
    const crossing = straddle(base, samples);
    if (crossing !== null && attempt < MAX_SHRINKS) {
      h /= SHRINK_FACTOR;
      continue;
    }
    return lineEstimates(method, h, base, m, plus, minus, samples, crossing === null ? null : `the stencil straddles a kink: ${crossing}`);
  }
}

/** The estimates from the samples at ±k·h (`samples`: both sides, plus then minus). */
function lineEstimates(method: Method, h: number, base: Sample, m: number, plus: Sample[], minus: Sample[], samples: Sample[], kink: string | null): LineResult {
  const multiples = byMethod(STENCIL_MULTIPLES, method);
  const weights = byMethod(COMBINATION, method);
  // Offsets are symmetric unless x ± kh rounded; then D(kh) is the derivative at the midpoint
  // shift μ_k = (offset₊ + offset₋)/2, off by f''·μ_k, and f'' comes from the same samples.
  // What does not depend on the output element, once per line rather than once per element.
  const spans = new Float64Array(multiples.length);
  let shifted = false;
  let shiftWeight = 0;
  for (let s = 0; s < multiples.length; s++) {
    const mu = (plus[s].offset + minus[s].offset) / 2;
    if (mu !== 0) shifted = true;
    spans[s] = plus[s].offset - minus[s].offset;
  }
  if (shifted) {
    for (let s = 0; s < multiples.length; s++) shiftWeight += Math.abs(weights[s] * ((plus[s].offset + minus[s].offset) / 2));
  }
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
      if (bad === null && !(Number.isFinite(above) && Number.isFinite(below))) bad = nonfiniteSample(multiples[s], above, below);
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
    for (let p = 0; p < samples.length; p++) mag = Math.max(mag, Math.abs(samples[p].values[i]));
    magnitude[i] = mag;
  }
  return { numerical, estimate, magnitude, step: h, kink, nonfinite, ends: [plus[plus.length - 1], minus[minus.length - 1]], inner: [plus[0], minus[0]] };
}

/** Which of f(x ± k·h) is not finite, the plus side first, in words. */
function nonfiniteSample(k: number, above: number, below: number): string {
  return Number.isFinite(above) ? `f(x − ${stepName(k)}) = ${below}` : `f(x + ${stepName(k)}) = ${above}`;
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
