/**
 * The op table: every differentiable op with its forward and backward rule side by side.
 * Backward rules follow PyTorch's derivative formulas, including their choices at
 * non-differentiable points (abs'(0) = 0, relu'(0) = 0, norm's gradient 0 at the zero tensor).
 * A backward rule returns, per input, a fresh array or the incoming gradient itself, never an
 * array that something else still owns.
 */
import { fma } from '../arith/fma.ts';
import { broadcastIndex, broadcastShapes, formatShape, reduceToShape, sameShape, sizeOf, type Shape } from './shape.ts';
import { apply, Tensor, type OpDef } from './tensor.ts';

export type TensorLike = Tensor | number;

function asTensor(x: TensorLike): Tensor {
  if (typeof x === 'number') return new Tensor(new Float64Array([x]), []);
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

interface UnaryRule<A> {
  name: string;
  savesTensors: boolean;
  f(x: number, attrs: A): number;
  /** d(output)/d(input) times the upstream gradient g, given input x and output y. */
  d(g: number, x: number, y: number, attrs: A): number;
}

function unaryOp<A>(rule: UnaryRule<A>): OpDef<A> {
  return {
    name: rule.name,
    savesTensors: rule.savesTensors,
    forward([x], attrs) {
      const out = new Float64Array(x.size);
      const xs = x.data;
      for (let i = 0; i < out.length; i++) out[i] = rule.f(xs[i], attrs);
      return { data: out, shape: x.shape };
    },
    backward(g, { inputs: [x], output, attrs }) {
      const out = new Float64Array(g.length);
      const xs = x.data;
      const ys = output.data;
      for (let i = 0; i < out.length; i++) out[i] = rule.d(g[i], xs[i], ys[i], attrs);
      return [out];
    },
  };
}

const unaryRules = {
  neg: { name: 'neg', savesTensors: false, f: (x: number) => -x, d: (g: number) => -g },
  exp: { name: 'exp', savesTensors: true, f: Math.exp, d: (g: number, _x: number, y: number) => g * y },
  log: { name: 'log', savesTensors: true, f: Math.log, d: (g: number, x: number) => g / x },
  // At 0 this is g/0: ±Infinity, or NaN when g = 0, as in PyTorch.
  sqrt: { name: 'sqrt', savesTensors: true, f: Math.sqrt, d: (g: number, _x: number, y: number) => g / (2 * y) },
  abs: { name: 'abs', savesTensors: true, f: Math.abs, d: (g: number, x: number) => g * sgn(x) },
  sign: { name: 'sign', savesTensors: false, f: sgn, d: () => 0 },
  // relu keeps −0 and NaN as PyTorch does; relu'(0) = 0: the gradient passes only where the output is positive.
  relu: { name: 'relu', savesTensors: true, f: (x: number) => (x < 0 ? 0 : x), d: (g: number, _x: number, y: number) => (y <= 0 ? 0 : g) },
  // PyTorch's tanh_backward computes 1 − y² with one fused multiply-add.
  tanh: { name: 'tanh', savesTensors: true, f: Math.tanh, d: (g: number, _x: number, y: number) => g * fma(-y, y, 1) },
  square: { name: 'square', savesTensors: true, f: (x: number) => x * x, d: (g: number, x: number) => g * (2 * x) },
} satisfies Record<string, UnaryRule<undefined>>;

type UnaryName = keyof typeof unaryRules;

const unaryOps = Object.fromEntries(
  Object.entries(unaryRules).map(([k, rule]) => [k, unaryOp<undefined>(rule)]),
) as Record<UnaryName, OpDef<undefined>>;

interface PowAttrs {
  exponent: number;
}

// PyTorch's pow_backward: zero for exponent 0, else g · (p · x^(p−1)).
const powOp = unaryOp<PowAttrs>({
  name: 'pow',
  savesTensors: true,
  f: (x, { exponent }) => Math.pow(x, exponent),
  d: (g, x, _y, { exponent }) => (exponent === 0 ? 0 : g * (exponent * Math.pow(x, exponent - 1))),
});

// ---------------------------------------------------------------- elementwise binary, broadcasting

interface BinaryRule {
  name: string;
  savesTensors: boolean;
  f(a: number, b: number): number;
  da(g: number, a: number, b: number): number;
  db(g: number, a: number, b: number): number;
}

function binaryOp(rule: BinaryRule): OpDef<undefined> {
  return {
    name: rule.name,
    savesTensors: rule.savesTensors,
    forward([a, b]) {
      const shape = sameShape(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape, rule.name);
      const n = sizeOf(shape);
      const out = new Float64Array(n);
      const as = a.data;
      const bs = b.data;
      if (as.length === n && bs.length === n) {
        for (let i = 0; i < n; i++) out[i] = rule.f(as[i], bs[i]);
      } else if (bs.length === 1 && as.length === n) {
        const bv = bs[0];
        for (let i = 0; i < n; i++) out[i] = rule.f(as[i], bv);
      } else if (as.length === 1 && bs.length === n) {
        const av = as[0];
        for (let i = 0; i < n; i++) out[i] = rule.f(av, bs[i]);
      } else {
        const ia = broadcastIndex(a.shape, shape);
        const ib = broadcastIndex(b.shape, shape);
        for (let i = 0; i < n; i++) out[i] = rule.f(as[ia[i]], bs[ib[i]]);
      }
      return { data: out, shape };
    },
    backward(g, { inputs: [a, b], output, needsGrad }) {
      const shape = output.shape;
      const n = g.length;
      const ia = a.size === n ? null : broadcastIndex(a.shape, shape);
      const ib = b.size === n ? null : broadcastIndex(b.shape, shape);
      const grad = (which: 'a' | 'b', input: Tensor): Float64Array => {
        const rate = which === 'a' ? rule.da : rule.db;
        const full = new Float64Array(n);
        const as = a.data;
        const bs = b.data;
        for (let i = 0; i < n; i++) full[i] = rate(g[i], as[ia ? ia[i] : i], bs[ib ? ib[i] : i]);
        return reduceToShape(full, shape, input.shape);
      };
      return [needsGrad[0] ? grad('a', a) : null, needsGrad[1] ? grad('b', b) : null];
    },
  };
}

const binaryOps = {
  add: binaryOp({ name: 'add', savesTensors: false, f: (a, b) => a + b, da: (g) => g, db: (g) => g }),
  sub: binaryOp({ name: 'sub', savesTensors: false, f: (a, b) => a - b, da: (g) => g, db: (g) => -g }),
  mul: binaryOp({ name: 'mul', savesTensors: true, f: (a, b) => a * b, da: (g, _a, b) => g * b, db: (g, a) => g * a }),
  // PyTorch's form for the divisor, −g·((a/b)/b): b·b would overflow past 1.3e154 and underflow for tiny b.
  div: binaryOp({ name: 'div', savesTensors: true, f: (a, b) => a / b, da: (g, _a, b) => g / b, db: (g, a, b) => -g * (a / b / b) }),
};

// ---------------------------------------------------------------- matmul

// The kernels below work on four output rows at a time so that each loaded value is used four
// times (about 3× faster than one row in V8). Every output element is still summed in the plain
// sequential order over the inner dimension, so results do not depend on the blocking.

/** out[m×n] += a[m×k] · b[k×n], row-major. */
function gemm(a: Float64Array, b: Float64Array, out: Float64Array, m: number, k: number, n: number): void {
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const o0 = i * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    for (let p = 0; p < k; p++) {
      const a0 = a[i * k + p];
      const a1 = a[(i + 1) * k + p];
      const a2 = a[(i + 2) * k + p];
      const a3 = a[(i + 3) * k + p];
      const rb = p * n;
      for (let j = 0; j < n; j++) {
        const bv = b[rb + j];
        out[o0 + j] += a0 * bv;
        out[o1 + j] += a1 * bv;
        out[o2 + j] += a2 * bv;
        out[o3 + j] += a3 * bv;
      }
    }
  }
  for (; i < m; i++) {
    const o = i * n;
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p];
      const rb = p * n;
      for (let j = 0; j < n; j++) out[o + j] += av * b[rb + j];
    }
  }
}

