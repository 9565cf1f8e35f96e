/**
 * An expression case's op tree: reading it from untrusted JSON, inferring its output shape, and
 * counting what it costs. Every walk here is iterative, with an explicit stack, so a graph of any
 * depth (a 100,000-op chain) is validated without overflowing the call stack; a node's path, as
 * `graph.args[0].attrs.exponent`, is built only when a problem is reported there.
 */
import { OPS, type OpName } from '../engine/ops.ts';
import { broadcastShapes, formatShape, sizeOf } from '../engine/shape.ts';
import { isPrototypeName, PROTOTYPE_NAME_MESSAGE, show } from './errors.ts';
import { encodeNumber } from './json.ts';
import type { ExprNode, TensorValue } from './types.ts';

export type Report = (path: PropertyKey[], message: string) => void;

type AttrValue = number | boolean | number[] | null;

/** What each op accepts: arity, and for each attribute whether it is required and what it may hold. */
export interface OpSignature {
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

const OP_NAMES = Object.keys(OPS) as OpName[];
const NODE_KINDS = ['input', 'const', ...OP_NAMES].join(', ');

// ---------------------------------------------------------------- leaves

/** The four numbers JSON cannot write, by the string json.ts writes for each. */
export const SPECIAL_NUMBERS = new Map([NaN, Infinity, -Infinity, -0].map((x) => [encodeNumber(x) as string, x]));

/** A number, from a number or from one of the four special spellings; undefined for anything else. */
export function readNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  return typeof v === 'string' ? SPECIAL_NUMBERS.get(v) : undefined;
}

/** Why `name` cannot name an input, or null when it can. */
export function inputNameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return `expected a name, got ${show(name)}`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `an input name must be an identifier (letters, digits, _), got ${show(name)}`;
  if (SPECIAL_NUMBERS.has(name)) return `the name ${show(name)} is reserved: it spells a number in the JSON encoding`;
  if (isPrototypeName(name)) return PROTOTYPE_NAME_MESSAGE(name);
  return null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readAttr(v: unknown): AttrValue | undefined {
  if (v === null || typeof v === 'boolean') return v;
  if (Array.isArray(v)) {
    const out = v.map(readNumber);
    return out.every((x) => x !== undefined) ? (out as number[]) : undefined;
  }
  return readNumber(v);
}

// ---------------------------------------------------------------- reading a graph

/** A node's place in the tree: its parent's place and the keys from the parent to it. */
interface Place {
  parent: Place | null;
  keys: readonly PropertyKey[];
}

function pathOf(place: Place, ...rest: PropertyKey[]): PropertyKey[] {
  const parts: (readonly PropertyKey[])[] = [rest];
  for (let p: Place | null = place; p !== null; p = p.parent) parts.push(p.keys);
  return parts.reverse().flat();
}

const NODE_FIELDS: Record<string, readonly string[]> = { input: ['op', 'name'], const: ['op', 'value'] };
const OP_FIELDS = ['op', 'args', 'attrs'];

/**
 * The op tree in `value`, checked node by node (fields, op names, arity, attributes) and copied
 * with the special number spellings decoded; null after reporting every problem found.
 */
