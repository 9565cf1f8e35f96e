/**
 * TensorFlow.js as a backend: `@tensorflow/tfjs` (the full package: tfjs-core alone registers no
 * gradients under Node ESM) on its CPU backend, computing in float32. It is an optional peer
 * dependency, loaded on first use. Cases are run the way a tfjs user would write them: tf ops,
 * tf.valueAndGrads, tf.variableGrads, tf.losses.meanSquaredError, tf.train.sgd and
 * tf.train.momentum. What tfjs cannot express is missing from the capabilities (so claims that
 * need it are not applicable), and a case that asks for it anyway is refused with a BackendError.
 */
import type { ExprCase, ExprNode, ExprResult, TrainCase, TrainResult } from '../cases/types.ts';
import { parameterShapes } from '../cases/model.ts';
import { inferExprShape, parseExprCase, parseTrainCase, show } from '../cases/schema.ts';
import type { OpName } from '../engine/ops.ts';
import { BackendError, type Backend, type Capability } from './backend.ts';
import type { TfTensor as Tensor, Tfjs as Tf } from './tfjs-api.ts';

export const TFJS_PACKAGE = '@tensorflow/tfjs';

const loaded = new Map<string, Promise<Tf>>();

/**
 * Imports tfjs once and selects its CPU backend. `specifier` names the package to import; it is
 * there so that the message for a missing package can be tested.
 */
export function loadTfjs(specifier: string = TFJS_PACKAGE): Promise<Tf> {
  let promise = loaded.get(specifier);
  if (promise === undefined) {
    promise = importTfjs(specifier);
    loaded.set(specifier, promise);
    promise.catch(() => loaded.delete(specifier));
  }
  return promise;
}

async function importTfjs(specifier: string): Promise<Tf> {
  let tf: Tf;
  try {
    tf = (await import(specifier)) as Tf;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new BackendError(`the tfjs backend needs the optional peer dependency ${specifier}, which is not installed: run \`npm install ${specifier}\` (${(e as Error).message.split('\n')[0]})`);
    }
    throw e;
  }
  await tf.setBackend('cpu');
  await tf.ready();
  // The CPU backend advises installing tfjs-node on its first tensor unless PROD is set; that
  // advice is noise in a conformance report, so the first tensor is made with PROD on.
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  tf.tidy(() => tf.scalar(0));
  tf.env().set('PROD', prod);
  return tf;
}

// ---------------------------------------------------------------- float32 inputs

/**
 * tfjs rounds every input to float32; a value that float32 cannot hold would make the case a
 * different case, so it is refused rather than coerced. Claims feed float32-exact values.
 */
function requireFloat32(values: Iterable<[string, number]>): void {
  const bad: string[] = [];
  for (const [path, v] of values) {
    if (!Object.is(Math.fround(v), v)) bad.push(`${path} = ${show(v)} (float32 holds ${show(Math.fround(v))})`);
    if (bad.length === 3) break;
  }
  if (bad.length > 0) throw new BackendError(`tfjs computes in float32, and these inputs are not float32 values: ${bad.join('; ')}. Feed values that Math.fround leaves unchanged.`);
}

function* entriesOf(path: string, values: readonly number[]): Generator<[string, number]> {
  for (let i = 0; i < values.length; i++) yield [`${path}[${i}]`, values[i]];
}

function* graphNumbers(node: ExprNode, path: string): Generator<[string, number]> {
  if (node.op === 'const') yield [`${path}.value`, node.value];
  if (node.op === 'input' || node.op === 'const') return;
  if (node.op === 'pow') yield [`${path}.attrs.exponent`, node.attrs?.exponent as number];
  for (let i = 0; i < node.args.length; i++) yield* graphNumbers(node.args[i], `${path}.args[${i}]`);
}

// ---------------------------------------------------------------- expression cases

type OpImpl = (tf: Tf, args: Tensor[], attrs: Record<string, unknown>) => Tensor;

const reduceArgs = (attrs: Record<string, unknown>): [number | undefined, boolean] => [(attrs.axis as number | null | undefined) ?? undefined, (attrs.keepDim as boolean | undefined) ?? false];

