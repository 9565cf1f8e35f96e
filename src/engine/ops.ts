/**
 * The op table: every differentiable op with its forward and backward rule side by side.
 * Backward rules follow PyTorch's derivative formulas, including their choices at
 * non-differentiable points (abs'(0) = 0, relu'(0) = 0, norm's gradient 0 at the zero tensor).
 * A backward rule returns, per input, a fresh array or the incoming gradient itself, never an
 * array that something else still owns.
 */
import { fma } from '../arith/fma.ts';
import { broadcastRead, broadcastShapes, formatShape, sameShape, sizeOf, type Shape } from './shape.ts';
import { allocate, copyOf, scalarOf } from './alloc.ts';
import { matmulInto, matmulTransposedLeftInto, matmulTransposedRightInto, transposeInto } from './kernels.ts';
import { apply, Tensor, type OpDef } from './tensor.ts';
import { binaryRules, type BinaryRule } from './binary-rules.ts';

export type TensorLike = Tensor | number;

function asTensor(x: TensorLike): Tensor {
  if (typeof x === 'number') return new Tensor(scalarOf(x), []);
  if (!(x instanceof Tensor)) throw new TypeError(`expected a Tensor or a number, got ${describe(x)}`);
  return x;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array (wrap it with tensor())';
  return typeof x;
}

/** PyTorch's sign: 0 at ±0 (so abs'(±0) = 0), NaN at NaN. */
function sgn(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : x;
}

// ---------------------------------------------------------------- elementwise unary

/** Below this |y|, y² ≤ 2⁻⁵⁴ is at most half an ulp under 1, so 1 − y² rounds to 1 (a tie to even). */
const TANH_FLAT = 2 ** -27;

/**
 * 1 − y² rounded once, as PyTorch's tanh_backward computes it with a fused multiply-add. The two
 * ends are exact without fma, which reaches them only through its slow exact path: 1 for
 * |y| ≤ 2⁻²⁷ (a tiny y² leaves fma's safe range) and +0 at a saturated y = ±1.
 */
function oneMinusSquare(y: number): number {
  const a = Math.abs(y);
  return a <= TANH_FLAT ? 1 : a === 1 ? 0 : fma(-y, y, 1);
}

/**
 * An elementwise op as two loops: forward fills `out` from the input `xs`; backward fills `out` with
 * d(output)/d(input) times the upstream gradient g, from the input xs and the output ys. Each op
 * spells its own loops so that V8 compiles each with its own arithmetic inlined: one loop shared
 * through a per-element callback would make every element an indirect call.
 */
interface UnaryRule<A> {
  name: string;
  savesTensors: boolean;
  forward(xs: Float64Array, out: Float64Array, attrs: A): void;
  backward(g: Float64Array, xs: Float64Array, ys: Float64Array, out: Float64Array, attrs: A): void;
}

function unaryOp<A>(rule: UnaryRule<A>): OpDef<A> {
  return {
    name: rule.name,
    savesTensors: rule.savesTensors,
    forward([x], attrs) {
      const out = allocate(x.size);
      rule.forward(x.data, out, attrs);
      return { data: out, shape: x.shape };
    },
    backward(g, { inputs: [x], output, attrs }) {
      const out = allocate(g.length);
      rule.backward(g, x.data, output.data, out, attrs);
      return [out];
    },
  };
}

