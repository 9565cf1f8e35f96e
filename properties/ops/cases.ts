/**
 * Generated single-op cases: for each op, inputs that cover broadcasting shapes, every reduction
 * axis with and without keepDim, the op's parameters over their range (pow's exponent, norm's p)
 * and its special points (±0, kinks, poles, tiny and huge magnitudes), in the backend's dtype.
 */
import fc from 'fast-check';
import type { Dtype } from '../../src/backends/backend.ts';
import { OPS, type OpName } from '../../src/engine/index.ts';
import { doubleInRange } from '../../src/cases/double.ts';
import { inferExprShape } from '../../src/cases/schema.ts';
import { CASE_VERSION, type ExprCase, type ExprNode, type TensorValue } from '../../src/cases/types.ts';

type Attrs = Record<string, number | boolean | number[] | null>;

/** One op applied to named inputs, with the upstream gradient for its output. */
export interface OpCase {
  op: OpName;
  inputs: Record<string, TensorValue>;
  attrs: Attrs;
  seed: number[];
}

export const UNARY: readonly OpName[] = ['neg', 'exp', 'log', 'sqrt', 'abs', 'sign', 'relu', 'tanh', 'square'];
export const BINARY: readonly OpName[] = ['add', 'sub', 'mul', 'div'];

/** Whether each output element depends on the same element of the single input only. */
export const isElementwiseUnary = (op: OpName): boolean => UNARY.includes(op) || op === 'pow';

/**
 * Values are exact zeros or at least `tiny` in magnitude: inputs near the subnormal range make a
 * float32 backend's intermediates (b·b in div's rule, Σx² in norm) underflow where the float64
 * reference's do not, a property of the dtype that these claims state as their precondition.
 * Tiny and huge magnitudes per dtype: far from 1, yet with squares, cubes and inverse fourth
 * powers inside the range, so that an op's own overflow shows while no intermediate of a
 * derivative formula overflows in one dtype and not in the other (a float32 phenomenon the
 * claims do not judge).
 */
const MAGNITUDE: Record<Dtype, { tiny: number; huge: number; overflowExp: number[] }> = {
  float64: { tiny: 2 ** -300, huge: 2 ** 300, overflowExp: [700, 709.5, 720, -745, -760] },
  float32: { tiny: 2 ** -40, huge: 2 ** 40, overflowExp: [88, 89, 100, -103, -110] },
};

/** Points where an op has a kink, a pole or saturates, besides ±0. */
const SPECIAL: Partial<Record<OpName, number[]>> = {
  tanh: [20, -20, 40, -40],
  log: [1, -1],
  sqrt: [1, -1],
  relu: [1e-3, -1e-3],
};

export function numberArb(dtype: Dtype, op: OpName): fc.Arbitrary<number> {
  const { tiny, huge, overflowExp } = MAGNITUDE[dtype];
  const num = (min: number, max: number) =>
    dtype === 'float64' ? doubleInRange(min, max) : fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true });
  const signed = (a: fc.Arbitrary<number>) => fc.tuple(a, fc.boolean()).map(([m, neg]) => (neg ? -m : m));
  const specials = [1, -1, 0.5, 2, ...(op === 'exp' ? overflowExp : []), ...(SPECIAL[op] ?? [])].map(Math.fround);
  // The readable points come first: a failing case shrinks toward them (withCrossShrink).
  return fc.oneof(
    { withCrossShrink: true },
    { weight: 1, arbitrary: fc.constantFrom(...specials) },
    { weight: 2, arbitrary: fc.constantFrom(0, -0) },
    { weight: 8, arbitrary: signed(num(tiny, 2)) },
    { weight: 1, arbitrary: signed(num(tiny, 4 * tiny)) },
    { weight: 1, arbitrary: signed(num(huge / 4, huge)) },
  );
}

