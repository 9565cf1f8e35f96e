/**
 * The case schema: zod schemas for expression and training cases and for the results a backend
 * returns, with the cross-field checks zod cannot express alone (input references and shapes,
 * initial values against the model, data against the model, nesterov's preconditions).
 * Every problem is reported with the path of the field it concerns, `optimizer.lr: expected ...`.
 *
 * Numbers may arrive decoded (NaN, ±Infinity and −0 as numbers, from decodeJson) or still encoded
 * (as the strings json.ts writes, from a plain JSON.parse): both read as the same number.
 */
import { z } from 'zod';
import { formatShape, sizeOf } from '../engine/shape.ts';
import { PENALTIES } from '../regularize/recipes.ts';
import { CaseError, formatPath, isPrototypeName, orList, PROTOTYPE_NAME_MESSAGE, show, type CaseIssue } from './errors.ts';
import { budgetProblem, inferExprShape, inferExprShapeAndCost, inputNameProblem, readGraph, SPECIAL_NUMBERS, type Cost, type Report } from './graph.ts';
import { decodeJson } from './json.ts';
import { outputSize, parameterShapes } from './model.ts';
import {
  CASE_VERSION,
  type Activation,
  type ExprCase,
  type ExprNode,
  type ExprResult,
  type GroupSpec,
  type ModelSpec,
  type OptimizerSpec,
  type PenaltySpec,
  type SGDSpec,
  type SGDWSpec,
  type AdamSpec,
  type AdamWSpec,
  type RMSpropSpec,
  type AdagradSpec,
  type TensorValue,
  type TrainCase,
  type TrainResult,
} from './types.ts';

export { CASE_VERSION };

export { CaseError, formatPath, orList, show, type CaseIssue };
export { inferExprShape, OP_SIGNATURES, CASE_BUDGET } from './graph.ts';

const expected = (what: string) => ({ error: (iss: { input?: unknown }) => `expected ${what}, got ${show(iss.input)}` });

function toIssues(error: z.ZodError): CaseIssue[] {
  return error.issues.flatMap((issue): CaseIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: issue.message }));
    }
    if (issue.code === 'invalid_key') {
      return [{ path: formatPath(issue.path), message: issue.issues[0]?.message ?? issue.message }];
    }
    return [{ path: formatPath(issue.path), message: issue.message }];
  });
}

/**
 * The path of an own `__proto__` key anywhere in `value` (JSON.parse makes one an ordinary
 * property), or null. zod skips such keys when it copies a record, so a gradient filed under
 * `__proto__` would vanish silently; it is looked for first, iteratively, at any depth.
 */
function protoKeyPath(value: unknown): PropertyKey[] | null {
  interface At {
    v: unknown;
    parent: At | null;
    key: PropertyKey;
  }
  const pathTo = (at: At | null, last: PropertyKey): PropertyKey[] => {
    const keys = [last];
    for (let p = at; p !== null && p.parent !== null; p = p.parent) keys.push(p.key);
    return keys.reverse();
  };
  const stack: At[] = [{ v: value, parent: null, key: '' }];
  while (stack.length > 0) {
    const at = stack.pop()!;
    const v = at.v;
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (typeof v[i] === 'object' && v[i] !== null) stack.push({ v: v[i], parent: at, key: i });
      continue;
    }
    if (Object.hasOwn(v, '__proto__')) return pathTo(at, '__proto__');
    for (const [k, x] of Object.entries(v)) if (typeof x === 'object' && x !== null) stack.push({ v: x, parent: at, key: k });
  }
  return null;
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const proto = protoKeyPath(value);
  if (proto !== null) throw new CaseError(what, [{ path: formatPath(proto), message: PROTOTYPE_NAME_MESSAGE('__proto__') }]);
  const result = schema.safeParse(value);
  if (!result.success) throw new CaseError(what, toIssues(result.error));
  return result.data;
}