/** out[m×k] = g[m×n] · bᵀ where b is [k×n]: dot products of contiguous rows. */
function gemmTransposedRight(g: Float64Array, b: Float64Array, out: Float64Array, m: number, n: number, k: number): void {
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const g0 = i * n;
    const g1 = g0 + n;
    const g2 = g1 + n;
    const g3 = g2 + n;
    for (let p = 0; p < k; p++) {
      const rb = p * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < n; j++) {
        const bv = b[rb + j];
        s0 += g[g0 + j] * bv;
        s1 += g[g1 + j] * bv;
        s2 += g[g2 + j] * bv;
        s3 += g[g3 + j] * bv;
      }
      out[i * k + p] = s0;
      out[(i + 1) * k + p] = s1;
      out[(i + 2) * k + p] = s2;
      out[(i + 3) * k + p] = s3;
    }
  }
  for (; i < m; i++) {
    for (let p = 0; p < k; p++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += g[i * n + j] * b[p * n + j];
      out[i * k + p] = s;
    }
  }
}

/** out[k×n] += aᵀ · g where a is [m×k] and g is [m×n]. */
function gemmTransposedLeft(a: Float64Array, g: Float64Array, out: Float64Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const rg = i * n;
    let p = 0;
    for (; p + 3 < k; p += 4) {
      const a0 = a[i * k + p];
      const a1 = a[i * k + p + 1];
      const a2 = a[i * k + p + 2];
      const a3 = a[i * k + p + 3];
      const o0 = p * n;
      const o1 = o0 + n;
      const o2 = o1 + n;
      const o3 = o2 + n;
      for (let j = 0; j < n; j++) {
        const gv = g[rg + j];
        out[o0 + j] += a0 * gv;
        out[o1 + j] += a1 * gv;
        out[o2 + j] += a2 * gv;
        out[o3 + j] += a3 * gv;
      }
    }
    for (; p < k; p++) {
      const av = a[i * k + p];
      const o = p * n;
      for (let j = 0; j < n; j++) out[o + j] += av * g[rg + j];
    }
  }
}

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
    const out = new Float64Array(m * n);
    gemm(a.data, b.data, out, m, k, n);
    return { data: out, shape: [m, n] };
  },
  backward(g, { inputs: [a, b], needsGrad }) {
    const [m, k] = a.shape;
    const n = b.shape[1];
    let ga: Float64Array | null = null;
    let gb: Float64Array | null = null;
    if (needsGrad[0]) {
      ga = new Float64Array(m * k);
      gemmTransposedRight(g, b.data, ga, m, n, k);
    }
    if (needsGrad[1]) {
      gb = new Float64Array(k * n);
      gemmTransposedLeft(a.data, g, gb, m, k, n);
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
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

function sumForward(x: Tensor, attrs: ReduceAttrs): Float64Array {
  const xs = x.data;
  if (attrs.axis === null) {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[i];
    return new Float64Array([s]);
  }
  const [outer, len, inner] = blocks(x.shape, attrs.axis);
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < len; l++) {
      const base = (o * len + l) * inner;
      for (let i = 0; i < inner; i++) out[o * inner + i] += xs[base + i];
    }
  }
  return out;
}