/** Every op of the op table as its tfjs counterpart; norm is tf.norm over the flattened tensor. */
const OPS: Record<OpName, OpImpl> = {
  neg: (tf, [x]) => tf.neg(x),
  exp: (tf, [x]) => tf.exp(x),
  log: (tf, [x]) => tf.log(x),
  sqrt: (tf, [x]) => tf.sqrt(x),
  abs: (tf, [x]) => tf.abs(x),
  sign: (tf, [x]) => tf.sign(x),
  relu: (tf, [x]) => tf.relu(x),
  tanh: (tf, [x]) => tf.tanh(x),
  square: (tf, [x]) => tf.square(x),
  pow: (tf, [x], attrs) => tf.pow(x, attrs.exponent as number),
  add: (tf, [a, b]) => tf.add(a, b),
  sub: (tf, [a, b]) => tf.sub(a, b),
  mul: (tf, [a, b]) => tf.mul(a, b),
  div: (tf, [a, b]) => tf.div(a, b),
  matmul: (tf, [a, b]) => tf.matMul(a, b),
  sum: (tf, [x], attrs) => tf.sum(x, ...reduceArgs(attrs)),
  mean: (tf, [x], attrs) => tf.mean(x, ...reduceArgs(attrs)),
  norm: (tf, [x], attrs) => tf.norm(x, (attrs.p as 1 | 2 | undefined) ?? 2),
  reshape: (tf, [x], attrs) => tf.reshape(x, attrs.shape as number[]),
  transpose: (tf, [x]) => tf.transpose(x),
};

function evaluate(tf: Tf, node: ExprNode, inputs: Map<string, Tensor>): Tensor {
  if (node.op === 'input') return inputs.get(node.name)!;
  if (node.op === 'const') return tf.scalar(node.value, 'float32');
  return OPS[node.op](tf, node.args.map((a) => evaluate(tf, a, inputs)), node.attrs ?? {});
}

function referencedInputs(node: ExprNode, into = new Set<string>()): Set<string> {
  if (node.op === 'input') into.add(node.name);
  else if (node.op !== 'const') for (const a of node.args) referencedInputs(a, into);
  return into;
}

const values = (t: Tensor): number[] => Array.from(t.dataSync());

function runExpr(tf: Tf, c: ExprCase): ExprResult {
  if (c.backward?.times === 2) {
    throw new BackendError('tfjs computes gradients functionally (tf.grads): it has no graph to keep or release and no .grad to accumulate into, so a second backward cannot be expressed (no graph:* capabilities)');
  }
  requireFloat32([
    ...Object.entries(c.inputs).flatMap(([name, t]) => [...entriesOf(`inputs.${name}.data`, t.data)]),
    ...entriesOf('seed', c.seed ?? []),
    ...graphNumbers(c.graph, 'graph'),
  ]);
  // tidy disposes every tensor made inside; it may only return tensors, so the plain result leaves by closure.
  let result: ExprResult | undefined;
  tf.tidy(() => {
    const inputs = new Map(Object.entries(c.inputs).map(([name, t]) => [name, tf.tensor(t.data, t.shape, 'float32')]));
    const used = referencedInputs(c.graph);
    // An input that requires grad but is not in the graph gets null, as backward never reaches it.
    const wanted = Object.entries(c.inputs).filter(([name, t]) => t.requiresGrad && used.has(name)).map(([name]) => name);
    const grads: Record<string, number[] | null> = Object.fromEntries(Object.entries(c.inputs).filter(([, t]) => t.requiresGrad).map(([name]) => [name, null]));
    if (wanted.length === 0) {
      const out = evaluate(tf, c.graph, inputs);
      result = { value: { shape: [...out.shape], data: values(out) }, grads };
      return;
    }
    const f = (...xs: Tensor[]) => evaluate(tf, c.graph, new Map([...inputs, ...wanted.map((name, i) => [name, xs[i]] as const)]));
    const shape = inferExprShape(c.graph, c.inputs, ['graph'], () => undefined)!.shape;
    const dy = c.seed === undefined ? undefined : tf.tensor(c.seed, shape, 'float32');
    const { value, grads: gs } = tf.valueAndGrads(f)(wanted.map((name) => inputs.get(name)!), dy);
    wanted.forEach((name, i) => (grads[name] = values(gs[i])));
    result = { value: { shape: [...value.shape], data: values(value) }, grads };
  });
  return result!;
}

// ---------------------------------------------------------------- training cases

type Penalty = (tf: Tf, params: Tensor[], lambda: number, start: number | undefined) => Tensor | number;

