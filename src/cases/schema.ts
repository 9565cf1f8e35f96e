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
import { OPS, type OpName } from '../engine/ops.ts';
import { broadcastShapes, formatShape, sizeOf } from '../engine/shape.ts';
import { PENALTIES } from '../regularize/recipes.ts';
import { decodeJson, encodeNumber } from './json.ts';
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

// ---------------------------------------------------------------- errors

export interface CaseIssue {
  /** The field, as `optimizer.lr` or `graph.args[0].attrs.exponent`; empty for the whole value. */
  path: string;
  message: string;
}

/** A malformed case or result: every problem with the field it concerns. */
export class CaseError extends RangeError {
  constructor(
    readonly what: string,
    readonly issues: readonly CaseIssue[],
  ) {
    const lines = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
    super(lines.length === 1 ? `invalid ${what}: ${lines[0]}` : `invalid ${what} (${lines.length} problems):\n  ${lines.join('\n  ')}`);
    this.name = 'CaseError';
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** A received value in an error message: strings quoted, numbers with −0 and NaN visible. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number') return String(encodeNumber(v));
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

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

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new CaseError(what, toIssues(result.error));
  return result.data;
}

// ---------------------------------------------------------------- leaves

/** The four numbers JSON cannot write, by the string json.ts writes for each. */
const SPECIAL_NUMBERS = new Map([NaN, Infinity, -Infinity, -0].map((x) => [encodeNumber(x) as string, x]));

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

/** `a`, `a or b`, `a, b or c`. */
export function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

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

const RESERVED_NAMES = new Set(SPECIAL_NUMBERS.keys());

/** Input names are identifiers; the four number spellings are reserved, since they decode to numbers. */
const inputName = z
  .string(expected('a name'))
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (iss) => `an input name must be an identifier (letters, digits, _), got ${show(iss.input)}` })
  .refine((name) => !RESERVED_NAMES.has(name), { error: (iss) => `the name ${show(iss.input)} is reserved: it spells a number in the JSON encoding` });

// ---------------------------------------------------------------- expression cases

const OP_NAMES = Object.keys(OPS) as [OpName, ...OpName[]];

type AttrValue = number | boolean | number[] | null;

