/**
 * The high-precision oracle: every engine op and its derivative evaluated with decimal.js (mathjs's BigNumber)
 * at ORACLE_DIGITS significant digits, so the float64 engine is measured in ulps instead of judged
 * by a loose tolerance.
 *
 * Every oracle value carries two things: the exact value v (exact to ORACLE_DIGITS digits), and a
 * bound e on how far a float64 program that performs the engine's operations, in the engine's
 * order, can be from it (a running error analysis: each op adds its own rounding to the
 * propagated errors of its operands). Derivatives follow PyTorch's formulas (tanh' from the
 * output as 1 − y², div's db as −g·a/b², ...), written here from the mathematics; at kinks they
 * follow PyTorch's choices (abs'(0) = relu'(0) = 0, norm's gradient 0 at the zero tensor), and a
 * kink closer to an operand than its error bound makes the derivative's bound cover both sides.
 */
import { Decimal } from 'decimal.js';
import type { ExprNode, TensorValue } from '../cases/types.ts';
import { Tensor, fromData, tensor, type OpName } from '../engine/index.ts';
import * as engine from '../engine/index.ts';
import { broadcastIndex, broadcastShapes, sameShape, sizeOf } from '../engine/shape.ts';
import { ETA, U, ulp, ulpDistance } from './float.ts';
import { applyExprOp } from '../backends/reference.ts';
import { packedMap } from './packed.ts';

/** Significant digits of every oracle computation (the issue asks for at least 50). */
export const ORACLE_DIGITS = 50;

// mathjs's BigNumber is this class, configured so; used directly, without loading the rest of
// mathjs (a second of CPU in every thread that imports the claims). Numbers are read through
// their shortest decimal string, as mathjs's bignumber() reads them.
const BigNumber = Decimal.clone({ precision: ORACLE_DIGITS, modulo: Decimal.EUCLID });
type BigNumber = Decimal;
const big = (x: number | string): BigNumber => new BigNumber(typeof x === 'number' ? `${x}` : x);

const TWO = big(2);
const powersOfTwo = new Map<number, BigNumber>();
const bits = new DataView(new ArrayBuffer(8));

/**
 * A double as a BigNumber, exactly (to ORACLE_DIGITS digits). `bignumber(0.1)` would read the
 * shortest decimal that rounds to the double, 0.1, which is off by 5.6e-18.
 */
export function toBig(x: number): BigNumber {
  if (!Number.isFinite(x) || x === 0) return big(x);
  bits.setFloat64(0, x);
  const hi = bits.getUint32(0);
  const lo = bits.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (hi & 0xfffff) * 2 ** 32 + lo;
  const mantissa = biased === 0 ? fraction : fraction + 2 ** 52;
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  let scale = powersOfTwo.get(exponent);
  if (scale === undefined) {
    scale = TWO.pow(exponent) as BigNumber;
    powersOfTwo.set(exponent, scale);
  }
  const magnitude = big(mantissa).times(scale) as BigNumber;
  return x < 0 ? (magnitude.neg() as BigNumber) : magnitude;
}

/** The double nearest to b (through its 50-digit decimal string, which rounds correctly). */
export function toDouble(b: BigNumber): number {
  return b.toNumber();
}

// ---------------------------------------------------------------- tracked numbers

/** An exact value and a bound on the float64 engine's distance from it. */
export interface Tracked {
  readonly v: BigNumber;
  readonly e: number;
}

const exact = (x: number): Tracked => ({ v: toBig(x), e: 0 });
// Tracked values are read-only, so the common constants are shared: a seed row of the
// Jacobian would otherwise read 0 and 1 from decimal strings for every element of every row.
const ZERO_EXACT = exact(0);
const ONE_EXACT = exact(1);
const TWO_EXACT = exact(2);
const abs = (b: BigNumber): number => Math.abs(b.toNumber());

/**
 * The relative error of V8's library functions, as multiples of u (fdlibm's algorithms):
 * - exp, log and pow: below one ulp, and ulp(y) ≤ 2u·|y|.
 * - tanh: for |x| < 1 it is −t/(t + 2) with t = expm1(−2|x|). expm1's one ulp (2u) is scaled by
 *   ∂log(tanh)/∂log(t) = 2/(t + 2) ≤ 1.76, and the sum and the quotient add u each: 5.5u, up to
 *   2.75 ulps (2.1 ulps is measured at x = 0.2234). For |x| ≥ 1, 1 − 2/(t + 2) stays below that.
 * oracle.test.ts samples each function against these bounds.
 */
export const LIBRARY_ERROR = { exp: 2, log: 2, pow: 2, tanh: 5.5 } as const;

