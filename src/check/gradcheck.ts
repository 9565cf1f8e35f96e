/**
 * gradcheck: the engine's analytical gradients against finite differences of the same function.
 *
 * Full mode checks every element of the Jacobian; fast mode checks vᵀJu along seeded random
 * directions, at a cost in function evaluations that does not depend on the number of inputs.
 * Each element gets its own tolerance from its own error estimate, stencils that straddle a kink
 * are reported as not checkable, and NaN/Infinity on either side is reported by name.
 */
import type { Dtype } from '../backends/backend.ts';
import { Random, Tensor, fromData, isGradEnabled, formatShape, type OpName, type Shape } from '../engine/index.ts';
import { U } from './float.ts';

export type Method = 'central' | 'richardson';
export type Mode = 'full' | 'fast';

export interface GradcheckOptions {
  /** 'full' (default): every Jacobian element; 'fast': vᵀJu along random directions. */
  mode?: Mode;
  /** 'richardson' (default) or 'central'. */
  method?: Method;
  /** The precision the function computes in; it sets the steps and the default tolerances. */
  dtype?: Dtype;
  /** A name per input, for reports and errors (default x0, x1, ...). */
  names?: readonly string[];
  /** Fast mode: how many (u, v) direction pairs (default 4). */
  directions?: number;
  /** Fast mode: the seed of the directions (default 0). */
  seed?: number;
  /** Replaces the default relative tolerance of the method and dtype (see DEFAULT_TOLERANCES). */
  rtol?: number;
  /** Throw a GradcheckError naming the first failure instead of only returning the report. */
  throwOnFailure?: boolean;
}

export type ElementStatus = 'pass' | 'fail' | 'not-checkable' | 'nonfinite';

/** One checked quantity: a Jacobian element in full mode, vᵀJu for one direction in fast mode. */
export interface ElementCheck {
  /** The output element, e.g. `output[1, 0]`, or `vᵀ·output (direction 2 of 4)` in fast mode. */
  output: string;
  /** The input element, e.g. `w[0, 2]`, or `u (direction 2 of 4)` in fast mode. */
  input: string;
  analytical: number;
  numerical: number;
  /** The difference method's own estimate of its error (truncation and the noise it sees). */
  errorEstimate: number;
  /** The rounding noise the stencil carries at the least (see noiseFloor). */
  noiseFloor: number;
  /** 2·errorEstimate + noiseFloor + rtol times the analytical scale + the analytical side's subnormal allowance. */
  tolerance: number;
  /** |numerical − analytical| / max(|numerical|, |analytical|), 0 when both are 0. */
  relativeError: number;
  status: ElementStatus;
  /** Why an element is not checkable or not finite. */
  reason?: string;
  /** The base step the stencil finally used (it shrinks away from kinks). */
  step: number;
  /** Full mode: flat indices of the output element, the input and the input's element. */
  at?: { output: number; input: number; element: number };
  /** Fast mode: the directions (v over the output, u over each input) and w = vᵀJ per input. */
  direction?: { v: Float64Array; u: Float64Array[]; w: Float64Array[] };
}

export interface ZeroGradientFinding {
  input: string;
  value: number;
  /** 'singular': NaN from 0·∞ at a singular point the report names; 'fail': anything else nonzero. */
  kind: 'singular' | 'fail';
  reason: string;
}

export interface GradcheckReport {
  verdict: 'pass' | 'fail' | 'incomplete';
  mode: Mode;
  method: Method;
  dtype: Dtype;
  rtol: number;
  /** Function evaluations spent on differences (the base evaluation excluded). */
  evaluations: number;
  /** True when the output has no graph back to any input: every analytical gradient is 0. */
  detached: boolean;
  elements: ElementCheck[];
  failures: ElementCheck[];
  notCheckable: ElementCheck[];
  nonFinite: ElementCheck[];
  /** Gradient elements where two identical backward calls disagree. */
  reentrancy: string[];
  zeroGradient: ZeroGradientFinding[];
}

export class GradcheckError extends Error {
  constructor(
    message: string,
    readonly report: GradcheckReport,
  ) {
    super(message);
    this.name = 'GradcheckError';
  }
}

// ---------------------------------------------------------------- steps and default tolerances

const MACHINE_EPSILON: Record<Dtype, number> = { float64: 2 ** -52, float32: 2 ** -23 };

/** The unit roundoff of the dtype. */
export function unitRoundoff(dtype: Dtype): number {
  return dtype === 'float64' ? U : 2 ** -24;
}

const STEP_EXPONENT: Record<Method, number> = { central: 1 / 3, richardson: 1 / 5 };

/**
 * The base step relative to max(1, |x|): ε^(1/3) for central differences, ε^(1/5) for Richardson,
 * rounded down to a power of two so that x ± h is exact for |x| ≤ 1 (no carry out of the binade
 * aside) and the stencil's ratios 1 : 2 : 4 hold exactly.
 */
export function baseStep(method: Method, dtype: Dtype): number {
  return 2 ** Math.floor(Math.log2(MACHINE_EPSILON[dtype] ** STEP_EXPONENT[method]));
}

/**
 * Each method's error floor, relative to the derivative scale F/s, for a function f of scale F
 * whose derivatives are unit-scaled (|f⁽ᵏ⁾|·sᵏ ≲ F with s = max(1, |x|)) and whose evaluation is
 * off by at most one rounding, u·F; h is the step relative to s:
 * - central: D(h) = f' + h²f‴/6 + O(h⁴), and the noise is ≤ 2·uF/(2h): h²/6 + u/h. At
 *   h = ε^(1/3) that is (2/3)·ε^(2/3); at the step used, 2^-18, 3.2e-11 (float64).
 * - Richardson: R = (4D(h) − D(2h))/3 = f' − h⁴f⁽⁵⁾/30 + O(h⁶), noise ≤ (4uF/h + uF/(2h))/3:
 *   h⁴/30 + 1.5·u/h. At h = ε^(1/5) that is about 0.78·ε^(4/5); at 2^-11, 3.4e-13 (float64).
 * Rounding the step down to a power of two (by less than half) trades truncation for noise;
 * the floors are those of the steps actually used.
 */
export function errorFloor(method: Method, dtype: Dtype): number {
  const h = baseStep(method, dtype);
  const u = unitRoundoff(dtype);
  return method === 'central' ? h ** 2 / 6 + u / h : h ** 4 / 30 + (1.5 * u) / h;
}