/** What each op accepts: arity, and for each attribute whether it is required and what it may hold. */
interface OpSignature {
  arity: 1 | 2;
  attrs: Record<string, { required: boolean; expected: string; ok: (v: AttrValue | undefined) => boolean }>;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const reduceAttrs: OpSignature['attrs'] = {
  axis: { required: false, expected: 'an integer or null (null reduces every element)', ok: (v) => v === null || isInt(v) },
  keepDim: { required: false, expected: 'true or false', ok: (v) => typeof v === 'boolean' },
};

export const OP_SIGNATURES: Record<OpName, OpSignature> = {
  neg: { arity: 1, attrs: {} },
  exp: { arity: 1, attrs: {} },
  log: { arity: 1, attrs: {} },
  sqrt: { arity: 1, attrs: {} },
  abs: { arity: 1, attrs: {} },
  sign: { arity: 1, attrs: {} },
  relu: { arity: 1, attrs: {} },
  tanh: { arity: 1, attrs: {} },
  square: { arity: 1, attrs: {} },
  pow: { arity: 1, attrs: { exponent: { required: true, expected: 'a finite number', ok: (v) => typeof v === 'number' && Number.isFinite(v) } } },
  add: { arity: 2, attrs: {} },
  sub: { arity: 2, attrs: {} },
  mul: { arity: 2, attrs: {} },
  div: { arity: 2, attrs: {} },
  matmul: { arity: 2, attrs: {} },
  sum: { arity: 1, attrs: reduceAttrs },
  mean: { arity: 1, attrs: reduceAttrs },
  norm: { arity: 1, attrs: { p: { required: false, expected: '1 or 2 (2 when absent)', ok: (v) => v === 1 || v === 2 } } },
  reshape: { arity: 1, attrs: { shape: { required: true, expected: 'an array of integers ≥ −1 (one −1 is inferred)', ok: (v) => Array.isArray(v) && v.every((d) => isInt(d) && d >= -1) } } },
  transpose: { arity: 1, attrs: {} },
};

const attrValue = z.union([anyNumber, bool, array(anyNumber), z.null()], { error: (iss) => `expected a number, true, false, an array of numbers or null, got ${show(iss.input)}` });

const inputNodeSchema = strict({ op: z.literal('input'), name: inputName });
const constNodeSchema = strict({ op: z.literal('const'), value: anyNumber });

const opNodeSchema = strict({
  op: z.enum(OP_NAMES),
  get args(): z.ZodArray<z.ZodType<ExprNode>> {
    return array(exprNodeSchema);
  },
  attrs: z.record(z.string(), attrValue, expected('an object of attributes')).optional(),
}).superRefine((node, ctx) => {
  const signature = OP_SIGNATURES[node.op];
  if (node.args.length !== signature.arity) {
    ctx.addIssue({ code: 'custom', path: ['args'], message: `op '${node.op}' takes ${signature.arity} argument${signature.arity > 1 ? 's' : ''}, got ${node.args.length}` });
  }
  const attrs = node.attrs ?? {};
  const known = Object.keys(signature.attrs);
  for (const key of Object.keys(attrs)) {
    if (!(key in signature.attrs)) {
      ctx.addIssue({ code: 'custom', path: ['attrs', key], message: `op '${node.op}' has no attribute '${key}' (${known.length === 0 ? 'it takes none' : `known: ${known.join(', ')}`})` });
    }
  }
  for (const [key, rule] of Object.entries(signature.attrs)) {
    const v = attrs[key];
    if (v === undefined ? rule.required : !rule.ok(v)) {
      ctx.addIssue({ code: 'custom', path: ['attrs', key], message: `op '${node.op}' needs ${key} to be ${rule.expected}, got ${show(v)}` });
    }
  }
});

const NODE_KINDS = ['input', 'const', ...OP_NAMES].join(', ');

export const exprNodeSchema: z.ZodType<ExprNode> = z.lazy(() =>
  z.discriminatedUnion('op', [inputNodeSchema, constNodeSchema, opNodeSchema], {
    error: (iss) =>
      iss.code === 'invalid_union'
        ? `unknown op ${show((iss.input as { op?: unknown }).op)} (known: ${NODE_KINDS})`
        : `expected an op node (an object with 'op'), got ${show(iss.input)}`,
  }),
);

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
  const output = inferExprShape(c.graph, c.inputs, ['graph'], (path, message) => ctx.addIssue({ code: 'custom', path, message }));
  if (output === null) return;
  const size = sizeOf(output.shape);
  if (c.seed !== undefined && c.seed.length !== size) {
    ctx.addIssue({ code: 'custom', path: ['seed'], message: `${c.seed.length} values for an output of shape ${formatShape(output.shape)} (${size} needed)` });
  }
  if (c.seed === undefined && output.requiresGrad && size !== 1) {
    ctx.addIssue({ code: 'custom', path: ['seed'], message: `the output has shape ${formatShape(output.shape)}, not one element, so backward needs an upstream gradient of ${size} values` });
  }
});

type Report = (path: PropertyKey[], message: string) => void;

/**
 * The output shape of an op tree and whether it requires grad, by the op table's shape rules;
 * null (after reporting where) when some node is ill-formed.
 */
export function inferExprShape(
  node: ExprNode,
  inputs: Record<string, TensorValue & { requiresGrad: boolean }>,
  path: PropertyKey[],
  report: Report,
): { shape: number[]; requiresGrad: boolean } | null {
  if (node.op === 'input') {
    const input = inputs[node.name];
    if (input === undefined) {
      const names = Object.keys(inputs);
      report([...path, 'name'], `no input named '${node.name}' (${names.length === 0 ? 'the case has no inputs' : `inputs: ${names.join(', ')}`})`);
      return null;
    }
    return { shape: input.shape, requiresGrad: input.requiresGrad };
  }
  if (node.op === 'const') return { shape: [], requiresGrad: false };
  const args = node.args.map((a, i) => inferExprShape(a, inputs, [...path, 'args', i], report));
  if (args.some((a) => a === null) || args.length !== OP_SIGNATURES[node.op].arity) return null;
  const [a, b] = args as { shape: number[]; requiresGrad: boolean }[];
  const requiresGrad = args.some((x) => x!.requiresGrad);
  const shape = outputShape(node.op, a.shape, b?.shape, node.attrs ?? {}, (message, attr) => {
    report(attr === undefined ? path : [...path, 'attrs', attr], message);
    return null;
  });
  return shape === null ? null : { shape, requiresGrad };
}

