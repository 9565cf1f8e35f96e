import { PLAIN, arithmetic, type Arith, type ArithMode } from '../arith/index.ts';
import * as ops from '../engine/index.ts';
import { GraphReleasedError, Random, Tensor, fromData, type OpName } from '../engine/index.ts';
import { Linear, Module, ReLU, Sequential, Tanh, mseLoss } from '../nn/index.ts';
import { Adagrad, Adam, AdamW, RMSprop, SGD, SGDW, type Optimizer, type ParamGroup, type SGDOptions } from '../optim/index.ts';
import { PENALTIES, type PenaltyFn } from '../regularize/recipes.ts';
import { selectParams } from '../regularize/penalties.ts';
import type { ExprCase, ExprNode, ExprResult, ModelSpec, OptimizerSpec, TrainCase, TrainResult } from '../cases/types.ts';
import type { Backend, Capability } from './backend.ts';
import { ARITH_PYTORCH, ARITH_REFERENCE, everyCapability, type OpNode } from './capabilities.ts';

type NamedParams = [string, Tensor][];

export type OptimizerFactory = (groups: ParamGroup<SGDOptions>[], spec: OptimizerSpec, arith?: Arith) => Optimizer<object>;

/** Parts of the reference backend that a test may replace, to build a deliberately broken variant. */
export interface ReferenceOverrides {
  name?: string;
  makeOptimizer?: OptimizerFactory;
  penalties?: Record<string, PenaltyFn>;
  /** The optimizers' arithmetic (src/arith): 'plain' by default; 'pytorch' fuses as PyTorch 1.13's CPU kernels do. */
  arith?: ArithMode;
  /** Replaces an activation's function in models (a variant with another subgradient at a kink, say). */
  activations?: Partial<Record<'relu' | 'tanh', (x: Tensor) => Tensor>>;
}

/** An activation given as a function, in the slot (and so under the name index) of the module it replaces. */
class FunctionModule extends Module {
  constructor(private readonly fn: (x: Tensor) => Tensor) {
    super();
  }

  forward(x: Tensor): Tensor {
    return this.fn(x);
  }
}

/**
 * The model a spec describes, its parameters drawn as PyTorch initialises them from Random(0), or
 * left at zero when `draw` is false because the caller loads the case's values (runTraining).
 */
export function buildModel(spec: ModelSpec, activations: ReferenceOverrides['activations'] = {}, draw = true): Sequential {
  const modules: Module[] = [];
  let width = spec.inputSize;
  const rng = draw ? new Random(0) : null;
  for (const layer of spec.layers) {
    modules.push(new Linear(width, layer.outFeatures, { rng }));
    const replaced = layer.activation === 'identity' ? undefined : activations[layer.activation];
    if (replaced !== undefined) modules.push(new FunctionModule(replaced));
    else if (layer.activation === 'relu') modules.push(new ReLU());
    else if (layer.activation === 'tanh') modules.push(new Tanh());
    else if (layer.activation !== 'identity') throw new RangeError(`model: unknown activation '${String(layer.activation)}'`);
    width = layer.outFeatures;
  }
  return new Sequential(...modules);
}

/** Copies the case's initial values into the model, checking every name and size. */
export function loadParameters(named: NamedParams, init: Record<string, number[]>): void {
  const expected = new Set(named.map(([name]) => name));
  for (const name of Object.keys(init)) {
    if (!expected.has(name)) throw new RangeError(`init: the model has no parameter '${name}' (it has ${[...expected].join(', ')})`);
  }
  for (const [name, p] of named) {
    const values = init[name];
    if (values === undefined) throw new RangeError(`init: no initial values for parameter '${name}'`);
    if (values.length !== p.size) {
      throw new RangeError(`init.${name}: ${values.length} values for a parameter of shape [${p.shape.join(', ')}] (${p.size} needed)`);
    }
    const data = p.data;
    for (let i = 0; i < data.length; i++) data[i] = values[i];
  }
}

/** The optimizer a case names, over the case's parameter groups (which override weightDecay only). */
export const makeOptimizer: OptimizerFactory = (groups, spec, arith = PLAIN) => {
  switch (spec.kind) {
    case 'sgd': {
      const { kind: _kind, ...options } = spec;
      return new SGD(groups, options, arith);
    }
    case 'sgdw': {
      const { kind: _kind, ...options } = spec;
      return new SGDW(groups, options, arith);
    }
    case 'adam': {
      const { kind: _kind, ...options } = spec;
      return new Adam(groups, options, arith);
    }
    case 'adamw': {
      const { kind: _kind, ...options } = spec;
      return new AdamW(groups, options, arith);
    }
    case 'rmsprop': {
      const { kind: _kind, ...options } = spec;
      return new RMSprop(groups, options, arith);
    }
    case 'adagrad': {
      const { kind: _kind, ...options } = spec;
      return new Adagrad(groups, options, arith);
    }
    default:
      throw new RangeError(`optimizer.kind: unknown optimizer '${String((spec as { kind?: unknown }).kind)}' (known: sgd, sgdw, adam, adamw, rmsprop, adagrad)`);
  }
};