/**
 * The default relative tolerance: 16 times the method's floor. The floor assumes one rounding in
 * f and unit-scaled derivatives; the factor lets f carry up to 16 roundings' worth of noise (or
 * derivatives 16 times steeper than unit scale) before an element leans on its adaptive terms,
 * and it covers the analytical side's own roundings (a few u, far below every floor). Values:
 * float64 central 5.0e-10, Richardson 5.5e-12; float32 central 2.8e-4, Richardson 4.6e-5. The
 * float64 values are far below the 1e-8 relative errors the checker must detect, and below
 * PyTorch's rtol 1e-3 by six to eight orders of magnitude.
 */
export const TOLERANCE_SAFETY = 16;

export const DEFAULT_TOLERANCES: Record<Dtype, Record<Method, number>> = {
  float64: { central: TOLERANCE_SAFETY * errorFloor('central', 'float64'), richardson: TOLERANCE_SAFETY * errorFloor('richardson', 'float64') },
  float32: { central: TOLERANCE_SAFETY * errorFloor('central', 'float32'), richardson: TOLERANCE_SAFETY * errorFloor('richardson', 'float32') },
};

/** The multiples of h each method evaluates at, on both sides. */
const STENCIL_MULTIPLES: Record<Method, number[]> = { central: [1, 2], richardson: [1, 2, 4] };

/**
 * How much evaluation noise reaches the result, per unit of noise/h: D(h) carries
 * (noise₊ + noise₋)/(2h) ≤ 1·noise/h; (4D(h) − D(2h))/3 carries (4·noise/h + noise/(2h))/3.
 */
const STENCIL_NOISE_GAIN: Record<Method, number> = { central: 1, richardson: 1.5 };

/**
 * The error estimate is the gap between the result and the same formula one step coarser:
 * |D(2h) − D(h)| is 3 times D(h)'s truncation error, |R(2h) − R(h)| 15 times R(h)'s, and both
 * are of the order of the noise when noise dominates. Twice the gap leaves room for noise that
 * happens to cancel between the two.
 */
const ESTIMATE_FACTOR = 2;

/**
 * Roundings per graph value assumed in the noise floor: one for the value itself, one more for
 * what the op does inside (a sum's partial sums, a library function's second half-ulp).
 */
const NOISE_ROUNDINGS = 2;

/** The spacing of subnormals: below the normal range a rounding is off by up to half of it, absolutely. */
const SUBNORMAL_SPACING: Record<Dtype, number> = { float64: 2 ** -1074, float32: 2 ** -149 };

/**
 * The stencil's noise floor: each evaluation is off by NOISE_ROUNDINGS roundings of the graph's
 * rounding scale (relative ones, u·|v|, and subnormal ones, weighted by the adjoints), plus the
 * largest |f| over the stencil (f may grow away from x), and the method amplifies noise by its
 * gain over the finest step h. A subnormal rounding is off by half a spacing, but half the
 * smallest spacing is not a double (it rounds to 0), so the whole spacing stands in for it.
 */
function noiseFloor(method: Method, dtype: Dtype, scale: RoundingScale, magnitude: number, h: number): number {
  const eta = SUBNORMAL_SPACING[dtype];
  const perEvaluation = unitRoundoff(dtype) * (scale.relative + magnitude) + eta * (scale.absolute + 1) + Math.sqrt(eta) * scale.underflow;
  return (STENCIL_NOISE_GAIN[method] * NOISE_ROUNDINGS * perEvaluation) / h;
}

/**
 * The analytical side's own subnormal roundings: each adjoint may be off by a spacing, which
 * reaches the input's gradient multiplied by ∂v/∂x (see forwardSensitivity). Its relative
 * roundings, a few u, sit far below rtol.
 */
function adjointUnderflow(dtype: Dtype, sensitivity: number): number {
  return NOISE_ROUNDINGS * SUBNORMAL_SPACING[dtype] * sensitivity;
}

/** A stencil that straddles a kink shrinks by this factor, at most MAX_SHRINKS times. */
const SHRINK_FACTOR = 16;
const MAX_SHRINKS = 2;

// ---------------------------------------------------------------- kinks and singular points

/**
 * Where an op is not differentiable. 'sign': at each operand element that is 0; 'origin': only
 * where the whole operand tensor is 0 (norm 2). `singular` marks ops whose derivative is
 * infinite there, so that 0·∞ in backward is NaN.
 */
export interface KinkRule {
  operand: number;
  test: 'sign' | 'origin';
  singular: boolean;
  what: string;
}

type KinkOf = (attrs: any) => KinkRule | null;

const corner = (what: string): KinkOf => () => ({ operand: 0, test: 'sign', singular: false, what });

/** Every op of the engine's OPS table that has a kink, a jump or a singular point. */
export const KINKS: Partial<Record<OpName, KinkOf>> = {
  abs: corner('|x| has a corner at 0'),
  relu: corner('relu has a corner at 0'),
  sign: corner('sign jumps at 0'),
  sqrt: () => ({ operand: 0, test: 'sign', singular: true, what: 'sqrt has an infinite derivative at 0 and no real value below' }),
  log: () => ({ operand: 0, test: 'sign', singular: true, what: 'log is singular at 0' }),
  div: () => ({ operand: 1, test: 'sign', singular: true, what: 'a/b has a pole where b = 0' }),
  pow: ({ exponent }: { exponent: number }) =>
    Number.isInteger(exponent) && exponent >= 0
      ? null
      : { operand: 0, test: 'sign', singular: exponent < 1, what: `x^${exponent} is not differentiable at 0` },
  norm: ({ p }: { p: 1 | 2 }) =>
    p === 1
      ? { operand: 0, test: 'sign', singular: false, what: 'norm(1) has a corner wherever an element is 0' }
      : { operand: 0, test: 'origin', singular: false, what: 'norm(2) has a corner at the zero tensor' },
};

/** The engine's ops that are smooth wherever they are defined. */
export const SMOOTH_OPS: readonly OpName[] = ['neg', 'exp', 'tanh', 'square', 'add', 'sub', 'mul', 'matmul', 'sum', 'mean', 'reshape', 'transpose'];

interface Site {
  op: string;
  rule: KinkRule;
  values: Float64Array;
}

interface GraphScan {
  sites: Site[];
  /** An op whose output is not finite, named, or null. */
  nonfiniteOp: string | null;
}

/**
 * The kink sites of the graph below `out`, in a fixed order (depth first from the output), with
 * their operands' values. Ops outside the engine's table are taken as smooth.
 */