const unaryRules = {
  neg: {
    name: 'neg',
    savesTensors: false,
    forward: (xs, out) => { for (let i = 0; i < out.length; i++) out[i] = -xs[i]; },
    backward: (g, _xs, _ys, out) => { for (let i = 0; i < out.length; i++) out[i] = -g[i]; },
  },
  exp: {
    name: 'exp',
    savesTensors: true,
    forward: (xs, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.exp(xs[i]); },
    backward: (g, _xs, ys, out) => { for (let i = 0; i < out.length; i++) out[i] = g[i] * ys[i]; },
  },
  log: {
    name: 'log',
    savesTensors: true,
    forward: (xs, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.log(xs[i]); },
    backward: (g, xs, _ys, out) => { for (let i = 0; i < out.length; i++) out[i] = g[i] / xs[i]; },
  },
  // At 0 the derivative is g/0: ±Infinity, or NaN when g = 0, as in PyTorch.
  sqrt: {
    name: 'sqrt',
    savesTensors: true,
    forward: (xs, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(xs[i]); },
    backward: (g, _xs, ys, out) => { for (let i = 0; i < out.length; i++) out[i] = g[i] / (2 * ys[i]); },
  },
  abs: {
    name: 'abs',
    savesTensors: true,
    forward: (xs, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.abs(xs[i]); },
    backward: (g, xs, _ys, out) => { for (let i = 0; i < out.length; i++) out[i] = g[i] * sgn(xs[i]); },
  },
  sign: {
    name: 'sign',
    savesTensors: false,
    forward: (xs, out) => { for (let i = 0; i < out.length; i++) out[i] = sgn(xs[i]); },
    backward: () => {},
  },
  // relu keeps −0 and NaN as PyTorch does; relu'(0) = 0: the gradient passes only where the output is positive.
  relu: {
    name: 'relu',
    savesTensors: true,
    forward: (xs, out) => { for (let i = 0; i < out.length; i++) out[i] = xs[i] < 0 ? 0 : xs[i]; },
    backward: (g, _xs, ys, out) => { for (let i = 0; i < out.length; i++) out[i] = ys[i] <= 0 ? 0 : g[i]; },
  },
  tanh: {
    name: 'tanh',
    savesTensors: true,
    forward: (xs, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.tanh(xs[i]); },
    backward: (g, _xs, ys, out) => { for (let i = 0; i < out.length; i++) out[i] = g[i] * oneMinusSquare(ys[i]); },
  },
  square: {
    name: 'square',
    savesTensors: true,
    forward: (xs, out) => { for (let i = 0; i < out.length; i++) out[i] = xs[i] * xs[i]; },
    backward: (g, xs, _ys, out) => { for (let i = 0; i < out.length; i++) out[i] = g[i] * (2 * xs[i]); },
  },
} satisfies Record<string, UnaryRule<undefined>>;

type UnaryName = keyof typeof unaryRules;

const unaryOps = Object.fromEntries(
  Object.entries(unaryRules).map(([k, rule]) => [k, unaryOp<undefined>(rule)]),
) as Record<UnaryName, OpDef<undefined>>;

interface PowAttrs {
  exponent: number;
}

// PyTorch's pow_backward: zero for exponent 0, else g · (p · x^(p−1)). The square, the L2
// penalty's op, skips Math.pow (a call per element, most of a large model's penalty): V8's
// Math.pow is fdlibm's, which returns x·x for the exponent 2 and x for 1, so x·x and g·(2·x) are
// the same values bit for bit (ops.test.ts checks it over specials and random doubles).
const powOp = unaryOp<PowAttrs>({
  name: 'pow',
  savesTensors: true,
  forward: (xs, out, { exponent }) => {
    if (exponent === 2) for (let i = 0; i < out.length; i++) out[i] = xs[i] * xs[i];
    else for (let i = 0; i < out.length; i++) out[i] = Math.pow(xs[i], exponent);
  },
  backward: (g, xs, _ys, out, { exponent }) => {
    if (exponent === 2) for (let i = 0; i < out.length; i++) out[i] = g[i] * (2 * xs[i]);
    else if (exponent !== 0) for (let i = 0; i < out.length; i++) out[i] = g[i] * (exponent * Math.pow(xs[i], exponent - 1));
  },
});

// ---------------------------------------------------------------- elementwise binary, broadcasting