/**
 * One correctly rounded operation on a result of magnitude ≤ m: u·m, plus ETA/2 below the normal
 * range. ETA/2 is not a double (it rounds to 0), so the whole ETA stands in for it.
 */
const basicRounding = (m: number): number => U * m + ETA;
const libraryRounding = (fn: keyof typeof LIBRARY_ERROR) => (m: number): number => LIBRARY_ERROR[fn] * U * m + ETA;

/**
 * The bound after one rounding. Past the double range the engine may hold ±Infinity or NaN
 * where the exact value is finite, so no finite bound exists; NaN bounds (0·∞ in the
 * propagation) mean the same.
 */
function rounded(v: BigNumber, propagated: number, rounding: (m: number) => number): Tracked {
  // An exact zero from exact operands is computed exactly (0·x, 0 + 0, sqrt(0)).
  if (propagated === 0 && v.isZero()) return { v, e: 0 };
  const m = abs(v) + propagated;
  const e = propagated + rounding(m);
  return { v, e: m + e < Number.MAX_VALUE ? e : Infinity };
}

function tAdd(a: Tracked, b: Tracked): Tracked {
  return rounded(a.v.plus(b.v) as BigNumber, a.e + b.e, basicRounding);
}

function tSub(a: Tracked, b: Tracked): Tracked {
  return rounded(a.v.minus(b.v) as BigNumber, a.e + b.e, basicRounding);
}

function tNeg(a: Tracked): Tracked {
  return { v: a.v.neg() as BigNumber, e: a.e };
}

/** |âb̂ − ab| ≤ |a|·e_b + |b|·e_a + e_a·e_b. */
function productError(a: Tracked, b: Tracked): number {
  return abs(a.v) * b.e + abs(b.v) * a.e + a.e * b.e;
}

function tMul(a: Tracked, b: Tracked): Tracked {
  return rounded(a.v.times(b.v) as BigNumber, productError(a, b), basicRounding);
}

/** A product the engine computes exactly (by 0, ±1 or 2). */
function tMulExact(a: Tracked, b: Tracked): Tracked {
  const e = productError(a, b);
  return { v: a.v.times(b.v) as BigNumber, e: Number.isNaN(e) ? Infinity : e };
}

/** â/b̂ − a/b = ((â − a)·b − a·(b̂ − b))/(b·b̂), so |·| ≤ (e_a + |a/b|·e_b)/(|b| − e_b). */
function tDiv(a: Tracked, b: Tracked): Tracked {
  const v = a.v.div(b.v) as BigNumber;
  const bAbs = abs(b.v);
  const propagated = a.e === 0 && b.e === 0 ? 0 : bAbs > b.e ? (a.e + abs(v) * b.e) / (bAbs - b.e) : Infinity;
  return rounded(v, propagated, basicRounding);
}

/** exp(â) − exp(a) = exp(a)·(exp(δ) − 1), |δ| ≤ e. */
function tExp(a: Tracked): Tracked {
  const v = a.v.exp() as BigNumber;
  return rounded(v, abs(v) * Math.expm1(a.e), libraryRounding('exp'));
}

/** |log(â) − log(a)| ≤ −log(1 − e/a) for e < a; past that â may be ≤ 0. */
function tLog(a: Tracked): Tracked {
  const v = a.v.ln() as BigNumber;
  const x = a.v.toNumber();
  const propagated = a.e === 0 ? 0 : a.e < x ? -Math.log1p(-a.e / x) : Infinity;
  return rounded(v, propagated, libraryRounding('log'));
}

/** sqrt(a) − sqrt(a − e) = e/(sqrt(a) + sqrt(a − e)) is the larger side; below a − e < 0, â may be negative. */
function tSqrt(a: Tracked): Tracked {
  const v = a.v.sqrt() as BigNumber;
  const x = a.v.toNumber();
  const propagated = a.e === 0 ? 0 : x - a.e >= 0 ? a.e / (Math.sqrt(x) + Math.sqrt(x - a.e)) : Infinity;
  return rounded(v, propagated, basicRounding);
}

/** tanh' = sech² ≤ min(1, 4·exp(−2|t|)), and |t| ≥ |a| − e on the interval. */
function tTanh(a: Tracked): Tracked {
  const v = a.v.tanh() as BigNumber;
  const far = Math.max(0, abs(a.v) - a.e);
  return rounded(v, a.e * Math.min(1, 4 * Math.exp(-2 * far)), libraryRounding('tanh'));
}

/** |pow(â, p) − pow(a, p)| ≤ e·sup|p·t^(p−1)| over |t| within e of |a|. */
function tPow(a: Tracked, p: number): Tracked {
  const v = a.v.pow(p) as BigNumber;
  if (p === 0) return { v, e: 0 };
  const x = abs(a.v);
  let propagated = 0;
  if (a.e > 0) {
    if (p >= 1) propagated = Math.abs(p) * (x + a.e) ** (p - 1) * a.e;
    else propagated = x - a.e > 0 ? Math.abs(p) * (x - a.e) ** (p - 1) * a.e : Infinity;
  }
  return rounded(v, propagated, libraryRounding('pow'));
}