function scanGraph(out: Tensor): GraphScan {
  const sites: Site[] = [];
  let nonfiniteOp: string | null = null;
  for (const t of graphNodes(out)) {
    const { op, inputs, attrs } = t.node!;
    if (nonfiniteOp === null && !t.data.every(Number.isFinite)) nonfiniteOp = op.name;
    const kinkOf = KINKS[op.name as OpName];
    const rule = kinkOf === undefined ? null : kinkOf(attrs);
    if (rule !== null) sites.push({ op: op.name, rule, values: inputs[rule.operand].data });
  }
  return { sites, nonfiniteOp };
}

/** How much rounding noise one evaluation of an output carries. */
interface RoundingScale {
  /** Σ over every tensor of the graph (leaves, intermediates, the output) of Σ|value|·|∂out/∂value|. */
  relative: number;
  /** Σ|∂out/∂value| over the same elements: what absolute (subnormal) roundings are multiplied by. */
  absolute: number;
  /** Σ|∂out/∂norm|·√k over norm(2) ops of k elements: what √(subnormal spacing) is multiplied by. */
  underflow: number;
  /** A computed value where the output's derivative is infinite, named, or null. */
  singular: string | null;
}

/**
 * The rounding error of the output for upstream gradient `seed`. To first order, an op whose
 * result v_n is rounded by a relative δ_n (or by an absolute subnormal η_n) moves the output by
 * (∂out/∂v_n)·(δ_n·v_n + η_n), so the evaluation is off by about u·Σ|v_n|·|∂out/∂v_n| plus the
 * subnormal spacing times Σ|∂out/∂v_n|. The adjoints ∂out/∂v_n come from a reverse pass over the
 * recorded graph with the ops' own backward rules (the graph is retained). A wrong rule would
 * skew this noise scale by the same factor as the gradient it gets wrong, so it cannot hide its
 * own error: the tolerance stays ~u/h of the (wrong) magnitude while the error is of its order.
 * This scale sees cancellation inside the graph (log(1 + x²) at x = 1e-21 is computed as 0, with
 * noise u·1 from the intermediate 1 + x², where u·(|f| + |x·f'|) would be ~1e-58).
 * Two errors are not first order and are kept apart: norm(2) squares its k elements, and squares
 * of elements below ~1e-154 underflow, so Σx² is off by up to k spacings and its square root by
 * √(k·spacing) (‖[1e-300, 0]‖ is computed as 0); and a computed value where ∂out/∂v is infinite
 * (a sqrt or a divisor at a computed 0, which may be an underflowed tiny value) makes the noise
 * unbounded. A leaf is exact, so an infinite adjoint there (sqrt(w) at w = 0) adds nothing.
 * Each adjoint is the largest of those at the computed values and at the two corners of their
 * error ball (see errorRadii), since a rounding can zero an adjoint that the exact values keep.
 */
function roundingScale(out: Tensor, seed: Float64Array, dtype: Dtype): RoundingScale {
  const order = topologicalOrder(out);
  const radii = errorRadii(out, order, dtype);
  const computed = adjointPass(order, out, seed, (t) => t);
  // The adjoints at the corners of the error ball, both ways: where they are not finite the ball
  // merely reaches towards a pole; whether one is crossed is judged at the computed values.
  const corners = ([1, -1] as const).map((sign) => adjointPass(order, out, seed, movedBy(radii, sign)));
  let relative = 0;
  let absolute = 0;
  let underflow = 0;
  let singular: string | null = null;
  for (const t of order) {
    const g = computed.get(t);
    if (g === undefined) continue;
    for (let e = 0; e < g.length; e++) {
      const v = Math.abs(t.data[e]);
      if (!Number.isFinite(v)) continue;
      if (!Number.isFinite(g[e])) {
        if (t.node !== null && singular === null) {
          singular = `the output's derivative with respect to a computed value of op '${t.node.op.name}' is not finite (a pole, or an overflow in backward), so its rounding noise has no bound`;
        }
        continue;
      }
      let a = Math.abs(g[e]);
      for (const c of corners) {
        const ge = Math.abs(c.get(t)?.[e] ?? 0);
        if (Number.isFinite(ge)) a = Math.max(a, ge);
      }
      relative += v * a;
      absolute += a;
    }
    if (t.node !== null && t.node.op.name === 'norm' && (t.node.attrs as { p: number }).p === 2 && Number.isFinite(g[0])) {
      underflow += Math.abs(g[0]) * Math.sqrt(t.node.inputs[0].size);
    }
  }
  return { relative, absolute, underflow, singular };
}

/** The tensors of the graph below `out` (leaves too), every one after its operands. */
function topologicalOrder(out: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[out, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    if (t.node !== null) for (const input of t.node.inputs) if (!seen.has(input)) stack.push([input, false]);
  }
  return order;
}

/**
 * The adjoints ∂out/∂v for upstream gradient `seed`, from a reverse pass with the ops' own
 * backward rules, each rule handed the values `at` gives for its operands and its result.
 */
function adjointPass(order: Tensor[], out: Tensor, seed: Float64Array, at: (t: Tensor) => Tensor): Map<Tensor, Float64Array> {
  const adjoints = new Map<Tensor, Float64Array>([[out, seed]]);
  for (let n = order.length - 1; n >= 0; n--) {
    const t = order[n];
    const g = adjoints.get(t);
    if (g === undefined || t.node === null) continue;
    const needsGrad = t.node.inputs.map((input) => input.requiresGrad);
    const grads = t.node.op.backward(g, { inputs: t.node.inputs.map(at), output: at(t), attrs: t.node.attrs, needsGrad });
    t.node.inputs.forEach((input, i) => {
      const gi = grads[i];
      if (!needsGrad[i] || gi === null) return;
      const existing = adjoints.get(input);
      if (existing === undefined) adjoints.set(input, gi.slice());
      else for (let k = 0; k < existing.length; k++) existing[k] += gi[k];
    });
  }
  return adjoints;
}

const radiiCache = new WeakMap<Tensor, Map<Tensor, Float64Array>>();