/** Sums per-parameter terms from the first term on, as the recipes do. */
const sumTerms = (tf: Tf, params: Tensor[], term: (w: Tensor) => Tensor): Tensor =>
  params.map(term).reduce((acc, t) => tf.add(acc, t));

/** The recipe catalogue written as tfjs user code, operation for operation as src/regularize/recipes.ts. */
const PENALTIES: Record<string, Penalty> = {
  'half-pow-sum': (tf, ps, lambda) => tf.mul(lambda, tf.mul(0.5, sumTerms(tf, ps, (w) => tf.sum(tf.pow(w, 2))))),
  'pow-sum': (tf, ps, lambda) => tf.mul(lambda, sumTerms(tf, ps, (w) => tf.sum(tf.pow(w, 2)))),
  'half-norm-squared': (tf, ps, lambda) => tf.mul(lambda, sumTerms(tf, ps, (w) => tf.mul(0.5, tf.pow(tf.norm(w), 2)))),
  'norm-squared': (tf, ps, lambda) => tf.mul(lambda, sumTerms(tf, ps, (w) => tf.pow(tf.norm(w), 2))),
  norm: (tf, ps, lambda) => tf.mul(lambda, sumTerms(tf, ps, (w) => tf.norm(w))),
  'norm-from-zero': (tf, ps, lambda) => {
    let acc: Tensor | number = 0;
    for (const w of ps) acc = tf.add(acc, tf.norm(w));
    return tf.mul(lambda, acc);
  },
  // dataSync() is tfjs's item(): a plain number, outside any gradient tape.
  'norm-item': (tf, ps, lambda) => {
    let acc = 0;
    for (const w of ps) acc += tf.norm(w).dataSync()[0];
    return lambda * acc;
  },
  'norm-uninit-leaf': (tf, ps, lambda, start) => {
    let acc: Tensor = tf.scalar(start!, 'float32');
    for (const w of ps) acc = tf.add(acc, tf.norm(w));
    return tf.mul(lambda, acc);
  },
  l1: (tf, ps, lambda) => tf.mul(lambda, sumTerms(tf, ps, (w) => tf.sum(tf.abs(w)))),
};

/** Refuses what tf.train.sgd and tf.train.momentum cannot express, naming the capability. */
function requireExpressible(c: TrainCase): void {
  const o = c.optimizer;
  const refuse = (what: string): never => {
    throw new BackendError(`tfjs cannot run this case: ${what}`);
  };
  if (o.kind !== 'sgd') return refuse(`tfjs has no optimizer matching '${o.kind}' (only sgd, through tf.train.sgd and tf.train.momentum)`);
  if (o.weightDecay !== 0) refuse('tfjs optimizers have no weight-decay option (sgd:weightDecay); put the penalty in the loss instead');
  if (o.maximize) refuse('tfjs optimizers have no maximize option (sgd:maximize)');
  if (o.momentum !== 0 && o.dampening !== 0) refuse('tf.train.momentum has no dampening (sgd:dampening)');
  if (c.groups !== undefined) refuse('tfjs optimizers have no parameter groups with their own options (train:groups)');
  if (!c.zeroGrad) refuse('tfjs computes fresh gradients each step and has nothing to zero, so gradients cannot accumulate across steps (train:noZeroGrad)');
  if (c.penalty !== null && !(c.penalty.recipe in PENALTIES)) refuse(`no tfjs version of recipe '${c.penalty.recipe}'`);
  requireFloat32([
    ...Object.entries(c.init).flatMap(([name, v]) => [...entriesOf(`init.${name}`, v)]),
    ...c.data.x.flatMap((row, i) => [...entriesOf(`data.x[${i}]`, row)]),
    ...c.data.y.flatMap((row, i) => [...entriesOf(`data.y[${i}]`, row)]),
    ['optimizer.lr', o.lr],
    ['optimizer.momentum', o.momentum],
    ...(c.penalty === null ? [] : ([['penalty.lambda', c.penalty.lambda], ...(c.penalty.start === undefined ? [] : [['penalty.start', c.penalty.start]])] as [string, number][])),
  ]);
}