function sgn(b: BigNumber): number {
  return b.isNaN() ? NaN : b.isZero() ? 0 : b.isNeg() ? -1 : 1;
}

/** Whether the engine's operand may sit on the other side of 0 than the exact one. */
const nearKink = (a: Tracked): boolean => a.e > 0 && abs(a.v) <= a.e;

/** sign(x) as the engine computes it: exact unless x is within its error bound of 0. */
function tSign(a: Tracked): Tracked {
  return { v: big(sgn(a.v)), e: nearKink(a) ? 2 : 0 };
}

function tRelu(a: Tracked): Tracked {
  return { v: a.v.isNeg() ? big(0) : a.v, e: a.e };
}

function tAbs(a: Tracked): Tracked {
  return { v: a.v.abs() as BigNumber, e: a.e };
}

/** relu'(x): 1 above 0, 0 at and below 0 (PyTorch's choice at 0). */
function reluSlope(a: Tracked): Tracked {
  return { v: big(a.v.isPos() && !a.v.isZero() ? 1 : 0), e: nearKink(a) ? 1 : 0 };
}

/**
 * Running error bound of a left-to-right sum: each partial sum adds its rounding. The engine's
 * sums and dot products start from 0 and add in index order, as here.
 */
function tSum(terms: readonly Tracked[]): Tracked {
  if (terms.length === 0) return ZERO_EXACT;
  let acc = terms[0];
  for (let i = 1; i < terms.length; i++) acc = tAdd(acc, terms[i]);
  return acc;
}

/**
 * A sum whose order this code does not fix (gradient contributions of a shared input): bounded
 * for any order by the standard (k − 1)·u·Σ|terms| of recursive summation.
 */
function tSumAnyOrder(terms: readonly Tracked[]): Tracked {
  let v = big(0);
  let e = 0;
  let m = 0;
  for (const t of terms) {
    v = v.plus(t.v) as BigNumber;
    e += t.e;
    m += abs(t.v) + t.e;
  }
  return { v, e: e + (terms.length - 1) * basicRounding(m) };
}

// ---------------------------------------------------------------- tensors and ops

export interface OracleTensor {
  shape: number[];
  data: Tracked[];
}

const make = (shape: readonly number[], data: Tracked[]): OracleTensor => ({ shape: [...shape], data });
const map = (x: OracleTensor, f: (t: Tracked, i: number) => Tracked): OracleTensor => make(x.shape, packedMap(x.data, f));

export interface OracleOp<A = any> {
  forward(inputs: readonly OracleTensor[], attrs: A): OracleTensor;
  /** The inputs' gradients for upstream gradient g, by PyTorch's derivative formulas. */
  vjp(g: OracleTensor, inputs: readonly OracleTensor[], output: OracleTensor, attrs: A): OracleTensor[];
}

function unary(f: (x: Tracked) => Tracked, d: (g: Tracked, x: Tracked, y: Tracked) => Tracked): OracleOp<any> {
  return {
    forward: ([x]) => map(x, f),
    vjp: (g, [x], y) => [map(g, (gi, i) => d(gi, x.data[i], y.data[i]))],
  };
}

/** Sums a gradient of the broadcast shape onto an input's shape, in the engine's index order. */
function reduceTo(full: Tracked[], outShape: readonly number[], inShape: readonly number[]): OracleTensor {
  if (sameShape(outShape, inShape)) return make(inShape, full);
  const index = broadcastIndex(inShape, outShape);
  const parts: Tracked[][] = Array.from({ length: sizeOf(inShape) }, () => []);
  full.forEach((t, k) => parts[index[k]].push(t));
  return make(inShape, packedMap(parts, tSum));
}

function binary(f: (a: Tracked, b: Tracked) => Tracked, da: (g: Tracked, a: Tracked, b: Tracked) => Tracked, db: (g: Tracked, a: Tracked, b: Tracked) => Tracked, name: string): OracleOp<any> {
  const operands = (a: OracleTensor, b: OracleTensor) => {
    const shape = sameShape(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape, name);
    return { shape, ia: broadcastIndex(a.shape, shape), ib: broadcastIndex(b.shape, shape) };
  };
  return {
    forward([a, b]) {
      const { shape, ia, ib } = operands(a, b);
      const out = new Array<Tracked>(ia.length);
      for (let k = 0; k < ia.length; k++) out[k] = f(a.data[ia[k]], b.data[ib[k]]);
      return make(shape, out);
    },
    vjp(g, [a, b]) {
      const { shape, ia, ib } = operands(a, b);
      const ga = packedMap(g.data, (gk, k) => da(gk, a.data[ia[k]], b.data[ib[k]]));
      const gb = packedMap(g.data, (gk, k) => db(gk, a.data[ia[k]], b.data[ib[k]]));
      return [reduceTo(ga, shape, a.shape), reduceTo(gb, shape, b.shape)];
    },
  };
}