/** A seed that is never 0, so that 0·∞ (NaN in one order of operations, 0 in another) does not arise. */
function seedArb(dtype: Dtype): fc.Arbitrary<number> {
  const m = dtype === 'float64' ? doubleInRange(0.25, 2) : fc.float({ min: 0.25, max: 2, noNaN: true });
  return fc.tuple(m, fc.boolean()).map(([v, neg]) => (neg ? -v : v));
}

const dims = (rank: number) => fc.array(fc.integer({ min: 1, max: 3 }), { minLength: rank, maxLength: rank });
const shapeArb = (minRank: number, maxRank: number) => fc.integer({ min: minRank, max: maxRank }).chain(dims);

/** Pairs of shapes that broadcast: equal, a trailing vector, a column, a row against a column, a scalar. */
const broadcastPairArb: fc.Arbitrary<[number[], number[]]> = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).chain(([r, c]) =>
  fc.constantFrom<[number[], number[]]>(
    [[r, c], [r, c]],
    [[r, c], [c]],
    [[c], [r, c]],
    [[r, c], [r, 1]],
    [[r, 1], [1, c]],
    [[], [r, c]],
    [[r, c], []],
    [[2, r, c], [r, 1]],
  ),
);

/** pow's exponent: the integers and halves where its rule changes, negatives, and values between. */
function exponentArb(dtype: Dtype): fc.Arbitrary<number> {
  const between = fc.integer({ min: -12, max: 12 }).map((k) => k / 4);
  return fc.oneof(fc.constantFrom(0, 0.5, 1, 2, 3, -1, -2, -0.5, 1.5, -3), between).map((p) => (dtype === 'float32' ? Math.fround(p) : p));
}

function reshapeTargetArb(shape: number[]): fc.Arbitrary<number[]> {
  const size = shape.reduce((a, b) => a * b, 1);
  return fc.constantFrom([size], [-1], [1, size], [size, -1], [...shape].reverse(), [...shape, 1]);
}

function attrsArb(op: OpName, dtype: Dtype, shapes: number[][]): fc.Arbitrary<Attrs> {
  const rank = shapes[0].length;
  switch (op) {
    case 'pow':
      return exponentArb(dtype).map((exponent) => ({ exponent }));
    case 'sum':
    case 'mean':
      return fc.record({ axis: fc.oneof(fc.constant(null), fc.integer({ min: -rank, max: rank - 1 })), keepDim: fc.boolean() });
    case 'norm':
      return fc.constantFrom(1, 2).map((p) => ({ p }));
    case 'reshape':
      return reshapeTargetArb(shapes[0]).map((shape) => ({ shape }));
    default:
      return fc.constant({});
  }
}

function shapesArb(op: OpName): fc.Arbitrary<number[][]> {
  if (BINARY.includes(op)) return broadcastPairArb;
  if (op === 'matmul') return fc.tuple(dims(3)).map(([[m, k, n]]) => [[m, k], [k, n]]);
  if (op === 'transpose') return dims(2).map((s) => [s]);
  if (op === 'sum' || op === 'mean') return shapeArb(1, 3).map((s) => [s]);
  return shapeArb(0, 3).map((s) => [s]);
}

export const inputNames = (op: OpName): string[] => (BINARY.includes(op) || op === 'matmul' ? ['a', 'b'] : ['x']);

/** The graph of a single-op case: the op over its inputs. */
export function opGraph(c: Pick<OpCase, 'op' | 'attrs'>): ExprNode {
  const args = inputNames(c.op).map((name): ExprNode => ({ op: 'input', name }));
  // Two literals rather than a spread of an optional part: each gives its node one hidden class.
  return (Object.keys(c.attrs).length > 0 ? { op: c.op, args, attrs: c.attrs } : { op: c.op, args }) as ExprNode;
}

export function outputShapeOf(c: Pick<OpCase, 'op' | 'attrs' | 'inputs'>): number[] {
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, { ...v, requiresGrad: true }]));
  const out = inferExprShape(opGraph(c), inputs, [], (path, message) => {
    throw new RangeError(`ops case for '${c.op}': ${message}`);
  });
  return out!.shape;
}

