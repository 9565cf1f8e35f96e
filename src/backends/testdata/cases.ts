/**
 * Cases shared by the backend tests: one op at a time at ordinary points and at its kinks, and
 * small training cases, with the comparisons the tests make.
 */
import { expect } from 'vitest';
import type { ExprCase, ExprNode, OptimizerSpec, PenaltySpec, SGDSpec, TrainCase } from '../../cases/types.ts';
import { referenceBackend } from '../reference.ts';

/** Element-for-element equality, −0 and NaN included; throws naming the first difference. */
export function expectSame(a: unknown, b: unknown, path: string, labels: [string, string] = ['backend', 'reference']): void {
  const differ = (x: unknown, y: unknown) => new Error(`${path}: ${labels[0]} ${String(x)} versus ${labels[1]} ${String(y)}`);
  if (typeof a === 'number' || typeof b === 'number') {
    if (!Object.is(a, b)) throw differ(a, b);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) throw new Error(`${path}: ${a.length} versus ${b.length} entries`);
    a.forEach((v, i) => expectSame(v, b[i], `${path}[${i}]`, labels));
  } else if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(a).sort(), path).toEqual(Object.keys(b).sort());
    for (const k of Object.keys(a)) expectSame((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, labels);
  } else if (a !== b) throw differ(a, b);
}

/**
 * The elements where a backend's numbers and the reference's part: beyond `tolerance`·max(1, |r|)
 * for finite values, any difference for non-finite ones, and a different sign for zeros.
 */
export function differences(a: readonly number[] | null, b: readonly number[] | null, tolerance: number, what: string): string[] {
  if (a === null || b === null) return a === b ? [] : [`${what}: ${JSON.stringify(a)} versus ${JSON.stringify(b)}`];
  if (a.length !== b.length) return [`${what}: ${a.length} versus ${b.length} values`];
  return a.flatMap((v, i) => {
    const r = b[i];
    const close = Number.isFinite(v) && Number.isFinite(r) ? Math.abs(v - r) <= tolerance * Math.max(1, Math.abs(r)) && (r !== 0 || Object.is(v, r) || v !== 0) : Object.is(v, r);
    return close ? [] : [`${what}[${i}]: ${Object.is(v, -0) ? '-0' : v} versus ${Object.is(r, -0) ? '-0' : r}`];
  });
}

const x: ExprNode = { op: 'input', name: 'x' };
const y: ExprNode = { op: 'input', name: 'y' };
const m: ExprNode = { op: 'input', name: 'm' };

/** x has zeros of both signs (the kinks) and a negative value (log, sqrt and pow's domain edges); all are float32 values. */
export const OP_INPUTS: ExprCase['inputs'] = {
  x: { shape: [2, 3], data: [0, -0, 1.5, -2, 0.25, 3], requiresGrad: true },
  y: { shape: [3], data: [1, -1, 0.5], requiresGrad: true },
  m: { shape: [3, 2], data: [1, 2, -3, 0.5, 0, -1], requiresGrad: true },
};

const unary = (op: string): ExprNode => ({ op, args: [x] }) as ExprNode;
const zeros: ExprNode = { op: 'mul', args: [x, { op: 'const', value: 0 }] };

/** Every op of the table, at ordinary points and at its kinks. */
export const OP_CASES: [string, ExprNode][] = [
  ...(['neg', 'exp', 'log', 'sqrt', 'abs', 'sign', 'relu', 'tanh', 'square', 'transpose'] as const).map((op): [string, ExprNode] => [op, unary(op)]),
  ...(['add', 'sub', 'mul', 'div'] as const).map((op): [string, ExprNode] => [`${op} (broadcast)`, { op, args: [x, y] }]),
  ['matmul', { op: 'matmul', args: [x, m] }],
  ...[0, 2, 2.5, -1, 3].map((exponent): [string, ExprNode] => [`pow ${exponent}`, { op: 'pow', args: [x], attrs: { exponent } }]),
  ['sum', { op: 'sum', args: [x] }],
  ['sum axis −1, keepDim', { op: 'sum', args: [x], attrs: { axis: -1, keepDim: true } }],
  ['sum all, keepDim', { op: 'sum', args: [x], attrs: { axis: null, keepDim: true } }],
  ['mean', { op: 'mean', args: [x] }],
  ['mean axis 0', { op: 'mean', args: [x], attrs: { axis: 0 } }],
  ['norm 2', { op: 'norm', args: [x], attrs: { p: 2 } }],
  ['norm 1', { op: 'norm', args: [x], attrs: { p: 1 } }],
  ['norm 2 of the zero tensor', { op: 'norm', args: [zeros], attrs: { p: 2 } }],
  ['sqrt(sum(square)) of the zero tensor', { op: 'sqrt', args: [{ op: 'sum', args: [{ op: 'square', args: [zeros] }] }] }],
  ['reshape', { op: 'reshape', args: [x], attrs: { shape: [3, -1] } }],
];