/**
 * Whether the value already has problems: cross-field checks then stay silent, since they read
 * fields (a model's last layer, a node's attributes) that may be missing or malformed.
 */
function hasIssues(ctx: z.RefinementCtx): boolean {
  return ((ctx as unknown as { issues?: readonly unknown[] }).issues ?? []).length > 0;
}

// ---------------------------------------------------------------- leaves

const decodeSpecial = (v: unknown): unknown => (typeof v === 'string' && SPECIAL_NUMBERS.has(v) ? SPECIAL_NUMBERS.get(v) : v);

function numberWhere(what: string, ok: (x: number) => boolean) {
  return z.preprocess(decodeSpecial, z.custom<number>((v) => typeof v === 'number' && ok(v), expected(what)));
}

/** Any float64, NaN, ±Infinity and −0 included: tensor values may be special on purpose. */
const anyNumber = numberWhere('a number (NaN, ±Infinity and −0 as "NaN", "Infinity", "-Infinity", "-0")', () => true);
const finite = numberWhere('a finite number', Number.isFinite);
const finiteNonNegative = numberWhere('a finite number ≥ 0', (x) => Number.isFinite(x) && x >= 0);
const positiveInt = numberWhere('an integer ≥ 1', (x) => Number.isInteger(x) && x >= 1);
const dimension = numberWhere('an integer ≥ 0 (a dimension)', (x) => Number.isInteger(x) && x >= 0);
const bool = z.boolean(expected('true or false'));

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, expected(orList(values.map((v) => `'${v}'`))));

const array = <T extends z.ZodType>(item: T) => z.array(item, expected('an array'));

/** An object that rejects unknown fields, naming the fields it knows. */
function strict<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys' ? `unknown field (known: ${known})` : `expected an object, got ${show(iss.input)}`,
  });
}

const shapeSchema = array(dimension);