function runTrain(tf: Tf, c: TrainCase): TrainResult {
  requireExpressible(c);
  const o = c.optimizer as Extract<TrainCase['optimizer'], { kind: 'sgd' }>;
  const shapes = parameterShapes(c.model);
  const params = shapes.map(({ name, shape }) => ({ name, variable: tf.variable(tf.tensor(c.init[name], shape, 'float32'), true) }));
  const byName = new Map(params.map((p) => [p.name, p.variable]));
  const x = tf.tensor2d(c.data.x, undefined, 'float32');
  const y = tf.tensor2d(c.data.y, undefined, 'float32');
  // tf.train.momentum keeps a = μ·a + g from a = 0 and steps p − lr·a (nesterov: p − lr·(g + μ·a)):
  // PyTorch's SGD with dampening 0, whose first step sets buf = g (see the capabilities).
  const optimizer = o.momentum === 0 ? tf.train.sgd(o.lr) : tf.train.momentum(o.lr, o.momentum, o.nesterov);
  const reduction = c.loss.reduction === 'mean' ? tf.Reduction.SUM_BY_NONZERO_WEIGHTS : tf.Reduction.SUM;
  const penalty = c.penalty;
  const selected = (select: string) =>
    params.filter(({ name }) => select === 'all' || (select === 'weights' ? name.endsWith('.weight') : name.endsWith('.bias'))).map((p) => p.variable as Tensor);
  const objective = (): Tensor => {
    let h: Tensor = x;
    c.model.layers.forEach((layer, i) => {
      const index = shapes[2 * i].name.split('.')[0];
      h = tf.add(tf.matMul(h, byName.get(`${index}.weight`)!, false, true), byName.get(`${index}.bias`)!);
      if (layer.activation === 'relu') h = tf.relu(h);
      else if (layer.activation === 'tanh') h = tf.tanh(h);
    });
    const loss = tf.losses.meanSquaredError(y, h, undefined, reduction);
    if (penalty === null) return loss;
    const p = PENALTIES[penalty.recipe](tf, selected(penalty.select), penalty.lambda, penalty.start);
    return penalty.sign === 'add' ? tf.add(loss, p) : tf.sub(loss, p);
  };
  const result: TrainResult = { losses: [], grads: [], params: [] };
  try {
    for (let step = 0; step < c.steps; step++) {
      const { value, grads } = tf.variableGrads(objective, params.map((p) => p.variable));
      result.losses.push(value.dataSync()[0]);
      result.grads.push(Object.fromEntries(params.map(({ name, variable }) => [name, values(grads[variable.name])])));
      optimizer.applyGradients(grads);
      tf.dispose([value, ...Object.values(grads)]);
      result.params.push(Object.fromEntries(params.map(({ name, variable }) => [name, values(variable)])));
    }
  } finally {
    optimizer.dispose();
    tf.dispose([x, y, ...params.map((p) => p.variable)]);
  }
  return result;
}

// ---------------------------------------------------------------- the backend

/**
 * What tfjs can run, honestly. Every op of the op table and every recipe (its values at kinks may
 * differ: the claims report that). Momentum and nesterov: tf.train.momentum matches PyTorch's SGD
 * with dampening 0 (nesterov's g + μ·buf included); its accumulator starts at zero, so its first
 * step gives μ·0 + g, which equals PyTorch's buf = g except that a gradient of −0 becomes +0
 * (convention:momentum-buffer-from-zero). Absent: dampening, weight decay, maximize and parameter
 * groups (tfjs optimizers have no such options), the other optimizers, graph retention and
 * gradient accumulation (tfjs has no tape to keep and no .grad), and steps without zero_grad.
 */
export const TFJS_CAPABILITIES: readonly Capability[] = [
  ...Object.keys(OPS).map((op) => `op:${op}`),
  ...Object.keys(PENALTIES).map((r) => `recipe:${r}`),
  'layer:linear',
  'act:relu',
  'act:tanh',
  'loss:mse:mean',
  'loss:mse:sum',
  'optimizer:sgd',
  'sgd:momentum',
  'sgd:nesterov',
  'convention:momentum-buffer-from-zero',
];

export async function tfjsBackend(options: { specifier?: string } = {}): Promise<Backend> {
  const tf = await loadTfjs(options.specifier);
  return {
    name: 'tfjs',
    version: tf.version.tfjs,
    dtype: 'float32',
    capabilities: new Set(TFJS_CAPABILITIES),
    runExpr: async (c) => runExpr(tf, parseExprCase(c)),
    runTrain: async (c) => runTrain(tf, parseTrainCase(c)),
  };
}
