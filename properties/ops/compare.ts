/**
 * Comparing one op's results on a backend with the reference's, element by element, within the
 * accuracy table (accuracy.ts). The reference runs at the very inputs the backend received.
 */
import type { Backend, Dtype } from '../../src/backends/backend.ts';
import { referenceBackend } from '../../src/backends/reference.ts';
import type { ExprResult } from '../../src/cases/types.ts';
import { fmt } from '../support.ts';
import { OP_ACCURACY, allowedError, toDtype } from './accuracy.ts';
import { describeCase, isElementwiseUnary, toExprCase, type OpCase } from './cases.ts';

export const reference = referenceBackend();

/** The same op over absolute values (sub becomes add): each element is Σ|terms| of the original. */
export function absoluteCase(c: OpCase): OpCase {
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, { shape: t.shape, data: t.data.map(Math.abs) }]));
  return { ...c, op: c.op === 'sub' ? 'add' : c.op, inputs, seed: c.seed.map(Math.abs) };
}

export interface ReferenceRun {
  result: ExprResult;
  /** Σ|terms| per element of the value and of each gradient ('terms' ops), else the result's own magnitude. */
  valueScale: number[];
  gradScale: Record<string, number[]>;
}

/** The reference's run of a case and, for a 'terms' op, of its absolute case; without gradients, only the forward pass runs (its values are the same). */
async function referenceRuns(c: OpCase, withGrad: boolean): Promise<{ result: ExprResult; source: ExprResult }> {
  const result = await reference.runExpr(toExprCase(c, withGrad));
  const terms = OP_ACCURACY[c.op].scale === 'terms' ? await reference.runExpr(toExprCase(absoluteCase(c), withGrad)) : null;
  return { result, source: terms ?? result };
}

/** The reference's value of a case and its scale, for a claim about values alone. */
export async function referenceValues(c: OpCase): Promise<Pick<ReferenceRun, 'result' | 'valueScale'>> {
  const { result, source } = await referenceRuns(c, false);
  return { result, valueScale: source.value.data.map(Math.abs) };
}

export async function runReference(c: OpCase): Promise<ReferenceRun> {
  const { result, source } = await referenceRuns(c, true);
  const valueScale = source.value.data.map(Math.abs);
  const gradScale = Object.fromEntries(Object.entries(source.grads).map(([k, g]) => [k, (g ?? []).map(Math.abs)]));
  if (c.op === 'tanh') {
    // g·(1 − y²) is computed from a rounded y: its error is relative to |g|·(1 + y²).
    gradScale.x = gradScale.x.map((s, i) => s + Math.abs(c.seed[i]) * result.value.data[i] ** 2);
  }
  return { result, valueScale, gradScale };
}

/** How many terms each element of the value sums (n of the accuracy table). */
export function valueTerms(c: OpCase): number {
  const x = c.inputs.x ?? c.inputs.a;
  const count = x.data.length;
  if (c.op === 'matmul') return x.shape[1];
  if (c.op === 'norm') return count;
  if (c.op === 'sum' || c.op === 'mean') {
    const axis = c.attrs.axis as number | null | undefined;
    return axis === null || axis === undefined ? count : x.shape[axis < 0 ? axis + x.shape.length : axis];
  }
  return 1;
}

/** How many terms each element of an input's gradient sums: the positions it was stretched to, matmul's other dimension. */
export function gradTerms(c: OpCase, input: string, outputSize: number): number {
  if (c.op === 'matmul') return input === 'a' ? c.inputs.b.shape[1] : c.inputs.a.shape[0];
  return Math.max(1, outputSize / c.inputs[input].data.length);
}

/**
 * Whether got is within `allowed` of the reference value r brought to the dtype: ±∞ must match
 * exactly and ±0 match each other. Where the reference gives NaN (a pole: c/0 and 0/0 met in a
 * broadcast sum, ∞ − ∞), any non-finite result agrees, since which of them a library's formula
 * meets first is not specified.
 */
export function agrees(got: number, r: number, allowed: number, dtype: Dtype): boolean {
  const expected = toDtype(r, dtype);
  if (Number.isNaN(expected)) return !Number.isFinite(got);
  if (!Number.isFinite(expected) || !Number.isFinite(got)) return got === expected;
  return Math.abs(got - r) <= allowed;
}

/** The inputs as a message shows them: each name with its values. */
export function showInputs(c: OpCase): string {
  return Object.entries(c.inputs)
    .map(([k, t]) => `${k} = [${t.data.map(fmt).join(', ')}]`)
    .join(', ');
}

export function where(c: OpCase): string {
  return `${describeCase(c)} at ${showInputs(c)}`;
}

const bound = (r: number, allowed: number) =>
  Number.isFinite(r) ? `allowed error ${allowed} by docs/ops.md's accuracy table` : 'a non-finite value must match exactly';

/**
 * pow at x = −0 with a non-integer exponent: −0 is the limit from below, where no real power exists,
 * so the sign of the infinite value (and gradient) there is a choice. The table follows C's pow
 * (+∞ for x^−0.5); PyTorch computes x^±0.5 through √x, and 1/√−0 = −∞.
 */
function signedZeroPoleChoice(c: OpCase, i: number, got: number, r: number): string | null {
  const p = c.attrs.exponent as number;
  if (c.op !== 'pow' || Number.isInteger(p) || !Object.is(c.inputs.x.data[i], -0)) return null;
  if (!(Math.abs(got) === Infinity && got === -r)) return null;
  return "pow(−0, p) for a non-integer p: an infinity of the opposite sign to C's pow (the reference's), in the value or the gradient";
}