function binaryOp(rule: BinaryRule): OpDef<undefined> {
  return {
    name: rule.name,
    savesTensors: rule.savesTensors,
    forward([a, b]) {
      const as = a.data;
      const bs = b.data;
      if (sameShape(a.shape, b.shape)) {
        const out = allocate(as.length);
        rule.forward(as, bs, out);
        return { data: out, shape: a.shape };
      }
      const shape = broadcastShapes(a.shape, b.shape, rule.name);
      const n = sizeOf(shape);
      const out = allocate(n);
      const ra = broadcastRead(a.shape, shape);
      const rb = broadcastRead(b.shape, shape);
      const ia = ra.index;
      const ib = rb.index;
      for (let i = 0, ka = 0, kb = 0; i < n; i++) {
        out[i] = rule.f(as[ia === null ? ka : ia[i]], bs[ib === null ? kb : ib[i]]);
        if (++ka === ra.period) ka = 0;
        if (++kb === rb.period) kb = 0;
      }
      return { data: out, shape };
    },
    // Each input's gradient sums the rate over the output elements that read it, in output order.
    backward(g, { inputs: [a, b], output, needsGrad }) {
      const n = g.length;
      const as = a.data;
      const bs = b.data;
      if (sameShape(a.shape, b.shape)) return sameShapeGrads(rule, g, as, bs, needsGrad);
      const ra = broadcastRead(a.shape, output.shape);
      const rb = broadcastRead(b.shape, output.shape);
      const ia = ra.index;
      const ib = rb.index;
      // An input of the output's shape takes the rate itself: 0 + (−0) would turn a −0 into +0.
      const sumA = !sameShape(a.shape, output.shape);
      const sumB = !sameShape(b.shape, output.shape);
      // ... and where that rate is g (a batch plus a bias row), g itself.
      const passA = needsGrad[0] && !sumA && rule.gradA === null;
      const passB = needsGrad[1] && !sumB && rule.gradB === null;
      const ga = needsGrad[0] && !passA ? allocate(a.size) : null;
      const gb = needsGrad[1] && !passB ? allocate(b.size) : null;
      for (let i = 0, ka = 0, kb = 0; i < n; i++) {
        const ea = ia === null ? ka : ia[i];
        const eb = ib === null ? kb : ib[i];
        if (ga !== null) ga[ea] = sumA ? ga[ea] + rule.da(g[i], as[ea], bs[eb]) : rule.da(g[i], as[ea], bs[eb]);
        if (gb !== null) gb[eb] = sumB ? gb[eb] + rule.db(g[i], as[ea], bs[eb]) : rule.db(g[i], as[ea], bs[eb]);
        if (++ka === ra.period) ka = 0;
        if (++kb === rb.period) kb = 0;
      }
      return [passA ? g : ga, passB ? g : gb];
    },
  };
}

/**
 * The binary backward of operands of one shape: element i of each gradient is the rate at i alone.
 * A rate that is g itself hands g on (runBackward and the noise model copy an array before adding
 * into it where it fills more than one slot).
 */
function sameShapeGrads(rule: BinaryRule, g: Float64Array, as: Float64Array, bs: Float64Array, needsGrad: readonly boolean[]): (Float64Array | null)[] {
  return [needsGrad[0] ? rateOf(rule.gradA, g, as, bs) : null, needsGrad[1] ? rateOf(rule.gradB, g, as, bs) : null];
}

function rateOf(loop: BinaryRule['gradA'], g: Float64Array, as: Float64Array, bs: Float64Array): Float64Array {
  if (loop === null) return g;
  const out = allocate(g.length);
  loop(g, as, bs, out);
  return out;
}

const binaryOps = {
  add: binaryOp(binaryRules.add),
  sub: binaryOp(binaryRules.sub),
  mul: binaryOp(binaryRules.mul),
  div: binaryOp(binaryRules.div),
};

// ---------------------------------------------------------------- matmul

// The products themselves are in kernels.ts.
const matmulOp: OpDef<undefined> = {
  name: 'matmul',
  savesTensors: true,
  forward([a, b]) {
    if (a.ndim !== 2 || b.ndim !== 2) {
      throw new RangeError(`matmul: both operands must be 2-D, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
    }
    const [m, k] = a.shape;
    const [k2, n] = b.shape;
    if (k !== k2) throw new RangeError(`matmul: inner dimensions differ: ${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
    const out = allocate(m * n);
    matmulInto(a.data, b.data, out, m, k, n);
    return { data: out, shape: [m, n] };
  },
  backward(g, { inputs: [a, b], needsGrad }) {
    const [m, k] = a.shape;
    const n = b.shape[1];
    let ga: Float64Array | null = null;
    let gb: Float64Array | null = null;
    if (needsGrad[0]) {
      ga = allocate(m * k);
      matmulTransposedRightInto(g, b.data, ga, m, n, k);
    }
    if (needsGrad[1]) {
      gb = allocate(k * n);
      matmulTransposedLeftInto(a.data, g, gb, m, k, n);
    }
    return [ga, gb];
  },
};

// ---------------------------------------------------------------- reductions and views

interface ReduceAttrs {
  /** null: all elements. */
  axis: number | null;
  keepDim: boolean;
}

function normalizeAxis(axis: number, ndim: number, op: string): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new RangeError(`${op}: axis ${axis} is out of range for a ${ndim}-D tensor`);
  }
  return axis < 0 ? axis + ndim : axis;
}

function reducedShape(shape: Shape, { axis, keepDim }: ReduceAttrs): number[] {
  if (axis === null) return keepDim ? shape.map(() => 1) : [];
  return keepDim ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
}

/** Splits a shape at `axis` into (outer, length, inner) block sizes. */
function blocks(shape: Shape, axis: number): [number, number, number] {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return [outer, shape[axis], inner];
}

function sumForward(x: Tensor, attrs: ReduceAttrs): Float64Array {
  const xs = x.data;
  if (attrs.axis === null) {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[i];
    return scalarOf(s);
  }
  const [outer, len, inner] = blocks(x.shape, attrs.axis);
  const out = allocate(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < len; l++) {
      const base = (o * len + l) * inner;
      for (let i = 0; i < inner; i++) out[o * inner + i] += xs[base + i];
    }
  }
  return out;
}