/** Input names are identifiers, never one of the four number spellings nor an inherited member's name. */
const inputName = z.string(expected('a name')).superRefine((name, ctx) => {
  const problem = inputNameProblem(name);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

/** A key of a record (parameter names, gradients by input name): any string but an inherited member's name. */
const recordKey = z.string().refine((name) => !isPrototypeName(name), { error: (iss) => PROTOTYPE_NAME_MESSAGE(String(iss.input)) });

// ---------------------------------------------------------------- expression cases

/** The op tree, read iteratively (graph.ts): a zod schema recursing per node would overflow the stack on a deep graph. */
export const exprNodeSchema = z.unknown().transform((value, ctx): ExprNode => {
  const node = readGraph(value, (path, message) => ctx.addIssue({ code: 'custom', path, message }));
  return node === null ? z.NEVER : node;
});

export const tensorValueSchema = strict({ shape: shapeSchema, data: array(anyNumber) }).superRefine((t, ctx) => checkFills(t, ctx, []));

const inputTensorSchema = strict({ shape: shapeSchema, data: array(anyNumber), requiresGrad: bool }).superRefine((t, ctx) => checkFills(t, ctx, []));

function checkFills(t: TensorValue, ctx: z.RefinementCtx, path: PropertyKey[]): void {
  const n = sizeOf(t.shape);
  if (t.data.length !== n) ctx.addIssue({ code: 'custom', path: [...path, 'data'], message: `${t.data.length} values for shape ${formatShape(t.shape)} (${n} needed)` });
}

const versionSchema = z.literal(CASE_VERSION, { error: (iss) => `expected ${CASE_VERSION} (this regproof reads case format version ${CASE_VERSION}), got ${show(iss.input)}` });

export const exprCaseSchema = strict({
  kind: z.literal('expr', expected("'expr'")),
  version: versionSchema,
  inputs: z.record(inputName, inputTensorSchema, expected('an object of named input tensors')),
  graph: exprNodeSchema,
  seed: array(anyNumber).optional(),
  backward: strict({ times: z.union([z.literal(1), z.literal(2)], expected('1 or 2')), retainGraph: bool }).optional(),
}).superRefine((c, ctx) => {
  if (hasIssues(ctx)) return;
  const output = inferExprShapeAndCost(c.graph, c.inputs, ['graph'], (path, message) => ctx.addIssue({ code: 'custom', path, message }));
  if (output === null) return;
  const tooLarge = budgetProblem(output.cost);
  if (tooLarge !== null) ctx.addIssue({ code: 'custom', path: [], message: tooLarge });
  const size = sizeOf(output.shape);
  if (c.seed !== undefined && c.seed.length !== size) {
    ctx.addIssue({ code: 'custom', path: ['seed'], message: `${c.seed.length} values for an output of shape ${formatShape(output.shape)} (${size} needed)` });
  }
  if (c.seed === undefined && output.requiresGrad && size !== 1) {
    ctx.addIssue({ code: 'custom', path: ['seed'], message: `the output has shape ${formatShape(output.shape)}, not one element, so backward needs an upstream gradient of ${size} values` });
  }
});

// ---------------------------------------------------------------- training cases

const activationSchema = oneOf(['relu', 'tanh', 'identity'] as const satisfies readonly Activation[]);

export const modelSpecSchema = strict({
  inputSize: positiveInt,
  layers: array(strict({ outFeatures: positiveInt, activation: activationSchema })).min(1, { error: 'a model needs at least one layer' }),
});

const RECIPES = Object.keys(PENALTIES);

export const penaltySpecSchema = strict({
  recipe: z.string(expected('a recipe id')).refine((r) => Object.hasOwn(PENALTIES, r), { error: (iss) => `unknown recipe ${show(iss.input)} (known: ${RECIPES.join(', ')})` }),
  lambda: finiteNonNegative,
  select: oneOf(['all', 'weights', 'biases']),
  sign: oneOf(['add', 'subtract']),
  start: anyNumber.optional(),
}).superRefine((p, ctx) => {
  // Only the uninitialised-leaf recipe has an accumulator whose start value is arbitrary.
  const needsStart = p.recipe === 'norm-uninit-leaf';
  if (needsStart && p.start === undefined) ctx.addIssue({ code: 'custom', path: ['start'], message: `recipe '${p.recipe}' needs the accumulator's arbitrary start value` });
  if (!needsStart && p.start !== undefined) ctx.addIssue({ code: 'custom', path: ['start'], message: `only recipe 'norm-uninit-leaf' takes a start value, not '${p.recipe}'` });
});

/** SGD's options, shared by sgd and sgdw (the same options, decay applied differently). */
const sgdOptions = {
  lr: finiteNonNegative,
  momentum: finiteNonNegative,
  dampening: finite,
  nesterov: bool,
  maximize: bool,
  weightDecay: finiteNonNegative,
};

function checkNesterov(o: { momentum: number; dampening: number; nesterov: boolean }, ctx: z.RefinementCtx): void {
  if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
    ctx.addIssue({ code: 'custom', path: ['nesterov'], message: `nesterov needs momentum > 0 and dampening 0 (got momentum ${show(o.momentum)}, dampening ${show(o.dampening)})` });
  }
}

export const sgdSpecSchema = strict({ kind: z.literal('sgd'), ...sgdOptions }).superRefine(checkNesterov);
export const sgdwSpecSchema = strict({ kind: z.literal('sgdw'), ...sgdOptions }).superRefine(checkNesterov);

const beta = numberWhere('a number in [0, 1)', (x) => x >= 0 && x < 1);

/** Adam's options, shared by adam (coupled decay) and adamw (decoupled). */
const adamOptions = {
  lr: finiteNonNegative,
  betas: z.tuple([beta, beta], expected('a pair [β1, β2]')),
  eps: finiteNonNegative,
  weightDecay: finiteNonNegative,
  amsgrad: bool,
  maximize: bool,
};

export const adamSpecSchema = strict({ kind: z.literal('adam'), ...adamOptions });
export const adamwSpecSchema = strict({ kind: z.literal('adamw'), ...adamOptions });

export const rmspropSpecSchema = strict({
  kind: z.literal('rmsprop'),
  lr: finiteNonNegative,
  alpha: finiteNonNegative,
  eps: finiteNonNegative,
  weightDecay: finiteNonNegative,
  momentum: finiteNonNegative,
  centered: bool,
  maximize: bool,
});

export const adagradSpecSchema = strict({
  kind: z.literal('adagrad'),
  lr: finiteNonNegative,
  lrDecay: finiteNonNegative,
  weightDecay: finiteNonNegative,
  initialAccumulatorValue: finiteNonNegative,
  eps: finiteNonNegative,
  maximize: bool,
});

/** One schema per optimizer kind: a new optimizer spec in types.ts is one more entry here. */
const OPTIMIZER_SCHEMAS = [sgdSpecSchema, sgdwSpecSchema, adamSpecSchema, adamwSpecSchema, rmspropSpecSchema, adagradSpecSchema] as const;

export const optimizerSpecSchema = z.discriminatedUnion('kind', [...OPTIMIZER_SCHEMAS], {
  error: (iss) =>
    iss.code === 'invalid_union'
      ? `unknown optimizer kind ${show((iss.input as { kind?: unknown }).kind)} (known: ${OPTIMIZER_SCHEMAS.map((s) => `'${s.shape.kind.value}'`).join(', ')})`
      : `expected an optimizer spec (an object with 'kind'), got ${show(iss.input)}`,
});

export const groupSpecSchema = strict({ select: oneOf(['weights', 'biases']), weightDecay: finiteNonNegative });

const matrix = array(array(anyNumber));

export const trainCaseSchema = strict({
  kind: z.literal('train', expected("'train'")),
  version: versionSchema,
  model: modelSpecSchema,
  init: z.record(recordKey, array(anyNumber), expected('an object of initial values by parameter name')),
  data: strict({ x: matrix, y: matrix }),
  loss: strict({ kind: z.literal('mse', expected("'mse'")), reduction: oneOf(['mean', 'sum']) }),
  penalty: penaltySpecSchema.nullable(),
  optimizer: optimizerSpecSchema,
  groups: array(groupSpecSchema).optional(),
  steps: positiveInt,
  zeroGrad: bool,
}).superRefine((c, ctx) => {
  if (hasIssues(ctx)) return;
  const report: Report = (path, message) => ctx.addIssue({ code: 'custom', path, message });
  const shapes = parameterShapes(c.model);
  const tooLarge = budgetProblem(trainCost(c));
  if (tooLarge !== null) report([], tooLarge);
  const names = shapes.map((s) => s.name);
  for (const name of Object.keys(c.init)) {
    if (!names.includes(name)) report(['init', name], `the model has no parameter '${name}' (it has ${names.join(', ')})`);
  }
  for (const { name, shape } of shapes) {
    const values = c.init[name];
    if (values === undefined) report(['init'], `no initial values for parameter '${name}' of shape ${formatShape(shape)}`);
    else if (values.length !== sizeOf(shape)) report(['init', name], `${values.length} values for a parameter of shape ${formatShape(shape)} (${sizeOf(shape)} needed)`);
  }
  const { x, y } = c.data;
  if (x.length === 0) report(['data', 'x'], 'the batch is empty (one row per example is needed)');
  if (y.length !== x.length) report(['data', 'y'], `${y.length} target rows for ${x.length} input rows`);
  const rows = (m: number[][], key: 'x' | 'y', width: number, what: string) =>
    m.forEach((row, i) => {
      if (row.length !== width) report(['data', key, i], `${row.length} values, but ${what} is ${width}`);
    });
  rows(x, 'x', c.model.inputSize, 'the model input size');
  rows(y, 'y', outputSize(c.model), "the last layer's outFeatures");
  if (c.groups !== undefined) checkGroups(c.groups, names, report);
});

/**
 * What a training run costs, roughly: every step runs forward and backward through each layer
 * (about 6 multiply-adds per weight and example) and updates each parameter; the result holds
 * the gradients and the parameters of every step.
 */
function trainCost(c: TrainCase): Cost {
  const parameters = parameterShapes(c.model).reduce((n, p) => n + sizeOf(p.shape), 0);
  const batch = c.data.x.length;
  return {
    elements: 2 * c.steps * parameters + batch * (c.model.inputSize + outputSize(c.model)),
    flops: c.steps * (6 * batch * parameters + 10 * parameters),
  };
}

/** Every parameter in exactly one group: groups select by name, and a model always has weights and biases. */
function checkGroups(groups: readonly GroupSpec[], names: readonly string[], report: Report): void {
  const seen = new Map<string, number>();
  groups.forEach((g, i) => {
    const first = seen.get(g.select);
    if (first !== undefined) report(['groups', i, 'select'], `groups ${first} and ${i} both select the ${g.select}, and a parameter can be in only one group`);
    else seen.set(g.select, i);
  });
  const covered = (name: string) => seen.has(name.endsWith('.weight') ? 'weights' : 'biases');
  const missing = names.filter((n) => !covered(n));
  if (missing.length > 0) report(['groups'], `parameters ${missing.join(', ')} are in no group (give the ${seen.has('weights') ? 'biases' : 'weights'} a group too)`);
}

// ---------------------------------------------------------------- results

export const exprResultSchema = strict({
  value: tensorValueSchema,
  grads: z.record(recordKey, array(anyNumber).nullable(), expected('an object of gradients by input name')),
  error: strict({ kind: oneOf(['graph-released', 'other']), message: z.string(expected('a message')) }).optional(),
});

const snapshots = array(z.record(recordKey, array(anyNumber), expected('an object of values by parameter name')));

export const trainResultSchema = strict({ losses: array(anyNumber), grads: snapshots, params: snapshots });

// ---------------------------------------------------------------- the schema agrees with types.ts

/** True when A and B are assignable both ways; a field missing, added or retyped on either side makes it false. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * Compiles only while the schemas produce exactly the types of types.ts: a change on one side
 * without the other is a type error here.
 */
export const SCHEMA_MATCHES_TYPES: {
  exprCase: Same<z.output<typeof exprCaseSchema>, ExprCase>;
  exprNode: Same<z.output<typeof exprNodeSchema>, ExprNode>;
  exprResult: Same<z.output<typeof exprResultSchema>, ExprResult>;
  trainCase: Same<z.output<typeof trainCaseSchema>, TrainCase>;
  trainResult: Same<z.output<typeof trainResultSchema>, TrainResult>;
  model: Same<z.output<typeof modelSpecSchema>, ModelSpec>;
  penalty: Same<z.output<typeof penaltySpecSchema>, PenaltySpec>;
  sgd: Same<z.output<typeof sgdSpecSchema>, SGDSpec>;
  sgdw: Same<z.output<typeof sgdwSpecSchema>, SGDWSpec>;
  adam: Same<z.output<typeof adamSpecSchema>, AdamSpec>;
  adamw: Same<z.output<typeof adamwSpecSchema>, AdamWSpec>;
  rmsprop: Same<z.output<typeof rmspropSpecSchema>, RMSpropSpec>;
  adagrad: Same<z.output<typeof adagradSpecSchema>, AdagradSpec>;
  optimizer: Same<z.output<typeof optimizerSpecSchema>, OptimizerSpec>;
  group: Same<z.output<typeof groupSpecSchema>, GroupSpec>;
} = { exprCase: true, exprNode: true, exprResult: true, trainCase: true, trainResult: true, model: true, penalty: true, sgd: true, sgdw: true, adam: true, adamw: true, rmsprop: true, adagrad: true, optimizer: true, group: true };

// ---------------------------------------------------------------- entry points

export function parseExprCase(value: unknown): ExprCase {
  return parseWith(exprCaseSchema, value, 'expression case');
}

export function parseTrainCase(value: unknown): TrainCase {
  return parseWith(trainCaseSchema, value, 'training case');
}

export function parseCase(value: unknown): ExprCase | TrainCase {
  const kind = value !== null && typeof value === 'object' ? (value as { kind?: unknown }).kind : undefined;
  if (kind === 'expr') return parseExprCase(value);
  if (kind === 'train') return parseTrainCase(value);
  throw new CaseError('case', [{ path: value !== null && typeof value === 'object' ? 'kind' : '', message: value !== null && typeof value === 'object' ? `expected 'expr' or 'train', got ${show(kind)}` : `expected a case object, got ${show(value)}` }]);
}

/** A case from its JSON text (the encoding of json.ts). */
export function parseCaseJson(text: string): ExprCase | TrainCase {
  let value: unknown;
  try {
    value = decodeJson(text);
  } catch (e) {
    throw new CaseError('case', [{ path: '', message: `not JSON: ${(e as Error).message}` }]);
  }
  return parseCase(value);
}

/** An expression result; given the case, also checks that it answers that case (shapes, names, sizes). */
export function parseExprResult(value: unknown, c?: ExprCase): ExprResult {
  const result = parseWith(exprResultSchema, value, 'expression result');
  if (c !== undefined) {
    const issues: CaseIssue[] = [];
    const report: Report = (path, message) => issues.push({ path: formatPath(path), message });
    const output = inferExprShape(c.graph, c.inputs, ['graph'], report);
    if (output !== null && formatShape(output.shape) !== formatShape(result.value.shape)) {
      report(['value', 'shape'], `${formatShape(result.value.shape)}, but the case's output has shape ${formatShape(output.shape)}`);
    }
    const wanted = Object.entries(c.inputs).filter(([, t]) => t.requiresGrad);
    for (const name of Object.keys(result.grads)) {
      if (!wanted.some(([n]) => n === name)) report(['grads', name], `'${name}' is not an input that requires grad`);
    }
    for (const [name, t] of wanted) {
      const g = result.grads[name];
      if (g === undefined) report(['grads'], `no entry for input '${name}' (null when backward never reached it)`);
      else if (g !== null && g.length !== t.data.length) report(['grads', name], `${g.length} values for an input of shape ${formatShape(t.shape)} (${t.data.length} needed)`);
    }
    if (issues.length > 0) throw new CaseError('expression result', issues);
  }
  return result;
}

/** A training result; given the case, also checks one entry per step and every parameter's size. */
export function parseTrainResult(value: unknown, c?: TrainCase): TrainResult {
  const result = parseWith(trainResultSchema, value, 'training result');
  if (c !== undefined) {
    const issues: CaseIssue[] = [];
    const shapes = parameterShapes(c.model);
    for (const key of ['losses', 'grads', 'params'] as const) {
      if (result[key].length !== c.steps) issues.push({ path: key, message: `${result[key].length} entries for ${c.steps} steps` });
    }
    for (const key of ['grads', 'params'] as const) {
      result[key].forEach((snapshot, step) => {
        for (const name of Object.keys(snapshot)) {
          if (!shapes.some((s) => s.name === name)) issues.push({ path: formatPath([key, step, name]), message: `the model has no parameter '${name}'` });
        }
        for (const { name, shape } of shapes) {
          const values = snapshot[name];
          if (values === undefined) issues.push({ path: formatPath([key, step]), message: `no values for parameter '${name}'` });
          else if (values.length !== sizeOf(shape)) issues.push({ path: formatPath([key, step, name]), message: `${values.length} values for a parameter of shape ${formatShape(shape)} (${sizeOf(shape)} needed)` });
        }
      });
    }
    if (issues.length > 0) throw new CaseError('training result', issues);
  }
  return result;
}
