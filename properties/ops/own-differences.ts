/**
 * (c) The gradient checker run through the backend: each declared op's gradient against central
 * differences of the backend's OWN values, so a wrong derivative shows even when the value is
 * right (and when the reference is not consulted at all).
 *
 * Inputs are multiples of 2^-10 in [−2, 2], at least 1/2 from an op's kinks and poles, so x ± h
 * and x ± 2h are exact in both dtypes for the steps used (2^-17 in float64, 2^-7 in float32:
 * gradcheck's baseStep for |x| ≤ 2). Elementwise ops get every element perturbed at once, the four
 * stencil points stacked into one request; other ops are checked along a ±1 direction per input,
 * four requests per input. The error allowed is twice the gap between the steps h and 2h (three
 * times the truncation error of h, see gradcheck's Richardson notes), the value noise the accuracy
 * table allows divided by the step, and the gradient's own rounding.
 */
import fc from 'fast-check';
import type { Backend, Dtype } from '../../src/backends/backend.ts';
import { baseStep } from '../../src/check/gradcheck.ts';
import type { OpName } from '../../src/engine/index.ts';
import { CASE_VERSION, type ExprCase } from '../../src/cases/types.ts';
import type { Claim } from '../../src/runner/claim.ts';
import { fmt } from '../support.ts';
import { OP_ACCURACY, allowedError } from './accuracy.ts';
import { inputNames, isElementwiseUnary, opCaseArb, opGraph, toExprCase, type OpCase } from './cases.ts';
import { gradTerms, runReference, valueTerms, where } from './compare.ts';

const U = 2 ** -53;

/** Ops whose inputs stay at least 1/2 away from 0 (a kink or pole there), and those also kept positive (no real value below 0). */
const AWAY_FROM_ZERO: readonly OpName[] = ['abs', 'relu', 'sign', 'div', 'norm', 'pow'];
const POSITIVE: readonly OpName[] = ['log', 'sqrt', 'pow'];

function gridArb(op: OpName): fc.Arbitrary<number> {
  const min = POSITIVE.includes(op) || AWAY_FROM_ZERO.includes(op) ? 512 : -2048;
  const magnitude = fc.integer({ min: Math.max(min, 0), max: 2048 });
  const signed = fc.tuple(magnitude, fc.boolean()).map(([m, neg]) => (neg ? -m : m));
  const k = POSITIVE.includes(op) ? magnitude : AWAY_FROM_ZERO.includes(op) ? signed : fc.integer({ min, max: 2048 });
  return k.map((v) => v / 1024);
}

const stepFor = (dtype: Dtype) => 2 * baseStep('central', dtype);

/** Value-only evaluation of the op at the given input data. */
function valueCase(c: OpCase, data: Record<string, { shape: number[]; data: number[] }>): ExprCase {
  const inputs = Object.fromEntries(Object.entries(data).map(([k, t]) => [k, { shape: t.shape, data: t.data, requiresGrad: false }]));
  return { kind: 'expr', version: CASE_VERSION, inputs, graph: opGraph(c) };
}

interface Stencil {
  /** Q(h) and Q(2h): difference quotients of seed·f along the direction. */
  q1: number;
  q2: number;
  /** Their noise from the values' allowed errors. */
  noise: number;
}

function stencil(c: OpCase, dtype: Dtype, h: number, values: number[][], scales: number[], seed: number[]): Stencil {
  const k = OP_ACCURACY[c.op].value[dtype];
  const n = valueTerms(c);
  const contract = (ys: number[]) => ys.reduce((s, y, j) => s + seed[j] * y, 0);
  // The value's allowed error at the larger of the point's scale (doubled for the step) and |y|, and our own contraction's roundings.
  const noiseAt = (y: number, j: number, m: number) => allowedError(k, dtype, n, Math.max(2 * scales[j], Math.abs(y))) + 2 * m * U * Math.abs(y);
  const noiseOf = (ys: number[]) => ys.reduce((s, y, j) => s + Math.abs(seed[j]) * noiseAt(y, j, ys.length), 0);
  const [plus, minus, plus2, minus2] = values;
  return {
    q1: (contract(plus) - contract(minus)) / (2 * h),
    q2: (contract(plus2) - contract(minus2)) / (4 * h),
    noise: (noiseOf(plus) + noiseOf(minus)) / (2 * h) + (noiseOf(plus2) + noiseOf(minus2)) / (4 * h),
  };
}