/** Spreads a reduced gradient back over the reduced axis, times `scale`. */
function sumBackward(g: Float64Array, x: Tensor, attrs: ReduceAttrs, scale: number): Float64Array {
  const out = new Float64Array(x.size);
  if (attrs.axis === null) {
    out.fill(g[0] * scale);
    return out;
  }
  const [outer, len, inner] = blocks(x.shape, attrs.axis);
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < len; l++) {
      const base = (o * len + l) * inner;
      for (let i = 0; i < inner; i++) out[base + i] = g[o * inner + i] * scale;
    }
  }
  return out;
}

const sumOp: OpDef<ReduceAttrs> = {
  name: 'sum',
  savesTensors: false,
  forward: ([x], attrs) => ({ data: sumForward(x, attrs), shape: reducedShape(x.shape, attrs) }),
  backward: (g, { inputs: [x], attrs }) => [sumBackward(g, x, attrs, 1)],
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
    const out = sumBackward(g, x, attrs, 1);
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
    return { data: new Float64Array([s]), shape: [] };
  },
  // p = 1: g·sign(x), 0 at zeros. p = 2: x·(g/‖x‖), and 0 at the zero tensor (PyTorch's
  // masked_fill where the norm is 0): the minimum-norm subgradient.
  backward(g, { inputs: [x], output, attrs: { p } }) {
    const xs = x.data;
    const out = new Float64Array(xs.length);
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
  forward: ([x], { shape }) => ({ data: x.data.slice(), shape }),
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
  const out = new Float64Array(src.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = src[i * cols + j];
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
  const target = inferred >= 0 && known > 0 ? shape.map((d, i) => (i === inferred ? t.size / known : d)) : [...shape];
  if (!target.every((d) => Number.isInteger(d) && d >= 0) || sizeOf(target) !== t.size) {
    throw new RangeError(`reshape: cannot view shape ${formatShape(t.shape)} (${t.size} elements) as ${formatShape(shape)}`);
  }
  return apply(OPS.reshape, [t], { shape: target });
}

export const transpose = (x: Tensor): Tensor => apply(OPS.transpose, [asTensor(x)], undefined);