/**
 * A running error analysis of the computed values: the radius of each, a bound (to first order)
 * on its distance from the exact value, is what its operands' radii reach it by, Σ|∂v/∂w|·r_w
 * with the op's own backward rule, plus its own NOISE_ROUNDINGS roundings. Leaves are exact.
 *
 * Why it is needed: the first-order noise scale takes the adjoints at the computed values, but
 * a rounding can wipe out a value that a derivative is proportional to, and then the adjoint
 * vanishes at the computed point while it does not at the exact one. log(exp(a)) at a = 5e-50
 * is computed as 0 (exp(a) rounds to 1), so pow(·, 2) passes back 2·0 = 0 and no rounding seems
 * to reach the output, yet the output misses a² times whatever multiplies the square, and the
 * differences see that as a flat function. The error in the output is Σ (∂out/∂v_n)(ξ)·δ_n with
 * the adjoints at some point ξ between the computed and the exact values (the mean value
 * theorem), so the adjoints are taken at the corners of that ball, every value moved by its
 * radius one way and then the other, besides the computed point.
 */
function errorRadii(out: Tensor, order: Tensor[], dtype: Dtype): Map<Tensor, Float64Array> {
  const cached = radiiCache.get(out);
  if (cached !== undefined) return cached;
  const u = unitRoundoff(dtype);
  const eta = SUBNORMAL_SPACING[dtype];
  const radii = new Map<Tensor, Float64Array>();
  for (const t of order) {
    if (t.node === null) continue;
    const { inputs, attrs } = t.node;
    const r = t.data.map((v) => NOISE_ROUNDINGS * (u * Math.abs(v) + eta));
    const inherited = inputs.map((input) => radii.get(input) ?? null);
    if (inherited.some((ri) => ri !== null)) {
      const needsGrad = inherited.map((ri) => ri !== null);
      for (let e = 0; e < t.size; e++) {
        const unit = new Float64Array(t.size);
        unit[e] = 1;
        const grads = t.node.op.backward(unit, { inputs, output: t, attrs, needsGrad });
        inherited.forEach((ri, i) => {
          const gi = grads[i];
          if (ri === null || gi === null) return;
          for (let k = 0; k < ri.length; k++) if (ri[k] !== 0) r[e] += Math.abs(gi[k]) * ri[k];
        });
      }
    }
    radii.set(t, r);
  }
  radiiCache.set(out, radii);
  return radii;
}

/** Each computed value moved by `sign` times its radius (where the radius is finite), leaves as they are. */
function movedBy(radii: Map<Tensor, Float64Array>, sign: 1 | -1): (t: Tensor) => Tensor {
  const moved = new Map<Tensor, Tensor>();
  return (t) => {
    const r = radii.get(t);
    if (r === undefined) return t;
    let m = moved.get(t);
    if (m === undefined) {
      m = fromData(t.data.map((v, e) => (Number.isFinite(r[e]) ? v + sign * r[e] : v)), t.shape);
      moved.set(t, m);
    }
    return m;
  };
}

/**
 * The rounding scale over the stencil: at x and at both ends. Adjoints vary along the stencil
 * and may vanish at x itself (log(exp(a))·a at a = 0 has zero adjoints there, yet every other
 * stencil point carries noise u·|a| from the intermediate exp(a) ≈ 1).
 */
function stencilScale(at: RoundingScale, ends: [Sample, Sample], seed: Float64Array, dtype: Dtype): RoundingScale {
  const scales = [at, ...ends.map((s) => roundingScale(s.out, seed, dtype))];
  return {
    relative: Math.max(...scales.map((r) => r.relative)),
    absolute: Math.max(...scales.map((r) => r.absolute)),
    underflow: Math.max(...scales.map((r) => r.underflow)),
    singular: scales.find((r) => r.singular !== null)?.singular ?? null,
  };
}

/** The computed tensors of the graph below `out`, depth first from the output (the same order for the same graph). */
function graphNodes(out: Tensor): Tensor[] {
  const nodes: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: Tensor[] = [out];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t) || t.node === null) continue;
    seen.add(t);
    nodes.push(t);
    for (let i = t.node.inputs.length - 1; i >= 0; i--) stack.push(t.node.inputs[i]);
  }
  return nodes;
}

/**
 * Σ over every computed value v_n of |∂v_n/∂t| along the stencil's line, from the samples at ±h:
 * what an absolute error in an adjoint is multiplied by on its way to the input's gradient.
 * Backward can underflow where forward does not: an adjoint −(a/b)/b of 1.9e-323 keeps two
 * significant bits, and times e^371 on the way down it makes a gradient 10% wrong, as in PyTorch.
 * A graph that changes shape on the stencil is not checkable anyway; it counts 0 here.
 */
function forwardSensitivity(base: Tensor, sides: Sample[], h: number): number {
  const at = graphNodes(base);
  const moved = sides.map((s) => graphNodes(s.out));
  if (moved.some((m) => m.length !== at.length)) return 0;
  let total = 0;
  at.forEach((t, n) => {
    for (let e = 0; e < t.size; e++) {
      const rate = Math.max(...moved.map((m) => Math.abs(m[n].data[e] - t.data[e]))) / h;
      if (Number.isFinite(rate)) total += rate;
    }
  });
  return total;
}

function sgn(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN;
}

/** Whether an elementwise kink lies between two samples of its operand: some element changes sign. */
function signChanges(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!(sgn(a[i]) === sgn(b[i]))) return true;
  return false;
}

/** ‖a − b‖₂ (‖a‖₂ without b), scaled by the largest element so that squares neither overflow nor underflow. */
function distance(a: Float64Array, b: Float64Array | null): number {
  const d = b === null ? a : a.map((x, i) => x - b[i]);
  let max = 0;
  for (let i = 0; i < d.length; i++) max = Math.max(max, Math.abs(d[i]));
  if (max === 0 || !Number.isFinite(max)) return max;
  let s = 0;
  for (let i = 0; i < d.length; i++) s += (d[i] / max) ** 2;
  return max * Math.sqrt(s);
}

/**
 * Why the stencil straddles a kink, or null.
 * - Elementwise kinks (abs, relu, sign, norm 1, and the singular points of sqrt, log, div, pow):
 *   an operand element changes sign between neighbouring samples, so by continuity the kink lies
 *   inside the stencil. A zero touched without a sign change counts too (a kink for sqrt, log and
 *   sign). Two crossings between the same neighbours cancel and go unseen; the error estimate
 *   then grows instead. Without a crossing these ops are smooth on the stencil (abs and relu are
 *   linear there), so nothing closer needs flagging.
 * - norm 2: the kink is the zero tensor, and near it ‖v‖ bends on the scale of its distance from
 *   the origin, even when no element changes sign (‖[1e-300, t]‖ is |t| to the eye of any step).
 *   So the stencil straddles it when the operand comes within twice its own reach (its largest
 *   move from the base sample) of the origin; past that the bend is gentle at every step used.
 */