interface ReduceAttrs {
  axis: number | null;
  keepDim: boolean;
}

function reducedShape(shape: readonly number[], { axis, keepDim }: ReduceAttrs): number[] {
  if (axis === null) return keepDim ? shape.map(() => 1) : [];
  return keepDim ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
}

/** For each output element of a reduction, the input indices it sums, in the engine's order. */
function reductionGroups(shape: readonly number[], axis: number | null): number[][] {
  const n = sizeOf(shape);
  if (axis === null) return [Array.from({ length: n }, (_, i) => i)];
  const outer = sizeOf(shape.slice(0, axis));
  const len = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const groups: number[][] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) groups.push(Array.from({ length: len }, (_, l) => (o * len + l) * inner + i));
  }
  return groups;
}

function spread(g: OracleTensor, x: OracleTensor, axis: number | null, each: (gi: Tracked) => Tracked): OracleTensor {
  const out: Tracked[] = new Array(x.data.length);
  reductionGroups(x.shape, axis).forEach((group, o) => {
    const value = each(g.data[o]);
    for (const i of group) out[i] = value;
  });
  return make(x.shape, out);
}

function count(x: OracleTensor, axis: number | null): number {
  return axis === null ? x.data.length : x.shape[axis];
}

function matmulRows(a: OracleTensor, b: OracleTensor): OracleTensor {
  const [m, k] = a.shape;
  const n = b.shape[1];
  const out: Tracked[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) out.push(tSum(Array.from({ length: k }, (_, p) => tMul(a.data[i * k + p], b.data[p * n + j]))));
  }
  return make([m, n], out);
}