export function parameterGroups(named: NamedParams, c: TrainCase): ParamGroup<SGDOptions>[] {
  if (c.groups === undefined) return [{ params: named.map(([, p]) => p) }];
  const groups = c.groups.map((g) => ({ params: selectParams(named, g.select), weightDecay: g.weightDecay }));
  const covered = new Set(groups.flatMap((g) => g.params));
  const missing = named.filter(([, p]) => !covered.has(p)).map(([name]) => name);
  if (missing.length > 0) throw new RangeError(`groups: parameters ${missing.join(', ')} are in no group`);
  return groups;
}

// A plain loop: Array.from over a typed array goes through the iterator protocol, many times slower.
function toNumbers(values: Float64Array | undefined, size: number): number[] {
  const out: number[] = [];
  if (values === undefined) for (let i = 0; i < size; i++) out.push(0);
  else for (let i = 0; i < size; i++) out.push(values[i]);
  return out;
}

/** Every parameter's values, or with `grads` its gradient's (zeros where it has none), by name. */
function snapshot(named: NamedParams, grads: boolean): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, p] of named) out[name] = toNumbers(grads ? p.grad?.data : p.data, p.size);
  return out;
}

export function runTraining(c: TrainCase, overrides: ReferenceOverrides = {}): TrainResult {
  const model = buildModel(c.model, overrides.activations, false);
  const named = [...model.namedParameters()];
  loadParameters(named, c.init);
  const x = ops.tensor(c.data.x);
  const y = ops.tensor(c.data.y);
  const optimizer = (overrides.makeOptimizer ?? makeOptimizer)(parameterGroups(named, c), c.optimizer, arithmetic(overrides.arith ?? 'plain'));
  const penalties = overrides.penalties ?? PENALTIES;
  const penaltyFn = c.penalty === null ? null : penalties[c.penalty.recipe];
  if (penaltyFn === undefined) throw new RangeError(`penalty.recipe: unknown recipe '${c.penalty!.recipe}' (known: ${Object.keys(penalties).join(', ')})`);
  const result: TrainResult = { losses: [], grads: [], params: [] };
  for (let step = 0; step < c.steps; step++) {
    if (c.zeroGrad) optimizer.zeroGrad();
    let total = mseLoss(model.forward(x), y, c.loss.reduction);
    if (c.penalty !== null && penaltyFn !== null) {
      const penalty = penaltyFn(selectParams(named, c.penalty.select), c.penalty.lambda, { start: c.penalty.start });
      total = c.penalty.sign === 'add' ? ops.add(total, penalty) : ops.sub(total, penalty);
    }
    total.backward();
    result.losses.push(total.item());
    result.grads.push(snapshot(named, true));
    optimizer.step();
    result.params.push(snapshot(named, false));
  }
  return result;
}

// Maps, not objects: an `in` test or a lookup by name on an object keeps one inline cache entry per
// op name and deoptimizes the evaluator each time a new name reaches it.
const UNARY = new Map<string, (x: Tensor) => Tensor>([
  ['neg', ops.neg], ['exp', ops.exp], ['log', ops.log], ['sqrt', ops.sqrt], ['abs', ops.abs], ['sign', ops.sign],
  ['relu', ops.relu], ['tanh', ops.tanh], ['square', ops.square], ['transpose', ops.transpose],
]);
const BINARY = new Map<string, (a: Tensor, b: Tensor) => Tensor>([
  ['add', ops.add], ['sub', ops.sub], ['mul', ops.mul], ['div', ops.div], ['matmul', ops.matmul],
]);

function checkArity(node: OpNode, args: Tensor[], n: number, path: () => string): void {
  if (args.length !== n) throw new RangeError(`${path()}: op '${node.op}' takes ${n} argument(s), got ${args.length}`);
}