function straddle(base: Sample, samples: Sample[]): string | null {
  const sorted = [base, ...samples].sort((p, q) => p.offset - q.offset);
  for (const s of sorted) {
    if (s.sites.length !== base.sites.length || s.sites.some((site, i) => site.op !== base.sites[i].op)) return 'the graph changes shape within the stencil';
  }
  for (let i = 0; i < base.sites.length; i++) {
    const rule = base.sites[i].rule;
    const why = `${rule.what} (op '${base.sites[i].op}', kink site ${i + 1})`;
    if (rule.test === 'sign') {
      for (let s = 1; s < sorted.length; s++) if (signChanges(sorted[s - 1].sites[i].values, sorted[s].sites[i].values)) return why;
    } else {
      const reach = Math.max(...sorted.map((s) => distance(s.sites[i].values, base.sites[i].values)));
      const nearest = Math.min(...sorted.map((s) => distance(s.sites[i].values, null)));
      if (!(nearest > 2 * reach)) return why;
    }
  }
  return null;
}

// ---------------------------------------------------------------- labels

function multiIndex(shape: Shape, flat: number): string {
  if (shape.length === 0) return '';
  const idx: number[] = [];
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `[${idx.join(', ')}]`;
}

const label = (name: string, shape: Shape, flat: number): string => `${name}${multiIndex(shape, flat)}`;

// ---------------------------------------------------------------- evaluation

type GradFn = (...inputs: Tensor[]) => Tensor;

interface Setup {
  fn: GradFn;
  shapes: Shape[];
  differentiable: boolean[];
  names: string[];
  dtype: Dtype;
  outShape: Shape;
}

interface Sample {
  offset: number;
  values: Float64Array;
  sites: Site[];
  /** The output tensor with its graph, for the rounding scale at this point. */
  out: Tensor;
}

function callFn(setup: Setup, data: Float64Array[], what: string): Tensor {
  const leaves = data.map((d, j) => fromData(d, setup.shapes[j], { requiresGrad: setup.differentiable[j] }));
  const out = setup.fn(...leaves);
  if (!(out instanceof Tensor)) throw new TypeError(`gradcheck: the function returned ${out === null ? 'null' : typeof out} at ${what}, expected a Tensor`);
  return out;
}

function sample(setup: Setup, data: Float64Array[], offset: number, what: string): Sample {
  const out = callFn(setup, data, what);
  if (formatShape(out.shape) !== formatShape(setup.outShape)) {
    throw new RangeError(`gradcheck: the output shape changed from ${formatShape(setup.outShape)} to ${formatShape(out.shape)} at ${what}`);
  }
  return { offset, values: out.data, sites: scanGraph(out).sites, out };
}

const round = (dtype: Dtype, x: number): number => (dtype === 'float32' ? Math.fround(x) : x);

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

/** Weights of D(h), D(2h), D(4h) in each method's result. */
const COMBINATION: Record<Method, number[]> = { central: [1, 0], richardson: [4 / 3, -1 / 3, 0] };

/**
 * Differentiates along a line through the base point. `probe(t)` evaluates at the point moved by
 * t and returns the offset actually realized. Shrinks the step while the stencil straddles a kink.
 */
function differentiateLine(method: Method, h0: number, base: Sample, m: number, probe: (t: number) => Sample, count: { n: number }): LineResult {
  const multiples = STENCIL_MULTIPLES[method];
  const weights = COMBINATION[method];
  let h = h0;
  for (let attempt = 0; ; attempt++) {
    const plus = multiples.map((k) => probe(k * h));
    const minus = multiples.map((k) => probe(-k * h));
    count.n += 2 * multiples.length;
    const crossing = straddle(base, [...plus, ...minus]);
    const kink = crossing === null ? null : `the stencil straddles a kink: ${crossing}`;
    if (crossing !== null && attempt < MAX_SHRINKS) {
      h /= SHRINK_FACTOR;
      continue;
    }
    // Offsets are symmetric unless x ± kh rounded; then D(kh) is the derivative at the midpoint
    // shift μ_k = (offset₊ + offset₋)/2, off by f''·μ_k, and f'' comes from the same samples.
    const shifts = multiples.map((_, s) => (plus[s].offset + minus[s].offset) / 2);
    const shifted = shifts.some((mu) => mu !== 0);
    const numerical = new Float64Array(m);
    const estimate = new Float64Array(m);
    const magnitude = new Float64Array(m);
    const nonfinite: (string | null)[] = [];
    for (let i = 0; i < m; i++) {
      const d = multiples.map((_, s) => (plus[s].values[i] - minus[s].values[i]) / (plus[s].offset - minus[s].offset));
      let bad: string | null = null;
      multiples.forEach((k, s) => {
        const step = k === 1 ? 'h' : `${k}h`;
        if (bad === null && !Number.isFinite(plus[s].values[i])) bad = `f(x + ${step}) = ${plus[s].values[i]}`;
        if (bad === null && !Number.isFinite(minus[s].values[i])) bad = `f(x − ${step}) = ${minus[s].values[i]}`;
      });
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
        estimate[i] += curvature * weights.reduce((acc, w, s) => acc + Math.abs(w * shifts[s]), 0);
      }
      let mag = Math.abs(base.values[i]);
      for (const p of [...plus, ...minus]) mag = Math.max(mag, Math.abs(p.values[i]));
      magnitude[i] = mag;
    }
    return { numerical, estimate, magnitude, step: h, kink, nonfinite, ends: [plus[plus.length - 1], minus[minus.length - 1]], inner: [plus[0], minus[0]] };
  }
}

// ---------------------------------------------------------------- analytical side

interface Backwards {
  out: Tensor;
  leaves: Tensor[];
}

/** The gradient of each differentiable leaf for upstream gradient `seed`, zeros where backward did not reach. */
function gradientFor({ out, leaves }: Backwards, setup: Setup, seed: Float64Array): Float64Array[] {
  leaves.forEach((leaf) => {
    leaf.grad = null;
  });
  out.backward(fromData(seed.slice(), out.shape), { retainGraph: true });
  return leaves.map((leaf, j) => (setup.differentiable[j] && leaf.grad !== null ? leaf.grad.data.slice() : new Float64Array(leaf.size)));
}