function transposed(x: OracleTensor): OracleTensor {
  const [r, c] = x.shape;
  const out: Tracked[] = new Array(x.data.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = x.data[i * c + j];
  return make([c, r], out);
}

/**
 * p·x^(p−1) for pow's backward, kept by its operand x and exponent p: it is the same in every
 * output's backward pass, and a fractional power at 50 digits is an exp of a log. Computed once
 * per row, pow's backward took 38% of oracleEvaluate's CPU on the gradcheck claims' graphs.
 */
const powSlopes = new WeakMap<OracleTensor, Map<number, Tracked[]>>();

function powSlope(x: OracleTensor, exponent: number): Tracked[] {
  let byExponent = powSlopes.get(x);
  if (byExponent === undefined) powSlopes.set(x, (byExponent = new Map()));
  let slope = byExponent.get(exponent);
  if (slope === undefined) {
    const p = exact(exponent);
    slope = packedMap(x.data, (t) => tMul(p, tPow(t, exponent - 1)));
    byExponent.set(exponent, slope);
  }
  return slope;
}

/** Every engine op in high precision: forward, and the derivative as PyTorch states it. */
export const ORACLE_OPS: Record<OpName, OracleOp> = {
  neg: unary(tNeg, (g) => tNeg(g)),
  exp: unary(tExp, (g, _x, y) => tMul(g, y)),
  log: unary(tLog, (g, x) => tDiv(g, x)),
  sqrt: unary(tSqrt, (g, _x, y) => tDiv(g, tMulExact(TWO_EXACT, y))),
  abs: unary(tAbs, (g, x) => tMulExact(g, tSign(x))),
  sign: unary(tSign, () => ZERO_EXACT),
  relu: unary(tRelu, (g, x) => tMulExact(g, reluSlope(x))),
  tanh: unary(tTanh, (g, _x, y) => tMul(g, tSub(ONE_EXACT, tMul(y, y)))),
  square: unary((x) => tMul(x, x), (g, x) => tMul(g, tMulExact(TWO_EXACT, x))),
  pow: {
    forward: ([x], { exponent }: { exponent: number }) => map(x, (t) => tPow(t, exponent)),
    vjp: (g, [x], y, { exponent }: { exponent: number }) => {
      if (exponent === 0) return [map(g, () => ZERO_EXACT)];
      const slope = powSlope(x, exponent);
      return [map(g, (gi, i) => tMul(gi, slope[i]))];
    },
  },
  add: binary(tAdd, (g) => g, (g) => g, 'add'),
  sub: binary(tSub, (g) => g, (g) => tNeg(g), 'sub'),
  mul: binary(tMul, (g, _a, b) => tMul(g, b), (g, a) => tMul(g, a), 'mul'),
  // PyTorch's div_tensor_other_backward: −g·((a/b)/b), which stays in range wherever the
  // result does (b·b would overflow from |b| ≈ 1.3e154 on).
  div: binary(tDiv, (g, _a, b) => tDiv(g, b), (g, a, b) => tNeg(tMul(g, tDiv(tDiv(a, b), b))), 'div'),
  matmul: {
    forward: ([a, b]) => matmulRows(a, b),
    vjp: (g, [a, b]) => [matmulRows(g, transposed(b)), matmulRows(transposed(a), g)],
  },
  sum: {
    forward: ([x], attrs: ReduceAttrs) => make(reducedShape(x.shape, attrs), packedMap(reductionGroups(x.shape, attrs.axis), (grp) => tSum(packedMap(grp, (i) => x.data[i])))),
    vjp: (g, [x], _y, { axis }: ReduceAttrs) => [spread(g, x, axis, (gi) => gi)],
  },
  mean: {
    forward: ([x], attrs: ReduceAttrs) => {
      const n = exact(count(x, attrs.axis));
      return make(reducedShape(x.shape, attrs), packedMap(reductionGroups(x.shape, attrs.axis), (grp) => tDiv(tSum(packedMap(grp, (i) => x.data[i])), n)));
    },
    vjp: (g, [x], _y, { axis }: ReduceAttrs) => [spread(g, x, axis, (gi) => tDiv(gi, exact(count(x, axis))))],
  },
  norm: {
    forward: ([x], { p }: { p: 1 | 2 }) => make([], [p === 1 ? tSum(packedMap(x.data, tAbs)) : tSqrt(tSum(packedMap(x.data, (t) => tMul(t, t))))]),
    // p = 1: g·sign(x). p = 2: x·(g/‖x‖), and 0 at the zero tensor (PyTorch's masked_fill).
    vjp: (g, [x], y, { p }: { p: 1 | 2 }) => {
      if (p === 1) return [map(x, (t) => tMulExact(g.data[0], tSign(t)))];
      const norm = y.data[0];
      if (norm.v.isZero() && norm.e === 0) return [map(x, () => ZERO_EXACT)];
      const scale = tDiv(g.data[0], norm);
      return [map(x, (t) => tMul(t, scale))];
    },
  },
  reshape: {
    forward: ([x], { shape }: { shape: number[] }) => make(shape, x.data),
    vjp: (g, [x]) => [make(x.shape, g.data)],
  },
  transpose: {
    forward: ([x]) => transposed(x),
    vjp: (g) => [transposed(g)],
  },
};

// ---------------------------------------------------------------- expression graphs

export type GraphInputs = Record<string, TensorValue & { requiresGrad: boolean }>;

/** The attributes of a node as the engine's functional API normalizes them. */
function normalizedAttrs(op: OpName, attrs: Record<string, unknown>, input: readonly number[]): any {
  switch (op) {
    case 'pow':
      return { exponent: attrs.exponent as number };
    case 'sum':
    case 'mean': {
      const axis = (attrs.axis as number | null | undefined) ?? null;
      return { axis: axis === null || axis >= 0 ? axis : axis + input.length, keepDim: (attrs.keepDim as boolean | undefined) ?? false };
    }
    case 'norm':
      return { p: attrs.p as 1 | 2 };
    case 'reshape': {
      const shape = attrs.shape as number[];
      const size = sizeOf(input);
      const known = shape.reduce((acc, d) => (d === -1 ? acc : acc * d), 1);
      return { shape: shape.map((d) => (d === -1 ? size / known : d)) };
    }
    default:
      return undefined;
  }
}

interface TapeEntry {
  op: OpName | 'const';
  attrs: any;
  /** Indices of the operands: tape entries (≥ 0) or inputs (−1 − index of the input name). */
  args: number[];
  value: OracleTensor;
}

export interface OracleResult {
  value: OracleTensor;
  /** jacobian[input][i][k] = ∂output_i/∂input_k, for the inputs that require grad. */
  jacobian: Record<string, Tracked[][]>;
}

/** Evaluates an expression graph and its full Jacobian in high precision. */
export function oracleEvaluate(graph: ExprNode, inputs: GraphInputs): OracleResult {
  const names = Object.keys(inputs);
  const leaves = packedMap(names, (name) => make(inputs[name].shape, packedMap(inputs[name].data, exact)));
  const tape: TapeEntry[] = [];
  const valueOf = (ref: number): OracleTensor => (ref >= 0 ? tape[ref].value : leaves[-1 - ref]);
  const build = (node: ExprNode): number => {
    if (node.op === 'input') {
      const j = names.indexOf(node.name);
      if (j < 0) throw new RangeError(`oracle: unknown input '${node.name}'`);
      return -1 - j;
    }
    if (node.op === 'const') {
      tape.push({ op: 'const', attrs: undefined, args: [], value: make([], [exact(node.value)]) });
      return tape.length - 1;
    }
    const op = node.op as OpName;
    const rule = ORACLE_OPS[op];
    if (rule === undefined) throw new RangeError(`oracle: unknown op '${String(node.op)}'`);
    const args = packedMap(node.args, build);
    const operands = packedMap(args, valueOf);
    const attrs = normalizedAttrs(op, node.attrs ?? {}, operands[0].shape);
    tape.push({ op, attrs, args, value: rule.forward(operands, attrs) });
    return tape.length - 1;
  };
  const root = build(graph);
  const value = valueOf(root);
  const jacobian: Record<string, Tracked[][]> = {};
  names.forEach((name) => {
    if (inputs[name].requiresGrad) jacobian[name] = [];
  });
  for (let i = 0; i < value.data.length; i++) {
    const seed = make(value.shape, packedMap(value.data, (_, k) => (k === i ? ONE_EXACT : ZERO_EXACT)));
    const grads = backwardThrough(tape, leaves, root, seed, valueOf);
    names.forEach((name, j) => {
      if (inputs[name].requiresGrad) jacobian[name].push(grads[j] ?? packedMap(leaves[j].data, () => ZERO_EXACT));
    });
  }
  return { value, jacobian };
}

/** Reverse mode over the tape; each input's contributions are summed in any order (see tSumAnyOrder). */
function backwardThrough(tape: TapeEntry[], leaves: OracleTensor[], root: number, seed: OracleTensor, valueOf: (ref: number) => OracleTensor): (Tracked[] | undefined)[] {
  const pending = new Map<number, OracleTensor>();
  const leafParts: Tracked[][][] = packedMap(leaves, (l) => packedMap(l.data, (): Tracked[] => []));
  const deliver = (ref: number, g: OracleTensor): void => {
    if (ref < 0) {
      g.data.forEach((t, k) => leafParts[-1 - ref][k].push(t));
      return;
    }
    // Each tape entry is the operand of one entry only (`build` gives every visit of a node its
    // own entry), so it receives one gradient.
    pending.set(ref, g);
  };
  deliver(root, seed);
  for (let n = tape.length - 1; n >= 0; n--) {
    const g = pending.get(n);
    if (g === undefined) continue;
    const entry = tape[n];
    if (entry.op === 'const') continue;
    const grads = ORACLE_OPS[entry.op].vjp(g, packedMap(entry.args, valueOf), entry.value, entry.attrs);
    entry.args.forEach((ref, i) => deliver(ref, grads[i]));
  }
  return packedMap(leafParts, (parts) => (parts.every((p) => p.length === 0) ? undefined : packedMap(parts, (p) => (p.length === 0 ? ZERO_EXACT : p.length === 1 ? p[0] : tSumAnyOrder(p)))));
}

// ---------------------------------------------------------------- the engine on the same graphs


/**
 * Rounds a tensor's values to float32 while keeping its gradient: the offsets to the nearest
 * float32 values join as a constant, so the result is exactly Math.fround of each value.
 */
function roundToFloat32(t: Tensor): Tensor {
  const data = t.data;
  const offsets = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i])) offsets[i] = Math.fround(data[i]) - data[i];
  return engine.add(t, fromData(offsets, t.shape));
}