export function readGraph(value: unknown, report: Report): ExprNode | null {
  let ok = true;
  const fail = (place: Place, message: string, ...rest: PropertyKey[]) => {
    ok = false;
    report(pathOf(place, ...rest), message);
  };
  const root: ExprNode[] = [];
  const stack: { value: unknown; place: Place; into: ExprNode[]; index: number }[] = [{ value, place: { parent: null, keys: [] }, into: root, index: 0 }];
  while (stack.length > 0) {
    const { value: v, place, into, index } = stack.pop()!;
    if (!isRecord(v) || !Object.hasOwn(v, 'op')) {
      fail(place, `expected an op node (an object with 'op'), got ${show(v)}`);
      continue;
    }
    const op = v.op;
    if (typeof op !== 'string' || !(Object.hasOwn(NODE_FIELDS, op) || Object.hasOwn(OP_SIGNATURES, op))) {
      fail(place, `unknown op ${show(op)} (known: ${NODE_KINDS})`, 'op');
      continue;
    }
    const fields = Object.hasOwn(NODE_FIELDS, op) ? NODE_FIELDS[op] : OP_FIELDS;
    for (const key of Object.keys(v)) if (!fields.includes(key)) fail(place, `unknown field (known: ${fields.join(', ')})`, key);
    if (op === 'input') {
      const problem = inputNameProblem(v.name);
      if (problem !== null) fail(place, problem, 'name');
      else into[index] = { op: 'input', name: v.name as string };
      continue;
    }
    if (op === 'const') {
      const n = readNumber(v.value);
      if (n === undefined) fail(place, `expected a number (NaN, ±Infinity and −0 as "NaN", "Infinity", "-Infinity", "-0"), got ${show(v.value)}`, 'value');
      else into[index] = { op: 'const', value: n };
      continue;
    }
    const name = op as OpName;
    const signature = OP_SIGNATURES[name];
    const attrs = readAttrs(name, signature, v.attrs, (message, ...rest) => fail(place, message, ...rest));
    if (!Array.isArray(v.args)) {
      fail(place, `expected an array, got ${show(v.args)}`, 'args');
      continue;
    }
    if (v.args.length !== signature.arity) {
      fail(place, `op '${name}' takes ${signature.arity} argument${signature.arity > 1 ? 's' : ''}, got ${v.args.length}`, 'args');
    }
    const args: ExprNode[] = new Array(v.args.length);
    into[index] = attrs === undefined ? { op: name, args } : { op: name, args, attrs };
    for (let i = v.args.length - 1; i >= 0; i--) stack.push({ value: v.args[i], place: { parent: place, keys: ['args', i] }, into: args, index: i });
  }
  return ok ? root[0] : null;
}

function readAttrs(op: OpName, signature: OpSignature, raw: unknown, fail: (message: string, ...rest: PropertyKey[]) => void): Record<string, AttrValue> | undefined {
  if (raw !== undefined && !isRecord(raw)) {
    fail(`expected an object of attributes, got ${show(raw)}`, 'attrs');
    return undefined;
  }
  const attrs: Record<string, AttrValue> = {};
  const known = Object.keys(signature.attrs);
  const unreadable = new Set<string>();
  for (const [key, v] of Object.entries(raw ?? {})) {
    const value = readAttr(v);
    if (!Object.hasOwn(signature.attrs, key)) fail(`op '${op}' has no attribute '${key}' (${known.length === 0 ? 'it takes none' : `known: ${known.join(', ')}`})`, 'attrs', key);
    else if (value === undefined) {
      unreadable.add(key);
      fail(`expected a number, true, false, an array of numbers or null, got ${show(v)}`, 'attrs', key);
    } else attrs[key] = value;
  }
  for (const [key, rule] of Object.entries(signature.attrs)) {
    if (unreadable.has(key)) continue;
    const v = Object.hasOwn(attrs, key) ? attrs[key] : undefined;
    if (v === undefined ? rule.required : !rule.ok(v)) fail(`op '${op}' needs ${key} to be ${rule.expected}, got ${show(v)}`, 'attrs', key);
  }
  return raw === undefined ? undefined : attrs;
}

// ---------------------------------------------------------------- shapes and costs

/**
 * What one case may cost: elements counts every tensor the case creates (inputs, each node's
 * output and its gradient), flops counts multiply-adds, a matmul's inner dimension counted as at
 * least 1 (a [3e4, 0] @ [0, 3e4] product fills 9e8 zeros). The reference runs a case at the
 * budget's edge in seconds; past it, a case is rejected before anything runs.
 */
export const CASE_BUDGET = { elements: 20_000_000, flops: 2_000_000_000 } as const;

export interface Cost {
  elements: number;
  flops: number;
}