/** Two backward calls with the same seed must give the same bits. */
function compareBackwards(first: Float64Array[], second: Float64Array[], setup: Setup, what: string, problems: string[]): void {
  first.forEach((g, j) => {
    for (let k = 0; k < g.length; k++) {
      if (!Object.is(g[k], second[j][k])) {
        problems.push(`${what}: the gradient of ${label(setup.names[j], setup.shapes[j], k)} is ${g[k]} after one backward and ${second[j][k]} after another`);
        return;
      }
    }
  });
}

function analyticalRows(b: Backwards | null, setup: Setup, seed: Float64Array, what: string, reentrancy: string[]): Float64Array[] {
  if (b === null) return setup.shapes.map((s) => new Float64Array(s.reduce((a, d) => a * d, 1)));
  const first = gradientFor(b, setup, seed);
  compareBackwards(first, gradientFor(b, setup, seed), setup, what, reentrancy);
  return first;
}

/**
 * A zero upstream gradient must give zero gradients. NaN is allowed only at a singular point,
 * since 0·∞ = NaN there, and the finding names it: an operand exactly at a singular op's pole,
 * a value that is not finite, or an element whose own gradient is not finite (an adjoint that
 * overflows in backward, as −a/b² does for a = −1.9, b = 1e-154).
 */
function checkZeroGradient(b: Backwards, setup: Setup, infiniteGradient: boolean[][]): ZeroGradientFinding[] {
  const grads = gradientFor(b, setup, new Float64Array(b.out.size));
  const scan = scanGraph(b.out);
  const pole = scan.sites.find((s) => s.rule.singular && s.values.some((v) => v === 0));
  const singular = pole !== undefined ? `${pole.rule.what} (op '${pole.op}' has an operand exactly at 0)` : scan.nonfiniteOp !== null ? `op '${scan.nonfiniteOp}' has a value that is not finite` : null;
  const findings: ZeroGradientFinding[] = [];
  grads.forEach((g, j) => {
    for (let k = 0; k < g.length; k++) {
      if (g[k] === 0) continue;
      const input = label(setup.names[j], setup.shapes[j], k);
      const point = singular ?? (infiniteGradient[j][k] ? 'the gradient of this element is not finite' : null);
      if (Number.isNaN(g[k]) && point !== null) findings.push({ input, value: g[k], kind: 'singular', reason: `0·∞ at a singular point: ${point}` });
      else findings.push({ input, value: g[k], kind: 'fail', reason: Number.isNaN(g[k]) ? 'NaN from a zero upstream gradient, and the graph has no singular point' : 'a zero upstream gradient gave a nonzero gradient' });
    }
  });
  return findings;
}

// ---------------------------------------------------------------- judging one element

interface Judged {
  tolerance: number;
  noiseFloor: number;
  status: ElementStatus;
  reason?: string;
}

/**
 * The element's tolerance: twice its error estimate, plus the noise floor of the stencil (see
 * noiseFloor), plus the analytical side's floor (rtol times the analytical value's scale, and
 * its subnormal roundings, see adjointUnderflow). Non-finite
 * values come first, then what makes it not checkable (a kink in the stencil, unbounded noise):
 * an element is a pass or a failure only when neither applies.
 */
function judge(numerical: number, estimate: number, analytical: number, scale: { noise: number; floor: number }, uncheckable: string | null, nonfinite: string | null): Judged {
  const tolerance = ESTIMATE_FACTOR * estimate + scale.noise + scale.floor;
  const noiseFloor = scale.noise;
  if (nonfinite !== null || !Number.isFinite(analytical)) {
    const parts = [nonfinite === null ? null : `numerical: ${nonfinite}`, Number.isFinite(analytical) ? null : `analytical: ${analytical}`].filter((p) => p !== null);
    return { tolerance, noiseFloor, status: 'nonfinite', reason: parts.join('; ') };
  }
  if (uncheckable !== null) return { tolerance, noiseFloor, status: 'not-checkable', reason: uncheckable };
  if (!Number.isFinite(numerical) || !Number.isFinite(tolerance)) return { tolerance, noiseFloor, status: 'nonfinite', reason: `numerical: ${numerical} (the finite values overflow in the difference)` };
  return { tolerance, noiseFloor, status: Math.abs(numerical - analytical) <= tolerance ? 'pass' : 'fail' };
}

function relativeError(a: number, n: number): number {
  const denom = Math.max(Math.abs(a), Math.abs(n));
  return denom === 0 ? 0 : Math.abs(n - a) / denom;
}

// ---------------------------------------------------------------- gradcheck

const KNOWN_OPTIONS = new Set(['mode', 'method', 'dtype', 'names', 'directions', 'seed', 'rtol', 'throwOnFailure']);