type Compiled = (xs: readonly Tensor[]) => Tensor;

const GRAPH_PATH = (): string => 'graph';

/**
 * The graph as an engine function of its inputs, in the order of `names`, for gradcheck. With
 * dtype 'float32' every op's result is rounded to float32, as a float32 backend rounds it (the
 * gradient is still computed in float64). The graph is walked once, here: each call only runs
 * the ops (gradcheck calls the function once per stencil point, about 55 times per check).
 */
export function engineFunction(graph: ExprNode, names: readonly string[], dtype: 'float64' | 'float32' = 'float64'): (...xs: Tensor[]) => Tensor {
  const finish = (f: Compiled): Compiled => (dtype === 'float32' ? (xs) => roundToFloat32(f(xs)) : f);
  const compile = (node: ExprNode): Compiled => {
    if (node.op === 'input') {
      const j = names.indexOf(node.name);
      if (j < 0) {
        return () => {
          throw new RangeError(`engineFunction: unknown input '${node.name}'`);
        };
      }
      return (xs) => xs[j];
    }
    if (node.op === 'const') return finish(() => tensor(node.value));
    const args = packedMap(node.args, compile);
    return finish((xs) => {
      // Pushed rather than stored into new Array(n): a packed array, as the engine's own ops pass theirs.
      const values: Tensor[] = [];
      for (let i = 0; i < args.length; i++) values.push(args[i](xs));
      return applyExprOp(node, values, GRAPH_PATH);
    });
  };
  const root = compile(graph);
  return (...xs) => root(xs);
}