/** A problem with the cost, or null when it fits CASE_BUDGET. */
export function budgetProblem(cost: Cost): string | null {
  const over: string[] = [];
  if (cost.elements > CASE_BUDGET.elements) over.push(`${cost.elements.toExponential(2)} tensor elements (the budget is ${CASE_BUDGET.elements.toExponential(0)})`);
  if (cost.flops > CASE_BUDGET.flops) over.push(`${cost.flops.toExponential(2)} operations (the budget is ${CASE_BUDGET.flops.toExponential(0)})`);
  return over.length === 0 ? null : `the case is too large to run: it needs ${over.join(' and ')}`;
}

type Inputs = Record<string, TensorValue & { requiresGrad: boolean }>;
interface Inferred {
  shape: number[];
  requiresGrad: boolean;
}

/**
 * The output shape of an op tree and whether it requires grad, by the op table's shape rules,
 * with its cost; null (after reporting where) when some node is ill-formed.
 */
export function inferExprShapeAndCost(node: ExprNode, inputs: Inputs, path: PropertyKey[], report: Report): (Inferred & { cost: Cost }) | null {
  const cost: Cost = { elements: 0, flops: 0 };
  for (const t of Object.values(inputs)) cost.elements += 2 * t.data.length;
  const rootPlace: Place = { parent: null, keys: path };
  // Post-order: a node is visited twice, first to push its arguments, then to combine their shapes.
  const stack: { node: ExprNode; place: Place; expanded: boolean }[] = [{ node, place: rootPlace, expanded: false }];
  const results: (Inferred | null)[] = [];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const n = top.node;
    if (n.op === 'input') {
      stack.pop();
      const input = Object.hasOwn(inputs, n.name) ? inputs[n.name] : undefined;
      if (input === undefined) {
        const names = Object.keys(inputs);
        report(pathOf(top.place, 'name'), `no input named '${n.name}' (${names.length === 0 ? 'the case has no inputs' : `inputs: ${names.join(', ')}`})`);
      }
      results.push(input === undefined ? null : { shape: input.shape, requiresGrad: input.requiresGrad });
      continue;
    }
    if (n.op === 'const') {
      stack.pop();
      results.push({ shape: [], requiresGrad: false });
      continue;
    }
    if (!top.expanded) {
      top.expanded = true;
      for (let i = n.args.length - 1; i >= 0; i--) stack.push({ node: n.args[i], place: { parent: top.place, keys: ['args', i] }, expanded: false });
      continue;
    }
    stack.pop();
    const args = results.splice(results.length - n.args.length, n.args.length);
    const signature = OP_SIGNATURES[n.op];
    const attrs = n.attrs ?? {};
    const attrsOk = Object.entries(signature.attrs).every(([key, rule]) => (Object.hasOwn(attrs, key) ? rule.ok(attrs[key]) : !rule.required));
    if (args.some((a) => a === null) || args.length !== signature.arity || !attrsOk) {
      results.push(null);
      continue;
    }
    const [a, b] = args as Inferred[];
    const shape = outputShape(n.op, a.shape, b?.shape, attrs, (message, attr) => {
      report(attr === undefined ? pathOf(top.place) : pathOf(top.place, 'attrs', attr), message);
      return null;
    });
    if (shape === null) {
      results.push(null);
      continue;
    }
    const size = sizeOf(shape);
    cost.elements += 2 * size;
    cost.flops += n.op === 'matmul' ? size * Math.max(1, a.shape[1]) : Math.max(size, sizeOf(a.shape), b === undefined ? 0 : sizeOf(b.shape));
    results.push({ shape, requiresGrad: args.some((x) => x!.requiresGrad) });
  }
  const out = results[0];
  return out === null ? null : { ...out, cost };
}

/** The output shape of an op tree and whether it requires grad; null (after reporting where) when some node is ill-formed. */
export function inferExprShape(node: ExprNode, inputs: Inputs, path: PropertyKey[], report: Report): Inferred | null {
  const out = inferExprShapeAndCost(node, inputs, path, report);
  return out === null ? null : { shape: out.shape, requiresGrad: out.requiresGrad };
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
      // No −1 leaves the target as it is; a zero beside the −1 gives 0/0 or x/0, which the check below rejects.
      const resolved = target.map((d, i) => (i === inferred ? size / known : d));
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