const reference = referenceBackend();
const withoutGrad = Object.fromEntries(Object.entries(OP_INPUTS).map(([name, t]) => [name, { ...t, requiresGrad: false }]));

/** The op's case, its output seeded with 1, −0.5, 3, −1.5, ... so that each element's gradient differs. */
export async function opCase(graph: ExprNode, backward?: ExprCase['backward']): Promise<ExprCase> {
  const size = (await reference.runExpr({ kind: 'expr', version: 1, inputs: withoutGrad, graph })).value.data.length;
  const seed = Array.from({ length: size }, (_, i) => (i % 2 === 0 ? i + 1 : -0.5 * i));
  return { kind: 'expr', version: 1, inputs: OP_INPUTS, graph, seed, ...(backward === undefined ? {} : { backward }) };
}

/**
 * A training case in which every number is a dyadic rational with few significant bits, so every
 * operation of the forward pass, the backward pass and the update is exact: any backend that
 * implements the op table computes the same numbers whatever its summation order or fusing. The
 * bit budget: x and y are integers, the weights multiples of 1/2 and the biases of 1/4, the mean
 * divides by N·D = 8, and lr, momentum, dampening, λ and weight decay are dyadic with at most 3
 * bits; step 1 needs at most 10 fractional bits (exact in float32 too), step 2's squared errors
 * about 43, under float64's 53 (a third step would need more). Every parameter tensor's norm is 1
 * or 1.25, so the norm recipes are exact up to w/‖w‖, which a float64 backend rounds once, the
 * same way; their cases run one step, since step 2 would start from those rounded weights.
 */
export const DYADIC_CASE: TrainCase = {
  kind: 'train',
  version: 1,
  model: { inputSize: 3, layers: [{ outFeatures: 4, activation: 'relu' }, { outFeatures: 2, activation: 'identity' }] },
  init: {
    '0.weight': [0.5, -0.5, 0, 0.5, 0, 0, 0, 0, -0.5, 0, 0, 0],
    '0.bias': [0.75, 1, 0, 0],
    '2.weight': [0.5, 0.5, 0, 0, 0.5, 0, 0, -0.5],
    '2.bias': [0.75, -1],
  },
  data: { x: [[1, 1, -1], [0, 1, 2], [-1, 2, 1], [2, -1, 0]], y: [[1, 0], [1, -1], [0, 0], [-2, 2]] },
  loss: { kind: 'mse', reduction: 'mean' },
  penalty: null,
  optimizer: { kind: 'sgd', lr: 0.125, momentum: 0, dampening: 0, nesterov: false, maximize: false, weightDecay: 0 },
  steps: 2,
  zeroGrad: true,
};

export const sgd = (options: Partial<SGDSpec>): OptimizerSpec => ({ ...(DYADIC_CASE.optimizer as SGDSpec), ...options });

export const penalty = (recipe: string, extra: Partial<PenaltySpec> = {}): PenaltySpec => ({
  recipe,
  lambda: 0.25,
  select: 'all',
  sign: 'add',
  ...(recipe === 'norm-uninit-leaf' ? { start: 0.5 } : {}),
  ...extra,
});

/** Recipes whose gradients stay dyadic, so that their cases can run the second step exactly. */
export const EXACT_RECIPES = new Set(['half-pow-sum', 'pow-sum', 'l1']);

/**
 * sum(neg(neg(…neg(x)))) with `depth` negations, x = [1, 2]: its value is 3 and each gradient 1,
 * times −1 when depth is odd. Deep enough (100,000) to overflow any recursive walk.
 */
export function negationChain(depth: number): ExprCase {
  let graph: ExprNode = { op: 'input', name: 'x' };
  for (let i = 0; i < depth; i++) graph = { op: 'neg', args: [graph] };
  return { kind: 'expr', version: 1, inputs: { x: { shape: [2], data: [1, 2], requiresGrad: true } }, graph: { op: 'sum', args: [graph] } };
}