/** One arbitrary per key, built on first use: the same draws as building it afresh, without the cost. */
export function memo<K, V>(make: (key: K) => V): (key: K) => V {
  const made = new Map<K, V>();
  return (key) => {
    if (!made.has(key)) made.set(key, make(key));
    return made.get(key)!;
  };
}

/**
 * A case for one op. `values` draws the input values (special points by default, or the
 * moderate grid the finite-difference claim needs). The arbitraries the chains pick per case
 * (arrays of a length, attributes of a rank) are built once per length or rank rather than once
 * per case: an arbitrary keeps no state between draws, so the cases are the same. Those whose
 * values are shared objects (fc.constant, constantFrom of arrays) are still built per case, so
 * that no two cases share an object a backend could change. The output's size, which sizes the
 * seed, depends on the shapes and attributes only: it is inferred once per distinct pair.
 */
export function opCaseArb(op: OpName, dtype: Dtype, values: fc.Arbitrary<number> = numberArb(dtype, op)): fc.Arbitrary<OpCase> {
  const arrayOf = memo((n: number) => fc.array(values, { minLength: n, maxLength: n }));
  const seedsOf = memo((n: number) => fc.array(seedArb(dtype), { minLength: n, maxLength: n }));
  const reductionAttrs = memo((rank: number) => attrsArb(op, dtype, [new Array<number>(rank).fill(1)]));
  const fixedAttrs = op === 'pow' || op === 'norm' ? attrsArb(op, dtype, [[]]) : null;
  const attrsFor = (shapes: number[][]) =>
    fixedAttrs ?? (op === 'sum' || op === 'mean' ? reductionAttrs(shapes[0].length) : attrsArb(op, dtype, shapes));
  const outputSizes = new Map<string, number>();
  const outputSize = (shapes: number[][], attrs: Attrs, inputs: OpCase['inputs']) => {
    const key = JSON.stringify([shapes, attrs]);
    let n = outputSizes.get(key);
    if (n === undefined) {
      n = size(outputShapeOf({ op, attrs, inputs }));
      outputSizes.set(key, n);
    }
    return n;
  };
  return shapesArb(op).chain((shapes) =>
    fc.tuple(attrsFor(shapes), fc.tuple(...shapes.map((s) => arrayOf(size(s))))).chain(([attrs, data]) => {
      const names = inputNames(op);
      const inputs = Object.fromEntries(shapes.map((shape, i) => [names[i], { shape, data: data[i] }]));
      return seedsOf(outputSize(shapes, attrs, inputs)).map((seed): OpCase => ({ op, inputs, attrs, seed }));
    }),
  );
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The expression case for an op case; `withGrad` false asks for the value only. */
export function toExprCase(c: OpCase, withGrad = true): ExprCase {
  const inputs: ExprCase['inputs'] = {};
  for (const name in c.inputs) inputs[name] = { shape: c.inputs[name].shape, data: c.inputs[name].data, requiresGrad: withGrad };
  const graph = opGraph(c);
  return withGrad ? { kind: 'expr', version: CASE_VERSION, inputs, graph, seed: c.seed } : { kind: 'expr', version: CASE_VERSION, inputs, graph };
}

/** The ops a backend declares, in the table's order. */
export const declaredOps = (capabilities: ReadonlySet<string>): OpName[] => (Object.keys(OPS) as OpName[]).filter((op) => capabilities.has(`op:${op}`));

/** A readable description of a case's op, attributes and input shapes for messages. */
export function describeCase(c: OpCase): string {
  const attrs = Object.entries(c.attrs).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  const shapes = Object.entries(c.inputs).map(([k, v]) => `${k}: [${v.shape.join(', ')}]`);
  return `${c.op}(${[...shapes, ...attrs].join(', ')})`;
}