/** A choice at a singular point where the backend differs from the table, for observe.policy. */
export interface Choice {
  what: string;
  input: string;
  element: number;
}

/**
 * Throws, naming the op, the inputs, the element and both values, unless the backend's value
 * agrees; returns the elements where it made another choice at a singular point.
 */
export function expectValuesAgree(backend: Backend, c: OpCase, mine: ExprResult, ref: Pick<ReferenceRun, 'result' | 'valueScale'>): Choice[] {
  const choices: Choice[] = [];
  const theirs = mine.value;
  const expected = ref.result.value;
  if (theirs.shape.join() !== expected.shape.join()) {
    throw new Error(`${where(c)}: the value has shape [${theirs.shape.join(', ')}], the reference's [${expected.shape.join(', ')}]`);
  }
  const k = OP_ACCURACY[c.op].value[backend.dtype];
  const n = valueTerms(c);
  expected.data.forEach((r, i) => {
    const allowed = allowedError(k, backend.dtype, n, ref.valueScale[i]);
    if (!agrees(theirs.data[i], r, allowed, backend.dtype)) {
      const choice = isElementwiseUnary(c.op) ? signedZeroPoleChoice(c, i, theirs.data[i], r) : null;
      if (choice !== null) {
        choices.push({ what: choice, input: 'x', element: i });
        return;
      }
      throw new Error(`${where(c)}: value[${i}] is ${fmt(theirs.data[i])}, the reference's ${fmt(r)} (${bound(r, allowed)})`);
    }
  });
  return choices;
}

/**
 * A gradient at a kink that differs from the reference's yet is another valid subgradient
 * (relu′(0) = 1, abs′(0) = ±1, a norm's subgradient at zero): a policy, not an error.
 */
function kinkChoice(c: OpCase, input: string, i: number, got: number): string | null {
  const x = c.inputs[input].data;
  const g = c.seed[c.op === 'norm' ? 0 : i];
  const within = (lo: number, hi: number) => got >= Math.min(lo, hi) && got <= Math.max(lo, hi);
  if (c.op === 'abs' && x[i] === 0 && within(-g, g)) return `abs′(0) = ${fmt(got / g)} (the reference: 0)`;
  if (c.op === 'relu' && x[i] === 0 && within(0, g)) return `relu′(0) = ${fmt(got / g)} (the reference: 0)`;
  if (c.op === 'norm' && c.attrs.p === 1 && x[i] === 0 && within(-g, g)) return `norm(p = 1)′ at a zero element = ${fmt(got / g)} (the reference: 0)`;
  return null;
}

/**
 * Throws, naming the op, the inputs, the input and element and both values, unless every gradient
 * agrees; returns the elements where the backend chose another valid subgradient.
 */
export function expectGradientsAgree(backend: Backend, c: OpCase, mine: ExprResult, ref: ReferenceRun): Choice[] {
  const k = OP_ACCURACY[c.op].grad[backend.dtype];
  const outputSize = ref.result.value.data.length;
  const policies: Choice[] = [];
  const zeroTensor = c.op === 'norm' && c.attrs.p !== 1 && c.inputs.x.data.every((v) => v === 0);
  for (const [name, expected] of Object.entries(ref.result.grads)) {
    const got = mine.grads[name];
    if (expected === null) continue;
    if (got === null || got === undefined || got.length !== expected.length) {
      throw new Error(`${where(c)}: the gradient of ${name} is ${got ? `${got.length} values` : 'missing'}, the reference has ${expected.length}`);
    }
    if (zeroTensor && got.some((v, i) => v !== expected[i])) {
      const norm = Math.sqrt(got.reduce((s, v) => s + v * v, 0));
      if (norm <= Math.abs(c.seed[0])) {
        policies.push({ what: 'norm(p = 2)′ at the zero tensor is a nonzero subgradient of norm at most |g| (the reference: 0)', input: name, element: 0 });
        continue;
      }
    }
    const n = gradTerms(c, name, outputSize);
    expected.forEach((r, i) => {
      if (overflowsInDtype(c, ref, i, backend.dtype)) return;
      const allowed = allowedError(k, backend.dtype, n, ref.gradScale[name][i]);
      if (agrees(got[i], r, allowed, backend.dtype)) return;
      const choice = kinkChoice(c, name, i, got[i]) ?? signedZeroPoleChoice(c, i, got[i], r);
      if (choice !== null) {
        policies.push({ what: choice, input: name, element: i });
        return;
      }
      throw new Error(`${where(c)}: the gradient of ${name}[${i}] is ${fmt(got[i])}, the reference's ${fmt(r)} (${bound(r, allowed)})`);
    });
  }
  return policies;
}

/**
 * An elementwise op's value that is finite in float64 but overflows in the backend's dtype (exp(89)
 * in float32): its gradient formula (g·y for exp) then reads ±∞, in PyTorch as anywhere, so the
 * float64 reference's finite gradient is no expectation for it. Such elements are not judged.
 */
function overflowsInDtype(c: OpCase, ref: ReferenceRun, i: number, dtype: Dtype): boolean {
  if (!isElementwiseUnary(c.op)) return false;
  const r = ref.result.value.data[i];
  return Number.isFinite(r) && !Number.isFinite(toDtype(r, dtype));
}