function validate(fn: unknown, inputs: readonly Tensor[], options: GradcheckOptions): void {
  if (typeof fn !== 'function') throw new TypeError('gradcheck: the first argument must be a function from tensors to a tensor');
  if (!Array.isArray(inputs) || inputs.length === 0) throw new TypeError('gradcheck: inputs must be a non-empty array of tensors');
  inputs.forEach((t, j) => {
    if (!(t instanceof Tensor)) throw new TypeError(`gradcheck: input ${j} is not a Tensor`);
  });
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new RangeError(`gradcheck: unknown option '${key}' (known: ${[...KNOWN_OPTIONS].join(', ')})`);
  }
  const { mode = 'full', method = 'richardson', dtype = 'float64', names, directions = 4, seed = 0, rtol } = options;
  if (mode !== 'full' && mode !== 'fast') throw new RangeError(`gradcheck: mode must be 'full' or 'fast', got '${String(mode)}'`);
  if (method !== 'central' && method !== 'richardson') throw new RangeError(`gradcheck: method must be 'central' or 'richardson', got '${String(method)}'`);
  if (dtype !== 'float64' && dtype !== 'float32') throw new RangeError(`gradcheck: dtype must be 'float64' or 'float32', got '${String(dtype)}'`);
  if (names !== undefined && (names.length !== inputs.length || new Set(names).size !== names.length)) {
    throw new RangeError(`gradcheck: names must give ${inputs.length} distinct names, one per input, got [${names.join(', ')}]`);
  }
  if (!Number.isInteger(directions) || directions < 1) throw new RangeError(`gradcheck: directions must be a positive integer, got ${directions}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`gradcheck: seed must be a safe integer, got ${seed}`);
  if (rtol !== undefined && !(rtol >= 0 && Number.isFinite(rtol))) throw new RangeError(`gradcheck: rtol must be a finite number ≥ 0, got ${rtol}`);
  if (!inputs.some((t) => t.requiresGrad)) throw new RangeError('gradcheck: no input requires grad, so there is nothing to check (create the inputs with { requiresGrad: true })');
  if (!isGradEnabled()) throw new Error('gradcheck: grad mode is off (called inside noGrad()), so no graph can be recorded');
  inputs.forEach((t: Tensor, j: number) => {
    for (let k = 0; k < t.size; k++) {
      const x = t.data[k];
      const where = `${names?.[j] ?? `x${j}`}${multiIndex(t.shape, k)}`;
      if (!Number.isFinite(x)) throw new RangeError(`gradcheck: input ${where} is ${x}; differences need finite inputs`);
      if (dtype === 'float32' && Math.fround(x) !== x) {
        throw new RangeError(`gradcheck: input ${where} = ${x} is not a float32 value; round the inputs with Math.fround for dtype float32`);
      }
    }
  });
}

/**
 * Checks fn's analytical gradients at `inputs` (the inputs that require grad are checked, the
 * others held constant). Returns a report; with throwOnFailure it throws a GradcheckError that
 * names the output, the input, the element, both values and the relative error.
 */
export function gradcheck(fn: GradFn, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  validate(fn, inputs, options);
  const mode = options.mode ?? 'full';
  const method = options.method ?? 'richardson';
  const dtype = options.dtype ?? 'float64';
  const rtol = options.rtol ?? DEFAULT_TOLERANCES[dtype][method];
  const names = options.names ? [...options.names] : inputs.map((_, j) => `x${j}`);
  const data = inputs.map((t) => t.data.slice());
  const differentiable = inputs.map((t) => t.requiresGrad);

  const shapes = inputs.map((t) => t.shape);
  const leaves = data.map((d, j) => fromData(d.slice(), shapes[j], { requiresGrad: differentiable[j] }));
  const out = fn(...leaves);
  if (!(out instanceof Tensor)) throw new TypeError(`gradcheck: the function returned ${out === null ? 'null' : typeof out}, expected a Tensor`);
  const setup: Setup = { fn, shapes, differentiable, names, dtype, outShape: out.shape };
  const base: Sample = { offset: 0, values: out.data, sites: scanGraph(out).sites, out };
  const backwards: Backwards | null = out.requiresGrad ? { out, leaves } : null;

  const reentrancy: string[] = [];
  const count = { n: 0 };
  const elements = mode === 'full' ? fullMode(setup, data, base, backwards, method, rtol, reentrancy, count) : fastMode(setup, data, base, backwards, method, rtol, options, reentrancy, count);
  const infiniteGradient = data.map((d) => Array.from(d, () => false));
  for (const e of elements) {
    if (e.at !== undefined && !Number.isFinite(e.analytical)) infiniteGradient[e.at.input][e.at.element] = true;
    e.direction?.w.forEach((w, j) => w.forEach((wk, k) => {
      if (!Number.isFinite(wk)) infiniteGradient[j][k] = true;
    }));
  }
  const zeroGradient = backwards === null ? [] : checkZeroGradient(backwards, setup, infiniteGradient);

  const failures = elements.filter((e) => e.status === 'fail');
  const notCheckable = elements.filter((e) => e.status === 'not-checkable');
  const nonFinite = elements.filter((e) => e.status === 'nonfinite');
  const failed = failures.length > 0 || reentrancy.length > 0 || zeroGradient.some((z) => z.kind === 'fail');
  const report: GradcheckReport = {
    verdict: failed ? 'fail' : notCheckable.length + nonFinite.length > 0 ? 'incomplete' : 'pass',
    mode,
    method,
    dtype,
    rtol,
    evaluations: count.n,
    detached: backwards === null,
    elements,
    failures,
    notCheckable,
    nonFinite,
    reentrancy,
    zeroGradient,
  };
  if (failed && options.throwOnFailure) throw new GradcheckError(describeFailure(report), report);
  return report;
}

function fullMode(setup: Setup, data: Float64Array[], base: Sample, backwards: Backwards | null, method: Method, rtol: number, reentrancy: string[], count: { n: number }): ElementCheck[] {
  const m = base.values.length;
  const rows: Float64Array[][] = [];
  for (let i = 0; i < m; i++) {
    const seed = new Float64Array(m);
    seed[i] = 1;
    rows.push(analyticalRows(backwards, setup, seed, label('output', setup.outShape, i), reentrancy));
  }
  const seeds = rows.map((_, i) => {
    const seed = new Float64Array(m);
    seed[i] = 1;
    return seed;
  });
  const scales = seeds.map((seed) => roundingScale(base.out, seed, setup.dtype));
  const h1 = baseStep(method, setup.dtype);
  const elements: ElementCheck[] = [];
  setup.shapes.forEach((shape, j) => {
    if (!setup.differentiable[j]) return;
    for (let k = 0; k < data[j].length; k++) {
      const x = data[j][k];
      const what = label(setup.names[j], shape, k);
      const probe = (t: number): Sample => {
        const moved = data.map((d) => d);
        const copy = data[j].slice();
        copy[k] = round(setup.dtype, x + t);
        moved[j] = copy;
        return sample(setup, moved, copy[k] - x, `${what} ${t >= 0 ? '+' : '−'} ${Math.abs(t)}`);
      };
      const line = differentiateLine(method, h1 * powerOfTwoScale(x), base, m, probe, count);
      const underflow = adjointUnderflow(setup.dtype, forwardSensitivity(base.out, line.inner, line.step));
      for (let i = 0; i < m; i++) {
        const analytical = rows[i][j][k];
        const scale = stencilScale(scales[i], line.ends, seeds[i], setup.dtype);
        const noise = noiseFloor(method, setup.dtype, scale, line.magnitude[i], line.step);
        const verdict = judge(line.numerical[i], line.estimate[i], analytical, { noise, floor: rtol * Math.abs(analytical) + underflow }, line.kink ?? scale.singular, line.nonfinite[i]);
        elements.push({
          output: label('output', setup.outShape, i),
          input: what,
          analytical,
          numerical: line.numerical[i],
          errorEstimate: line.estimate[i],
          relativeError: relativeError(analytical, line.numerical[i]),
          step: line.step,
          at: { output: i, input: j, element: k },
          ...verdict,
        });
      }
    }
  });
  return elements;
}

/** The largest power of two ≤ max(1, |x|): steps scaled by it keep x ± h exact (see baseStep). */
function powerOfTwoScale(x: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, Math.abs(x))));
}

/** Bits kept in each direction entry, so that t·u_k is a short multiple of a power of two. */
const DIRECTION_BITS = 20;

/** Standard normal entries scaled to a largest magnitude of 1 and rounded to DIRECTION_BITS bits. */
function direction(rng: Random, n: number): Float64Array {
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
function exactDirection(rng: Random, x: Float64Array, steps: number[], dtype: Dtype): Float64Array {
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

function fastMode(setup: Setup, data: Float64Array[], base: Sample, backwards: Backwards | null, method: Method, rtol: number, options: GradcheckOptions, reentrancy: string[], count: { n: number }): ElementCheck[] {
  const directions = options.directions ?? 4;
  const rng = new Random(options.seed ?? 0);
  const u = unitRoundoff(setup.dtype);
  const h = baseStep(method, setup.dtype);
  const steps = STENCIL_MULTIPLES[method].flatMap((k) => Array.from({ length: MAX_SHRINKS + 1 }, (_, a) => (k * h) / SHRINK_FACTOR ** a));
  const m = base.values.length;
  const elements: ElementCheck[] = [];
  const total = data.reduce((acc, d, j) => acc + (setup.differentiable[j] ? d.length : 0), 0);
  for (let d = 1; d <= directions; d++) {
    const tag = `direction ${d} of ${directions}`;
    const v = direction(rng, m);
    const dirs = data.map((x, j) => (setup.differentiable[j] ? exactDirection(rng, x, steps, setup.dtype) : new Float64Array(x.length)));
    const w = analyticalRows(backwards, setup, v, `vᵀ·output (${tag})`, reentrancy);
    let analytical = 0;
    let dotScale = 0;
    w.forEach((g, j) => {
      for (let k = 0; k < g.length; k++) {
        analytical += g[k] * dirs[j][k];
        dotScale += Math.abs(g[k] * dirs[j][k]);
      }
    });
    const scale = roundingScale(base.out, v, setup.dtype);
    const project = (s: Sample): Sample => {
      let phi = 0;
      for (let i = 0; i < m; i++) phi += v[i] * s.values[i];
      return { offset: s.offset, values: new Float64Array([phi]), sites: s.sites, out: s.out };
    };
    const probe = (t: number): Sample => {
      const moved = data.map((x, j) => (setup.differentiable[j] ? x.map((xk, k) => round(setup.dtype, xk + t * dirs[j][k])) : x));
      return project(sample(setup, moved, t, `x + ${t}·u (${tag})`));
    };
    const line = differentiateLine(method, h, project(base), 1, probe, count);
    // vᵀf may cancel, so its noise scales with Σ|v·f| rather than |vᵀf|.
    const spread = base.values.reduce((acc, f, i) => acc + Math.abs(v[i] * f), 0);
    const overStencil = stencilScale(scale, line.ends, v, setup.dtype);
    const noise = noiseFloor(method, setup.dtype, overStencil, Math.max(line.magnitude[0], spread), line.step);
    // Relative to Σ|w·u| rather than |wᵀu|, which may cancel; the analytical dot product of
    // `total` terms carries up to total·u·Σ|w·u| of its own rounding on top.
    const floor = (rtol + total * u) * dotScale + adjointUnderflow(setup.dtype, forwardSensitivity(base.out, line.inner, line.step));
    const verdict = judge(line.numerical[0], line.estimate[0], analytical, { noise, floor }, line.kink ?? overStencil.singular, line.nonfinite[0]);
    elements.push({
      output: `vᵀ·output (${tag})`,
      input: `u (${tag}, ${total} elements)`,
      analytical,
      numerical: line.numerical[0],
      errorEstimate: line.estimate[0],
      relativeError: relativeError(analytical, line.numerical[0]),
      step: line.step,
      direction: { v, u: dirs, w },
      ...verdict,
    });
  }
  return elements;
}

// ---------------------------------------------------------------- messages

function describeElement(e: ElementCheck, report: GradcheckReport): string {
  return (
    `${e.output} with respect to ${e.input}: numerical ${e.numerical} (error estimate ${e.errorEstimate.toPrecision(2)}), ` +
    `analytical ${e.analytical}, relative error ${e.relativeError.toPrecision(3)} (tolerance ${e.tolerance.toPrecision(3)}, ${report.method}, ${report.dtype})`
  );
}

/** The first failure in words, with the count of the others. */
export function describeFailure(report: GradcheckReport): string {
  const lines: string[] = [];
  if (report.failures.length > 0) {
    lines.push(`gradcheck: ${describeElement(report.failures[0], report)}`);
    if (report.failures.length > 1) lines.push(`  and ${report.failures.length - 1} more mismatched element(s)`);
    if (report.mode === 'fast') lines.push('  (fast mode checks directions; run mode "full" to locate the element)');
  }
  for (const r of report.reentrancy) lines.push(`gradcheck: reentrancy: ${r}`);
  for (const z of report.zeroGradient) if (z.kind === 'fail') lines.push(`gradcheck: zero upstream gradient: ${z.input} is ${z.value}: ${z.reason}`);
  return lines.join('\n');
}

/** A report in a few lines: the verdict, the counts, every failure, and what could not be checked. */
export function formatReport(report: GradcheckReport): string {
  const passed = report.elements.length - report.failures.length - report.notCheckable.length - report.nonFinite.length;
  const lines = [
    `gradcheck ${report.verdict}: ${report.mode} mode, ${report.method}, ${report.dtype}, rtol ${report.rtol.toPrecision(2)}, ${report.evaluations} evaluations` +
      `: ${passed} passed, ${report.failures.length} failed, ${report.notCheckable.length} not checkable, ${report.nonFinite.length} not finite`,
  ];
  if (report.detached) lines.push('  the output has no graph back to the inputs: every analytical gradient is 0');
  for (const e of report.failures) lines.push(`  FAIL ${describeElement(e, report)}`);
  for (const e of report.nonFinite) lines.push(`  NOT FINITE ${e.output} with respect to ${e.input}: ${e.reason}`);
  for (const e of report.notCheckable) lines.push(`  NOT CHECKABLE ${e.output} with respect to ${e.input}: ${e.reason}`);
  for (const r of report.reentrancy) lines.push(`  REENTRANCY ${r}`);
  for (const z of report.zeroGradient) lines.push(`  ZERO UPSTREAM ${z.kind === 'fail' ? 'FAIL' : 'singular'} ${z.input} = ${z.value}: ${z.reason}`);
  return lines.join('\n');
}