/** Spreads a reduced gradient back over the reduced axis. */
function sumBackward(g: Float64Array, x: Tensor, attrs: ReduceAttrs): Float64Array {
  const out = allocate(x.size);
  if (attrs.axis === null) {
    out.fill(g[0]);
    return out;
  }
  const [outer, len, inner] = blocks(x.shape, attrs.axis);
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < len; l++) {
      const base = (o * len + l) * inner;
      for (let i = 0; i < inner; i++) out[base + i] = g[o * inner + i];
    }
  }
  return out;
}

const sumOp: OpDef<ReduceAttrs> = {
  name: 'sum',
  savesTensors: false,
  forward: ([x], attrs) => ({ data: sumForward(x, attrs), shape: reducedShape(x.shape, attrs) }),
  backward: (g, { inputs: [x], attrs }) => [sumBackward(g, x, attrs)],
};

function reducedCount(x: Tensor, attrs: ReduceAttrs): number {
  return attrs.axis === null ? x.size : x.shape[attrs.axis];
}

const meanOp: OpDef<ReduceAttrs> = {
  name: 'mean',
  savesTensors: false,
  forward([x], attrs) {
    const sums = sumForward(x, attrs);
    const count = reducedCount(x, attrs);
    for (let i = 0; i < sums.length; i++) sums[i] /= count;
    return { data: sums, shape: reducedShape(x.shape, attrs) };
  },
  // PyTorch's mean_backward divides the expanded gradient by the count.
  backward(g, { inputs: [x], attrs }) {
    const out = sumBackward(g, x, attrs);
    const count = reducedCount(x, attrs);
    for (let i = 0; i < out.length; i++) out[i] /= count;
    return [out];
  },
};

interface NormAttrs {
  p: 1 | 2;
}

/** The vector norm of the flattened tensor (`W.norm(p)`), never a matrix norm. */
const normOp: OpDef<NormAttrs> = {
  name: 'norm',
  savesTensors: true,
  forward([x], { p }) {
    const xs = x.data;
    let s = 0;
    if (p === 1) for (let i = 0; i < xs.length; i++) s += Math.abs(xs[i]);
    else {
      for (let i = 0; i < xs.length; i++) s += xs[i] * xs[i];
      s = Math.sqrt(s);
    }
    return { data: scalarOf(s), shape: [] };
  },
  // p = 1: g·sign(x), 0 at zeros. p = 2: x·(g/‖x‖), and 0 at the zero tensor (PyTorch's
  // masked_fill where the norm is 0): the minimum-norm subgradient.
  backward(g, { inputs: [x], output, attrs: { p } }) {
    const xs = x.data;
    const out = allocate(xs.length);
    if (p === 1) {
      for (let i = 0; i < xs.length; i++) out[i] = g[0] * sgn(xs[i]);
      return [out];
    }
    const norm = output.data[0];
    if (norm === 0) return [out];
    const scale = g[0] / norm;
    for (let i = 0; i < xs.length; i++) out[i] = xs[i] * scale;
    return [out];
  },
};

interface ReshapeAttrs {
  shape: number[];
}

const reshapeOp: OpDef<ReshapeAttrs> = {
  name: 'reshape',
  savesTensors: false,
  forward: ([x], { shape }) => ({ data: copyOf(x.data), shape }),
  backward: (g) => [g],
};

const transposeOp: OpDef<undefined> = {
  name: 'transpose',
  savesTensors: false,
  forward([x]) {
    if (x.ndim !== 2) throw new RangeError(`transpose: needs a 2-D tensor, got shape ${formatShape(x.shape)}`);
    const [r, c] = x.shape;
    return { data: transpose2d(x.data, r, c), shape: [c, r] };
  },
  backward: (g, { inputs: [x] }) => [transpose2d(g, x.shape[1], x.shape[0])],
};