/** The engine's value and full Jacobian (one backward per output element). */
export function engineJacobian(graph: ExprNode, inputs: GraphInputs): { value: Float64Array; jacobian: Record<string, Float64Array[]> } {
  const names = Object.keys(inputs);
  const leaves = names.map((n) => fromData(inputs[n].data, inputs[n].shape, { requiresGrad: inputs[n].requiresGrad }));
  const out = engineFunction(graph, names)(...leaves);
  const jacobian: Record<string, Float64Array[]> = {};
  names.forEach((n) => {
    if (inputs[n].requiresGrad) jacobian[n] = [];
  });
  for (let i = 0; i < out.size; i++) {
    leaves.forEach((l) => {
      l.grad = null;
    });
    if (out.requiresGrad) {
      const seed = new Float64Array(out.size);
      seed[i] = 1;
      out.backward(fromData(seed, out.shape), { retainGraph: true });
    }
    names.forEach((n, j) => {
      if (inputs[n].requiresGrad) jacobian[n].push(leaves[j].grad?.data.slice() ?? new Float64Array(leaves[j].size));
    });
  }
  return { value: out.data, jacobian };
}

// ---------------------------------------------------------------- measuring the engine

export interface Measured {
  /** Where: `value[i]` or `∂value[i]/∂x[k]`. */
  what: string;
  engine: number;
  /** The exact value rounded to the nearest double. */
  exact: number;
  /** |engine − exact| in ulps of the exact value: ≤ 0.5 for a correctly rounded result. */
  ulps: number;
  /** How many doubles lie between the engine's value and the rounded exact one (ulpDistance). */
  ulpDistance: number;
  /** |engine − exact| (against the 50-digit value, not the rounded one). */
  error: number;
  /** The running error bound for the engine's program. */
  bound: number;
  /** For values: the componentwise condition number Σ|x_k·∂f/∂x_k| / |f|. */
  condition?: number;
  /** For values: error / (u·Σ|x_k·∂f/∂x_k|), the error in units of what conditioning alone explains. */
  errorOverCondition?: number;
}

export interface GraphMeasurement {
  values: Measured[];
  gradients: Measured[];
}

/**
 * |x − t.v| computed in high precision: rounding the exact value to a double first would add up
 * to half an ulp, and at a tie pick the other neighbour (0.1·3 is exactly halfway between two
 * doubles). NaN against NaN is 0; NaN against a number, or an infinity, is Infinity.
 */
export function errorOf(x: number, t: Tracked): number {
  if (Number.isNaN(x) || t.v.isNaN()) return Number.isNaN(x) && t.v.isNaN() ? 0 : Infinity;
  if (!Number.isFinite(x) || !t.v.isFinite()) return x === t.v.toNumber() ? 0 : Infinity;
  return abs(toBig(x).minus(t.v) as BigNumber);
}

function measured(what: string, engineValue: number, t: Tracked): Measured {
  const exactDouble = toDouble(t.v);
  const error = errorOf(engineValue, t);
  return { what, engine: engineValue, exact: exactDouble, ulps: error / ulp(exactDouble), ulpDistance: ulpDistance(engineValue, exactDouble), error, bound: t.e };
}

/**
 * The engine's values and gradients on a graph against the oracle's: ulps, the error, its
 * running bound, and for each value the condition number of the graph at the inputs.
 */
export function measureGraph(graph: ExprNode, inputs: GraphInputs, engineResult = engineJacobian(graph, inputs), oracle = oracleEvaluate(graph, inputs)): GraphMeasurement {
  const values = oracle.value.data.map((t, i) => {
    const m = measured(`value[${i}]`, engineResult.value[i], t);
    let sensitivity = 0;
    for (const [name, rows] of Object.entries(oracle.jacobian)) {
      rows[i].forEach((d, k) => {
        sensitivity += Math.abs(inputs[name].data[k]) * abs(d.v);
      });
    }
    const magnitude = abs(t.v);
    return { ...m, condition: sensitivity / magnitude, errorOverCondition: m.error === 0 ? 0 : m.error / (U * sensitivity) };
  });
  const gradients: Measured[] = [];
  for (const [name, rows] of Object.entries(oracle.jacobian)) {
    rows.forEach((row, i) => row.forEach((d, k) => gradients.push(measured(`∂value[${i}]/∂${name}[${k}]`, engineResult.jacobian[name][i][k], d))));
  }
  return { values, gradients };
}

