/**
 * The rounding-noise model: how much rounding noise one evaluation of the function carries, so
 * that the tolerance covers what the differences cannot resolve.
 */
import type { Dtype } from '../../backends/backend.ts';
import { OPS, fromData, type BackwardContext, type OpDef, type Tensor } from '../../engine/index.ts';
import { graphNodes, topologicalOrder } from './graph.ts';
import { packedMap } from '../packed.ts';
import { radiusRule } from './radii.ts';
import type { Sample } from './stencils.ts';
import { NOISE_ROUNDINGS, SUBNORMAL_SPACING, byDtype, unitRoundoff } from './tolerances.ts';

/** How much rounding noise one evaluation of an output carries. */
export interface RoundingScale {
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
export function roundingScale(out: Tensor, seed: Float64Array, dtype: Dtype): RoundingScale {
  const ball = errorBall(out, dtype);
  const computed = adjointPass(ball, COMPUTED, seed, null);
  // The adjoints at the corners of the error ball, both ways: where they are not finite the ball
  // merely reaches towards a pole; whether one is crossed is judged at the computed values.
  const plus = adjointPass(ball, UPPER, seed, computed);
  const minus = adjointPass(ball, LOWER, seed, computed);
  const { order, fixed } = ball;
  let relative = 0;
  let absolute = 0;
  let underflow = 0;
  let singular: string | null = null;
  for (let n = 0; n < order.length; n++) {
    const g = computed.adjoints[n];
    if (g === undefined) continue;
    const t = order[n];
    const data = t.data;
    // A fixed adjoint is the same at the corners, so the computed one is the largest of the three.
    const atPlus = fixed[n] ? undefined : plus.adjoints[n];
    const atMinus = fixed[n] ? undefined : minus.adjoints[n];
    for (let e = 0; e < g.length; e++) {
      const v = Math.abs(data[e]);
      if (!Number.isFinite(v)) continue;
      if (!Number.isFinite(g[e])) {
        if (t.node !== null && singular === null) {
          singular = `the output's derivative with respect to a computed value of op '${t.node.op.name}' is not finite (a pole, or an overflow in backward), so its rounding noise has no bound`;
        }
        continue;
      }
      // The largest finite magnitude of the three adjoints (a corner's may be NaN or infinite).
      let a = Math.abs(g[e]);
      const p = atPlus === undefined ? 0 : Math.abs(atPlus[e]);
      if (p > a && p < Infinity) a = p;
      const q = atMinus === undefined ? 0 : Math.abs(atMinus[e]);
      if (q > a && q < Infinity) a = q;
      relative += v * a;
      absolute += a;
    }
    if (t.node !== null && t.node.op.name === 'norm' && (t.node.attrs as { p: number }).p === 2 && Number.isFinite(g[0])) {
      underflow += Math.abs(g[0]) * Math.sqrt(t.node.inputs[0].size);
    }
  }
  return { relative, absolute, underflow, singular };
}

/** The adjoints of one reverse pass by position in the ball's order, and what each node's rule returned. */
interface Pass {
  adjoints: (Float64Array | undefined)[];
  grads: ((Float64Array | null)[] | undefined)[];
}

/**
 * The adjoints ∂out/∂v for upstream gradient `seed`, by position in the ball's order, from a
 * reverse pass with the ops' own backward rules, each rule handed the values at point `at`.
 * With the pass at the computed point given, a corner pass takes from it what is provably the
 * same (see ErrorBall.fixed): the adjoints of fixed nodes, and the rules' results of fixed nodes
 * whose rule reads no values. Gradients reach a node in the same order as in a full pass, so the
 * sums are the same.
 */
function adjointPass(ball: ErrorBall, at: number, seed: Float64Array, computed: Pass | null): Pass {
  const { order, operands, needsGrad, inflows, fixed, readsValues } = ball;
  const adjoints = new Array<Float64Array | undefined>(order.length);
  const grads = new Array<(Float64Array | null)[] | undefined>(order.length);
  adjoints[order.length - 1] = seed;
  for (let n = order.length - 1; n >= 0; n--) {
    const node = order[n].node;
    if (node === null) continue;
    const reuse = computed !== null && fixed[n];
    const g = reuse ? computed.adjoints[n] : adjoints[n];
    if (g === undefined) continue;
    const got = reuse && !readsValues[n] ? computed.grads[n]! : node.op.backward(g, callAt(ball, at, n));
    if (computed === null) grads[n] = got;
    const into = operands[n];
    const needs = needsGrad[n];
    for (let i = 0; i < into.length; i++) {
      const gi = got[i];
      const p = into[i];
      if (!needs[i] || gi === null || (computed !== null && fixed[p])) continue;
      const existing = adjoints[p];
      // An adjoint that more than one gradient flows into is summed in a copy of the first.
      if (existing === undefined) adjoints[p] = inflows[p] > 1 ? gi.slice() : gi;
      else for (let k = 0; k < existing.length; k++) existing[k] += gi[k];
    }
  }
  return { adjoints, grads };
}

/** The points of the ball: as computed, and moved to either corner. */
const COMPUTED = 0;
const UPPER = 1;
const LOWER = 2;

/**
 * What node n's rule is handed at a point, made when first needed (a corner's only where a rule
 * reads values there). It has the fields of the engine's own contexts in the same order, so that
 * the rules see objects of one shape from both.
 */
function callAt(ball: ErrorBall, at: number, n: number): BackwardContext<unknown> {
  const known = ball.calls[at][n];
  if (known !== undefined) return known;
  const operands = ball.operands[n];
  const inputs: Tensor[] = [];
  for (let i = 0; i < operands.length; i++) inputs.push(valueAt(ball, at, operands[i]));
  const call = { inputs, output: valueAt(ball, at, n), attrs: ball.order[n].node!.attrs, needsGrad: ball.needsGrad[n] };
  ball.calls[at][n] = call;
  return call;
}

/** Node p's value at a point as a tensor: a leaf's as it is, a computed one's moved to a corner when first needed. */
function valueAt(ball: ErrorBall, at: number, p: number): Tensor {
  const t = ball.order[p];
  if (at === COMPUTED || t.node === null) return t;
  const values = ball.corners[at - 1];
  let v = values[p];
  if (v === undefined) {
    v = fromData(movedBy(t, ball.radii[p]!, at === UPPER ? 1 : -1), t.shape);
    values[p] = v;
  }
  return v;
}

/**
 * The graph below an output in topological order (the output last), each node's operands by
 * position and whether they need a gradient, and its values at three points: as computed, and
 * moved to either corner of their error ball.
 */
interface ErrorBall {
  order: Tensor[];
  operands: number[][];
  needsGrad: boolean[][];
  /** Per node: how many gradients flow into it (the operand slots of other nodes it fills). */
  inflows: number[];
  /** Per node: whether its op's backward rule may read values (see VALUE_FREE). */
  readsValues: boolean[];
  /**
   * Per node: its adjoint is the same at every point, since every node it feeds is fixed and
   * has a rule that reads no values (the output's adjoint is the seed itself).
   */
  fixed: boolean[];
  /** Per node: the radius of its error ball (undefined for a leaf, which is exact). */
  radii: (Float64Array | undefined)[];
  /** Per corner (UPPER, LOWER, from index 0), per computed node: its values moved there, once a rule's call needed them. */
  corners: (Tensor | undefined)[][];
  /** Per point (COMPUTED, UPPER, LOWER), per node: its rule's call, once needed. */
  calls: (BackwardContext<unknown> | undefined)[][];
}

// The engine's ops whose backward reads no values (savesTensors false), so that their results at a
// corner are those at the computed point. Only the engine's own: an op defined elsewhere through
// `apply` may say false and read values all the same, and would then get a wrong noise scale.
const VALUE_FREE: ReadonlySet<OpDef<never>> = new Set(Object.values(OPS).filter((op) => !op.savesTensors));

interface RecentBall {
  out: Tensor;
  dtype: Dtype;
  ball: ErrorBall;
}

// The last few balls built, for the seeds and stencil ends that ask again about the same output,
// in a ring that the newest ball overwrites the oldest in.
// Not a WeakMap: V8 clears a WeakMap's entries only in a full collection, so every young-generation
// collection promoted each ball with its whole graph: keyed by identity here, the full-mode
// no-false-alarms claims spend about 70% less time in young collections and 20% less CPU in all.
const RECENT_BALLS = 4;
const recentBalls: (RecentBall | null)[] = new Array<RecentBall | null>(RECENT_BALLS).fill(null);
let nextRecent = 0;

/** The error ball of the graph below `out`, built once per output and shared by every seed. */
function errorBall(out: Tensor, dtype: Dtype): ErrorBall {
  for (let r = 0; r < RECENT_BALLS; r++) {
    const recent = recentBalls[r];
    if (recent !== null && recent.out === out && recent.dtype === dtype) return recent.ball;
  }
  const { order, position } = topologicalOrder(out);
  const size = order.length;
  // Plain loops that push: packed arrays, and no closure per node (see packedMap).
  const operands: number[][] = [];
  const needsGrad: boolean[][] = [];
  const inflows: number[] = [];
  const readsValues: boolean[] = [];
  const fixed: boolean[] = [];
  for (let n = 0; n < size; n++) {
    inflows.push(0);
    fixed.push(true);
  }
  for (let n = 0; n < size; n++) {
    const node = order[n].node;
    const ps: number[] = [];
    const needs: boolean[] = [];
    if (node !== null) {
      for (const input of node.inputs) {
        const p = position.get(input)!;
        ps.push(p);
        needs.push(input.requiresGrad);
        if (input.requiresGrad) inflows[p]++;
      }
    }
    operands.push(ps);
    needsGrad.push(needs);
    readsValues.push(node !== null && !VALUE_FREE.has(node.op));
  }
  // Consumers come later in the order, so a reverse sweep settles each node after all of them.
  for (let n = size - 1; n >= 0; n--) {
    if (fixed[n] && !readsValues[n]) continue;
    const ps = operands[n];
    for (let i = 0; i < ps.length; i++) if (needsGrad[n][i]) fixed[ps[i]] = false;
  }
  const none = <T>(): (T | undefined)[] => new Array<T | undefined>(size);
  const ball: ErrorBall = {
    order,
    operands,
    needsGrad,
    inflows,
    readsValues,
    fixed,
    radii: errorRadii(order, operands, dtype),
    corners: [none(), none()],
    calls: [none(), none(), none()],
  };
  recentBalls[nextRecent] = { out, dtype, ball };
  nextRecent = (nextRecent + 1) % RECENT_BALLS;
  return ball;
}

/**
 * A running error analysis of the computed values: the radius of each, a bound (to first order)
 * on its distance from the exact value, is what its operands' radii reach it by, Σ|∂v/∂w|·r_w
 * by the op's rule in radii.ts, plus its own NOISE_ROUNDINGS roundings. Leaves are exact.
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
function errorRadii(order: Tensor[], operands: number[][], dtype: Dtype): (Float64Array | undefined)[] {
  const u = unitRoundoff(dtype);
  const eta = byDtype(SUBNORMAL_SPACING, dtype);
  const roundings = NOISE_ROUNDINGS;
  const radii = new Array<Float64Array | undefined>(order.length);
  for (let n = 0; n < order.length; n++) {
    const t = order[n];
    if (t.node === null) continue;
    const r = new Float64Array(t.size);
    for (let e = 0; e < r.length; e++) r[e] = roundings * (u * Math.abs(t.data[e]) + eta);
    const inherited: (Float64Array | null)[] = [];
    let reached = false;
    for (const p of operands[n]) {
      const rp = radii[p] ?? null;
      inherited.push(rp);
      if (rp !== null) reached = true;
    }
    if (reached) radiusRule(t.node.op.name)(t, inherited, r);
    radii[n] = r;
  }
  return radii;
}

/** A computed value's values moved by `sign` times its radius (where it is finite); a leaf's (no radius) as they are. */
function movedBy(t: Tensor, r: Float64Array | undefined, sign: number): Float64Array {
  if (r === undefined) return t.data;
  const data = new Float64Array(t.size);
  for (let e = 0; e < data.length; e++) data[e] = Number.isFinite(r[e]) ? t.data[e] + sign * r[e] : t.data[e];
  return data;
}

/**
 * The rounding scale over the stencil: at x and at both ends. Adjoints vary along the stencil
 * and may vanish at x itself (log(exp(a))·a at a = 0 has zero adjoints there, yet every other
 * stencil point carries noise u·|a| from the intermediate exp(a) ≈ 1).
 */
export function stencilScale(at: RoundingScale, ends: [Sample, Sample], seed: Float64Array, dtype: Dtype): RoundingScale {
  const plus = roundingScale(ends[0].out, seed, dtype);
  const minus = roundingScale(ends[1].out, seed, dtype);
  return {
    relative: Math.max(at.relative, plus.relative, minus.relative),
    absolute: Math.max(at.absolute, plus.absolute, minus.absolute),
    underflow: Math.max(at.underflow, plus.underflow, minus.underflow),
    singular: at.singular ?? plus.singular ?? minus.singular,
  };
}

/**
 * Σ over every computed value v_n of |∂v_n/∂t| along the stencil's line, from the samples at ±h:
 * what an absolute error in an adjoint is multiplied by on its way to the input's gradient.
 * Backward can underflow where forward does not: an adjoint −(a/b)/b of 1.9e-323 keeps two
 * significant bits, and times e^371 on the way down it makes a gradient 10% wrong, as in PyTorch.
 * A graph that changes shape on the stencil is not checkable anyway; it counts 0 here.
 */
export function forwardSensitivity(base: Sample, sides: Sample[], h: number): number {
  base.nodes ??= graphNodes(base.out);
  const at = base.nodes;
  const moved = packedMap(sides, (s) => s.nodes ?? graphNodes(s.out));
  if (moved.some((m) => m.length !== at.length)) return 0;
  let total = 0;
  for (let n = 0; n < at.length; n++) {
    const data = at[n].data;
    const sideData = packedMap(moved, (m) => m[n].data);
    for (let e = 0; e < data.length; e++) {
      let largest = 0;
      for (let s = 0; s < sideData.length; s++) largest = Math.max(largest, Math.abs(sideData[s][e] - data[e]));
      const rate = largest / h;
      if (Number.isFinite(rate)) total += rate;
    }
  }
  return total;
}