function transpose2d(src: Float64Array, rows: number, cols: number): Float64Array {
  const out = allocate(src.length);
  transposeInto(src, out, rows, cols);
  return out;
}

/** Every op, by name: the table a backend author implements against. */
export const OPS = {
  ...unaryOps,
  pow: powOp,
  ...binaryOps,
  matmul: matmulOp,
  sum: sumOp,
  mean: meanOp,
  norm: normOp,
  reshape: reshapeOp,
  transpose: transposeOp,
} as const;

export type OpName = keyof typeof OPS;

// ---------------------------------------------------------------- the functional API

export const neg = (x: Tensor): Tensor => apply(OPS.neg, [asTensor(x)], undefined);
export const exp = (x: Tensor): Tensor => apply(OPS.exp, [asTensor(x)], undefined);
export const log = (x: Tensor): Tensor => apply(OPS.log, [asTensor(x)], undefined);
export const sqrt = (x: Tensor): Tensor => apply(OPS.sqrt, [asTensor(x)], undefined);
export const abs = (x: Tensor): Tensor => apply(OPS.abs, [asTensor(x)], undefined);
export const sign = (x: Tensor): Tensor => apply(OPS.sign, [asTensor(x)], undefined);
export const relu = (x: Tensor): Tensor => apply(OPS.relu, [asTensor(x)], undefined);
export const tanh = (x: Tensor): Tensor => apply(OPS.tanh, [asTensor(x)], undefined);
export const square = (x: Tensor): Tensor => apply(OPS.square, [asTensor(x)], undefined);

export function pow(x: Tensor, exponent: number): Tensor {
  if (typeof exponent !== 'number') throw new TypeError(`pow: the exponent must be a number, got ${describe(exponent)}`);
  return apply(OPS.pow, [asTensor(x)], { exponent });
}

export const add = (a: TensorLike, b: TensorLike): Tensor => apply(OPS.add, [asTensor(a), asTensor(b)], undefined);
export const sub = (a: TensorLike, b: TensorLike): Tensor => apply(OPS.sub, [asTensor(a), asTensor(b)], undefined);
export const mul = (a: TensorLike, b: TensorLike): Tensor => apply(OPS.mul, [asTensor(a), asTensor(b)], undefined);
export const div = (a: TensorLike, b: TensorLike): Tensor => apply(OPS.div, [asTensor(a), asTensor(b)], undefined);
export const matmul = (a: Tensor, b: Tensor): Tensor => apply(OPS.matmul, [asTensor(a), asTensor(b)], undefined);

export function sum(x: Tensor, axis: number | null = null, keepDim = false): Tensor {
  const t = asTensor(x);
  return apply(OPS.sum, [t], { axis: axis === null ? null : normalizeAxis(axis, t.ndim, 'sum'), keepDim });
}

export function mean(x: Tensor, axis: number | null = null, keepDim = false): Tensor {
  const t = asTensor(x);
  if (t.size === 0) throw new RangeError('mean: the tensor is empty');
  return apply(OPS.mean, [t], { axis: axis === null ? null : normalizeAxis(axis, t.ndim, 'mean'), keepDim });
}

export function norm(x: Tensor, p: 1 | 2 = 2): Tensor {
  if (p !== 1 && p !== 2) throw new RangeError(`norm: p must be 1 or 2, got ${String(p)}`);
  return apply(OPS.norm, [asTensor(x)], { p });
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const t = asTensor(x);
  const inferred = shape.indexOf(-1);
  const known = shape.reduce((acc, d, i) => (i === inferred ? acc : acc * d), 1);
  // A −1 next to a 0 or to another negative dimension becomes NaN, ±Infinity or a negative: rejected below.
  const target = shape.map((d, i) => (i === inferred ? t.size / known : d));
  if (!target.every((d) => Number.isInteger(d) && d >= 0) || sizeOf(target) !== t.size) {
    throw new RangeError(`reshape: cannot view shape ${formatShape(t.shape)} (${t.size} elements) as ${formatShape(shape)}`);
  }
  return apply(OPS.reshape, [t], { shape: target });
}

export const transpose = (x: Tensor): Tensor => apply(OPS.transpose, [asTensor(x)], undefined);