/** Applies one op node of an expression case to its evaluated arguments, through the engine's API. */
export function applyExprOp(node: OpNode, args: Tensor[], path: () => string): Tensor {
  const attrs = node.attrs ?? {};
  const unaryFn = UNARY.get(node.op);
  if (unaryFn !== undefined) {
    checkArity(node, args, 1, path);
    return unaryFn(args[0]);
  }
  const binaryFn = BINARY.get(node.op);
  if (binaryFn !== undefined) {
    checkArity(node, args, 2, path);
    return binaryFn(args[0], args[1]);
  }
  checkArity(node, args, 1, path);
  switch (node.op as OpName) {
    case 'pow':
      return ops.pow(args[0], attrs.exponent as number);
    case 'sum':
      return ops.sum(args[0], (attrs.axis as number | null | undefined) ?? null, (attrs.keepDim as boolean | undefined) ?? false);
    case 'mean':
      return ops.mean(args[0], (attrs.axis as number | null | undefined) ?? null, (attrs.keepDim as boolean | undefined) ?? false);
    case 'norm':
      return ops.norm(args[0], attrs.p as 1 | 2);
    case 'reshape':
      return ops.reshape(args[0], attrs.shape as number[]);
    default:
      throw new RangeError(`${path()}: unknown op '${String(node.op)}'`);
  }
}

/** A node being evaluated: its place in the graph and its arguments' values so far. */
interface Evaluating {
  node: ExprNode;
  parent: Evaluating | null;
  index: number;
  args: Tensor[];
}

/** `graph.args[0].args[1]`: a node's path, built only for an error message. */
function pathOf(at: Evaluating): string {
  const indices: number[] = [];
  for (let e: Evaluating | null = at; e.parent !== null; e = e.parent) indices.push(e.index);
  return `graph${indices.reverse().map((i) => `.args[${i}]`).join('')}`;
}

/**
 * The graph's value, arguments left to right before their op, with an explicit stack rather than
 * recursion, so a chain of any depth (100,000 ops) is evaluated.
 */
function evaluate(graph: ExprNode, inputs: Map<string, Tensor>): Tensor {
  const stack: Evaluating[] = [{ node: graph, parent: null, index: 0, args: [] }];
  for (;;) {
    const at = stack[stack.length - 1];
    const node = at.node;
    let value: Tensor;
    if (node.op === 'input') {
      const t = inputs.get(node.name);
      if (t === undefined) throw new RangeError(`${pathOf(at)}: unknown input '${node.name}'`);
      value = t;
    } else if (node.op === 'const') {
      value = ops.tensor(node.value);
    } else if (at.args.length < node.args.length) {
      stack.push({ node: node.args[at.args.length], parent: at, index: at.args.length, args: [] });
      continue;
    } else {
      value = applyExprOp(node, at.args, () => pathOf(at));
    }
    stack.pop();
    if (at.parent === null) return value;
    at.parent.args.push(value);
  }
}

export function runExpression(c: ExprCase): ExprResult {
  const inputs = new Map(Object.entries(c.inputs).map(([name, v]) => [name, fromData(v.data, v.shape, { requiresGrad: v.requiresGrad })]));
  const out = evaluate(c.graph, inputs);
  const value = { shape: [...out.shape], data: toNumbers(out.data, out.size) };
  const grads = (): Record<string, number[] | null> =>
    Object.fromEntries([...inputs].filter(([, t]) => t.requiresGrad).map(([name, t]) => [name, t.grad === null ? null : toNumbers(t.grad.data, t.grad.size)]));
  if (!out.requiresGrad) return { value, grads: grads() };
  const seed = c.seed === undefined ? undefined : fromData(c.seed, out.shape);
  const plan = c.backward ?? { times: 1, retainGraph: false };
  try {
    out.backward(seed, { retainGraph: plan.retainGraph });
    if (plan.times === 2) out.backward(seed);
  } catch (e) {
    if (e instanceof GraphReleasedError) return { value, grads: grads(), error: { kind: 'graph-released', message: e.message } };
    throw e;
  }
  return { value, grads: grads() };
}

// Its float64 arithmetic is the one the claims reason about, operation by operation, so claims
// whose two sides compute the same numbers in the same order may demand bit-identity.
const ALL_CAPABILITIES: Capability[] = [...everyCapability(), ARITH_REFERENCE];

/**
 * The built-in Float64 engine as a backend; overrides build deliberately broken variants for tests.
 * With arith 'pytorch' ('reference-pytorch') its updates fuse as PyTorch's do, so it no longer does
 * the plain arithmetic that bit-identity claims reason about, and does not declare it.
 */
export function referenceBackend(overrides: ReferenceOverrides = {}): Backend {
  const pytorch = overrides.arith === 'pytorch';
  return {
    name: overrides.name ?? (pytorch ? 'reference-pytorch' : 'reference'),
    version: '1',
    dtype: 'float64',
    capabilities: new Set(pytorch ? [...ALL_CAPABILITIES.filter((c) => c !== ARITH_REFERENCE), ARITH_PYTORCH] : ALL_CAPABILITIES),
    runExpr: async (c) => runExpression(c),
    runTrain: async (c) => runTraining(c, overrides),
  };
}