function expectClose(s: Stencil, analytic: number, gradAllowed: number, what: () => string): void {
  if (![s.q1, s.q2, analytic].every(Number.isFinite)) return;
  const allowed = 2 * Math.abs(s.q1 - s.q2) + 2 * s.noise + gradAllowed + 8 * U * (Math.abs(s.q1) + Math.abs(analytic));
  if (!(Math.abs(analytic - s.q1) <= allowed)) {
    throw new Error(`${what()}: the backend's gradient gives ${fmt(analytic)}, central differences of its own values ${fmt(s.q1)} (allowed error ${allowed})`);
  }
}

async function elementwise(backend: Backend, c: OpCase, grad: number[]): Promise<void> {
  const h = stepFor(backend.dtype);
  const x = c.inputs.x;
  const offsets = [h, -h, 2 * h, -2 * h];
  const stacked = { shape: [4, ...x.shape], data: offsets.flatMap((d) => x.data.map((v) => v + d)) };
  const result = await backend.runExpr(valueCase(c, { x: stacked }));
  const size = x.data.length;
  const values = offsets.map((_, s) => result.value.data.slice(s * size, (s + 1) * size));
  const ref = await runReference(c);
  const kg = OP_ACCURACY[c.op].grad[backend.dtype];
  x.data.forEach((_, i) => {
    const s = stencil(c, backend.dtype, h, values.map((ys) => [ys[i]]), [ref.valueScale[i]], [c.seed[i]]);
    expectClose(s, grad[i], allowedError(kg, backend.dtype, 1, ref.gradScale.x[i]), () => `${where(c)}: element x[${i}]`);
  });
}

async function directional(backend: Backend, c: OpCase, grads: Record<string, number[] | null>, signs: boolean[]): Promise<void> {
  const h = stepFor(backend.dtype);
  const ref = await runReference(c);
  const kg = OP_ACCURACY[c.op].grad[backend.dtype];
  const outputSize = ref.result.value.data.length;
  for (const name of inputNames(c.op)) {
    const t = c.inputs[name];
    const v = t.data.map((_, i) => (signs[i % signs.length] ? 1 : -1));
    const shifted = (d: number) => ({ ...c.inputs, [name]: { shape: t.shape, data: t.data.map((x, i) => x + d * v[i]) } });
    const results = await Promise.all([h, -h, 2 * h, -2 * h].map((d) => backend.runExpr(valueCase(c, shifted(d)))));
    const s = stencil(c, backend.dtype, h, results.map((r) => r.value.data), ref.valueScale, c.seed);
    const g = grads[name] ?? [];
    const analytic = g.reduce((acc, gi, i) => acc + gi * v[i], 0);
    const scale = ref.gradScale[name].reduce((acc, gi) => acc + gi, 0);
    const allowed = allowedError(kg, backend.dtype, gradTerms(c, name, outputSize), scale) + 2 * g.length * U * scale;
    expectClose(s, analytic, allowed, () => `${where(c)}: along direction [${v.join(', ')}] of input ${name}`);
  }
}

export function ownDifferencesClaim(op: OpName): Claim {
  return {
    id: `ops.${op}.own-differences`,
    statement:
      `${op}'s gradient agrees with central differences of the backend's own values (away from kinks and poles), ` +
      'so a wrong derivative fails even where the value is right.',
    requires: [`op:${op}`],
    property: (backend: Backend) =>
      fc.asyncProperty(opCaseArb(op, backend.dtype, gridArb(op)), fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), async (c, signs) => {
        const base = await backend.runExpr(toExprCase(c));
        if (isElementwiseUnary(op)) await elementwise(backend, c, base.grads.x ?? []);
        else await directional(backend, c, base.grads, signs);
      }),
  };
}