function outputShape(op: OpName, a: number[], b: number[] | undefined, attrs: Record<string, AttrValue>, fail: (message: string, attr?: string) => null): number[] | null {
  switch (op) {
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
      try {
        return broadcastShapes(a, b!, op);
      } catch (e) {
        return fail((e as Error).message);
      }
    case 'matmul':
      if (a.length !== 2 || b!.length !== 2) return fail(`matmul: both operands must be 2-D, got ${formatShape(a)} and ${formatShape(b!)}`);
      if (a[1] !== b![0]) return fail(`matmul: inner dimensions differ: ${formatShape(a)} @ ${formatShape(b!)}`);
      return [a[0], b![1]];
    case 'sum':
    case 'mean': {
      if (op === 'mean' && sizeOf(a) === 0) return fail('mean: the tensor is empty');
      const axis = (attrs.axis as number | null | undefined) ?? null;
      const keepDim = (attrs.keepDim as boolean | undefined) ?? false;
      if (axis === null) return keepDim ? a.map(() => 1) : [];
      if (axis < -a.length || axis >= a.length) return fail(`${op}: axis ${axis} is out of range for a ${a.length}-D tensor`, 'axis');
      const k = axis < 0 ? axis + a.length : axis;
      return keepDim ? a.map((d, i) => (i === k ? 1 : d)) : a.filter((_, i) => i !== k);
    }
    case 'norm':
      return [];
    case 'reshape': {
      const target = attrs.shape as number[];
      const size = sizeOf(a);
      const inferred = target.indexOf(-1);
      const known = target.reduce((acc, d, i) => (i === inferred ? acc : acc * d), 1);
      const resolved = inferred >= 0 && known > 0 ? target.map((d, i) => (i === inferred ? size / known : d)) : target;
      if (!resolved.every((d) => Number.isInteger(d) && d >= 0) || sizeOf(resolved) !== size) {
        return fail(`reshape: cannot view shape ${formatShape(a)} (${size} elements) as ${formatShape(target)}`, 'shape');
      }
      return resolved;
    }
    case 'transpose':
      if (a.length !== 2) return fail(`transpose: needs a 2-D tensor, got shape ${formatShape(a)}`);
      return [a[1], a[0]];
    default:
      return a;
  }
}

// ---------------------------------------------------------------- training cases

const activationSchema = oneOf(['relu', 'tanh', 'identity'] as const satisfies readonly Activation[]);

export const modelSpecSchema = strict({
  inputSize: positiveInt,
  layers: array(strict({ outFeatures: positiveInt, activation: activationSchema })).min(1, { error: 'a model needs at least one layer' }),
});

const RECIPES = Object.keys(PENALTIES);

export const penaltySpecSchema = strict({
  recipe: z.string(expected('a recipe id')).refine((r) => r in PENALTIES, { error: (iss) => `unknown recipe ${show(iss.input)} (known: ${RECIPES.join(', ')})` }),
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
  init: z.record(z.string(), array(anyNumber), expected('an object of initial values by parameter name')),
  data: strict({ x: matrix, y: matrix }),
  loss: strict({ kind: z.literal('mse', expected("'mse'")), reduction: oneOf(['mean', 'sum']) }),
  penalty: penaltySpecSchema.nullable(),
  optimizer: optimizerSpecSchema,
  groups: array(groupSpecSchema).optional(),
  steps: positiveInt,
  zeroGrad: bool,
}).superRefine((c, ctx) => {
  const report: Report = (path, message) => ctx.addIssue({ code: 'custom', path, message });
  const shapes = parameterShapes(c.model);
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
  grads: z.record(z.string(), array(anyNumber).nullable(), expected('an object of gradients by input name')),
  error: strict({ kind: oneOf(['graph-released', 'other']), message: z.string(expected('a message')) }).optional(),
});

const snapshots = array(z.record(z.string(), array(anyNumber), expected('an object of values by parameter name')));

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
  exprNode: Same<z.output<typeof opNodeSchema> | z.output<typeof inputNodeSchema> | z.output<typeof constNodeSchema>, ExprNode>;
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