/** Small inputs on which each op and its derivative are measured: ordinary values, exact zeros, large and tiny magnitudes. */
export function opCases(): { op: OpName; graph: ExprNode; inputs: GraphInputs }[] {
  const a = (data: number[], shape: number[] = [data.length]) => ({ data, shape, requiresGrad: true });
  const x: ExprNode = { op: 'input', name: 'x' };
  const y: ExprNode = { op: 'input', name: 'y' };
  const vector = [0.1, -1.7, 2.5, 1e-3, 37.25, -0.3];
  const positive = [0.1, 1.7, 2.5, 1e-3, 37.25, 0.3];
  const unaryCase = (op: OpName, data: number[], attrs?: Record<string, number>) => ({ op, graph: { op, args: [x], attrs } as ExprNode, inputs: { x: a(data) } });
  const binaryCase = (op: OpName, left: number[], right: number[], shapes: [number[], number[]] = [[left.length], [right.length]]) => ({
    op,
    graph: { op, args: [x, y] } as ExprNode,
    inputs: { x: a(left, shapes[0]), y: a(right, shapes[1]) },
  });
  const matrix = [0.3, -1.25, 2.5, 0.1, -0.7, 1.9];
  return [
    unaryCase('neg', vector),
    unaryCase('exp', [...vector, -20, 12.5]),
    unaryCase('log', positive),
    unaryCase('sqrt', positive),
    unaryCase('abs', [...vector, 0]),
    unaryCase('sign', [...vector, 0]),
    unaryCase('relu', [...vector, 0]),
    unaryCase('tanh', [...vector, 4, -9]),
    unaryCase('square', vector),
    unaryCase('pow', positive, { exponent: 0.5 }),
    unaryCase('pow', vector, { exponent: 3 }),
    unaryCase('pow', vector, { exponent: -1 }),
    unaryCase('pow', positive, { exponent: 1.5 }),
    binaryCase('add', vector, positive),
    binaryCase('sub', vector, positive),
    binaryCase('mul', vector, positive),
    binaryCase('div', vector, positive),
    binaryCase('mul', matrix, [0.7, -3], [[3, 2], [2]]),
    binaryCase('matmul', matrix, [0.5, -2, 1.1, 0.3], [[3, 2], [2, 2]]),
    { op: 'sum', graph: { op: 'sum', args: [x] }, inputs: { x: a(matrix, [2, 3]) } },
    { op: 'sum', graph: { op: 'sum', args: [x], attrs: { axis: 0 } }, inputs: { x: a(matrix, [2, 3]) } },
    { op: 'mean', graph: { op: 'mean', args: [x], attrs: { axis: 1 } }, inputs: { x: a(matrix, [2, 3]) } },
    { op: 'norm', graph: { op: 'norm', args: [x], attrs: { p: 2 } }, inputs: { x: a(matrix, [2, 3]) } },
    { op: 'norm', graph: { op: 'norm', args: [x], attrs: { p: 2 } }, inputs: { x: a([0, 0, 0]) } },
    { op: 'norm', graph: { op: 'norm', args: [x], attrs: { p: 1 } }, inputs: { x: a([...matrix, 0]) } },
    { op: 'reshape', graph: { op: 'reshape', args: [x], attrs: { shape: [3, 2] } }, inputs: { x: a(matrix, [2, 3]) } },
    { op: 'transpose', graph: { op: 'transpose', args: [x] }, inputs: { x: a(matrix, [2, 3]) } },
  ];
}

export interface OpMeasurement {
  op: OpName;
  cases: number;
  maxValueUlps: number;
  maxGradientUlps: number;
  /** The largest error / bound ratio over values and gradients (≤ 1 when the bound holds). */
  worstErrorOverBound: number;
}

/** Each op's worst value and derivative error in ulps over the cases (opCases()), and how close it came to its bound. */
export function measureEngineOps(cases = opCases()): OpMeasurement[] {
  const byOp = new Map<OpName, OpMeasurement>();
  for (const c of cases) {
    const m = measureGraph(c.graph, c.inputs);
    const row = byOp.get(c.op) ?? { op: c.op, cases: 0, maxValueUlps: 0, maxGradientUlps: 0, worstErrorOverBound: 0 };
    row.cases++;
    for (const v of m.values) row.maxValueUlps = Math.max(row.maxValueUlps, v.ulps);
    for (const g of m.gradients) row.maxGradientUlps = Math.max(row.maxGradientUlps, g.ulps);
    for (const q of [...m.values, ...m.gradients]) row.worstErrorOverBound = Math.max(row.worstErrorOverBound, q.error === 0 ? 0 : q.error / q.bound);
    byOp.set(c.op, row);
  }
  return [...byOp.values()];
}

