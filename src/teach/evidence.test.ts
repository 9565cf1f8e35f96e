import { describe, expect, it } from 'vitest';
import { U } from '../check/float.ts';
import { SGD } from '../optim/index.ts';
import { CATALOGUE, PENALTIES, type CatalogueEntry } from '../regularize/recipes.ts';
import { makeOptimizer, type ReferenceOverrides } from '../backends/reference.ts';
import { OPS, type Tensor } from '../engine/index.ts';
import { computeEvidence, hasLiveEvidence, type Evidence, type Fact } from './evidence.ts';
import { LAMBDA, STEPS, threadCase } from './scenarios.ts';

const entry = (id: string): CatalogueEntry => {
  const found = CATALOGUE.find((e) => e.id === id);
  if (found === undefined) throw new Error(`the catalogue has no entry '${id}'`);
  return found;
};

const evidence = new Map(CATALOGUE.map((e) => [e.id, computeEvidence(e)]));
const facts = (id: string): Fact[] => evidence.get(id)?.facts ?? [];
const fact = (id: string, measured: RegExp): Fact => {
  const found = facts(id).find((f) => measured.test(f.measured));
  if (found === undefined) throw new Error(`entry '${id}' has no fact matching ${measured}`);
  return found;
};

/** The entries this version demonstrates live: the thread's recipes and facts. */
const DEMONSTRATED = [
  'half-pow-sum', 'pow-sum', 'half-norm-squared', 'norm-squared', 'norm', 'norm-from-zero', 'norm-item', 'norm-uninit-leaf',
  'weights-only', 'l1', 'sqrt-sum-squares', 'no-zero-grad', 'mse-mean', 'backward-twice', 'exploding',
  'thread-literal-pair', 'adam-vs-adamw', 'sgd-momentum-decoupled', 'inplace-square-update',
];

describe('live evidence on the reference engine', () => {
  it('covers every thread entry, and every measurement agrees with its verdict', () => {
    for (const id of DEMONSTRATED) {
      expect(hasLiveEvidence(id), id).toBe(true);
      expect(facts(id).length, id).toBeGreaterThan(0);
      for (const f of facts(id)) expect(f.agrees, `${id}: ${f.measured} = ${String(f.value)}`).toBe(true);
    }
  });

  it('is deterministic', () => {
    const again = CATALOGUE.map((e) => computeEvidence(e));
    expect(again).toEqual(CATALOGUE.map((e) => evidence.get(e.id)));
  });

  it('reports an entry it cannot demonstrate as having no evidence, not as a pass', () => {
    const unknown: CatalogueEntry = { id: 'adamw-decoupled', title: 't', pytorch: 'p', computes: 'c', verdictKind: 'fact', verdict: 'v', claims: ['x.y'] };
    expect(hasLiveEvidence(unknown.id)).toBe(false);
    expect(computeEvidence(unknown)).toEqual({ entryId: 'adamw-decoupled', setup: null, facts: [] });
  });

  it('measures the numbers that independent computations predict', () => {
    const init = threadCase().init;
    // Bit-identity is a gap of exactly 0 over every step and parameter of the 4 settings.
    const identity = fact('half-pow-sum', /SGD\(weight_decay=λ\)/);
    const size = Object.values(init).flat().length;
    expect(identity.value).toBe(0);
    expect(identity.detail).toBe(`0 of ${4 * STEPS * size} values differ`);
    // The item() penalty moves the loss by its value λ·Σ‖W‖ (hypot: an independent norm).
    const offset = fact('norm-item', /reported loss/).value as number;
    const penalty = LAMBDA * Object.values(init).reduce((s, w) => s + Math.hypot(...w), 0);
    // Losses near 4 carry roundings of about u·4 ≈ 9e-16 each, a handful of them: 1e-14 bounds them.
    expect(Math.abs(offset - penalty)).toBeLessThanOrEqual(1e-14);
    // The unsquared norm pulls each tensor with the factor 1/‖W‖ instead of weight decay's 1. The
    // measured ratio carries a few roundings of numbers near 1; 12 digits leave room for them.
    const pull = fact('norm', /pull/).value as Record<string, number>;
    for (const [name, w] of Object.entries(init)) expect(pull[name]).toBeCloseTo(1 / Math.hypot(...w), 12);
    // The uninitialised leaf offsets the loss by λ times its start value 7.5.
    expect(fact('norm-uninit-leaf', /reported loss/).value).toBeCloseTo(LAMBDA * 7.5, 12);
    expect(fact('l1', /gradient/).value).toEqual([0, 0, LAMBDA, -LAMBDA]);
    expect(fact('sqrt-sum-squares', /norm\(2\)/).value).toEqual([0, 0, 0, 0]);
    expect(fact('sqrt-sum-squares', /sqrt\(\)/).value).toEqual([NaN, NaN, NaN, NaN]);
    expect(fact('mse-mean', /D = 1 /).value).toBeCloseTo(1, 14);
    expect(fact('mse-mean', /D = 3 /).value).toBeCloseTo(3, 14);
    expect(fact('backward-twice', /without retainGraph$/).value).toMatch(/retainGraph: true/);
    expect(fact('backward-twice', /with retainGraph/).value).toEqual([2, 2, 2]);
    // Pure L2 descent: ‖w_t‖ = |1 − a|^t·‖w_0‖, so after 40 steps 0.9^40 and 1.1^40. The evidence's
    // own bound is (4·40 + 3)·u; the doubles 0.9 and 1.1 differ from |1 − a| by ≤ 0.6u relative,
    // which 40 powers turn into ≤ 24u more: 200u covers both.
    const plain = fact('exploding', /plain SGD/).value as Record<string, number>;
    expect(Math.abs(plain['lr·λ = 1.9'] / 0.9 ** STEPS - 1)).toBeLessThanOrEqual(200 * U);
    expect(Math.abs(plain['lr·λ = 2.1'] / 1.1 ** STEPS - 1)).toBeLessThanOrEqual(200 * U);
    // The step-2 gradient without zeroGrad is exactly g₁ + g₂.
    expect(fact('no-zero-grad', /g₁ \+ g₂/).value).toBe(0);
    expect(fact('no-zero-grad', /drift/).value as number).toBeGreaterThan(0.1);
  });
});

describe('broken engines are caught: the evidence contradicts the verdict', () => {
  const contradicted = (id: string, overrides: ReferenceOverrides): Evidence => computeEvidence(entry(id), { overrides });
  const anyContradiction = (e: Evidence) => e.facts.some((f) => !f.agrees);

  it('an SGD that ignores weight_decay', () => {
    const overrides: ReferenceOverrides = {
      makeOptimizer: (groups, spec) => {
        if (spec.kind !== 'sgd') throw new Error(`the teaching cases use SGD, got '${spec.kind}'`);
        const { kind: _kind, weightDecay: _ignored, ...options } = spec;
        return new SGD(groups.map((g) => ({ ...g, weightDecay: 0 })), options);
      },
    };
    for (const id of ['half-pow-sum', 'pow-sum', 'weights-only']) expect(anyContradiction(contradicted(id, overrides)), id).toBe(true);
  });

  it('an item() penalty that stays in the graph', () => {
    expect(anyContradiction(contradicted('norm-item', { penalties: { ...PENALTIES, 'norm-item': PENALTIES.norm } }))).toBe(true);
  });

  it('a squared norm that lost its 0.5', () => {
    expect(anyContradiction(contradicted('half-norm-squared', { penalties: { ...PENALTIES, 'half-norm-squared': PENALTIES['norm-squared'] } }))).toBe(true);
  });

  it('an unsquared norm that is secretly weight decay', () => {
    expect(anyContradiction(contradicted('norm', { penalties: { ...PENALTIES, norm: PENALTIES['half-pow-sum'] } }))).toBe(true);
  });

  it('an accumulator from 0 that drops out of the graph', () => {
    expect(anyContradiction(contradicted('norm-from-zero', { penalties: { ...PENALTIES, 'norm-from-zero': PENALTIES['norm-item'] } }))).toBe(true);
  });

  it("an AdamW whose decay is coupled like Adam's", () => {
    const overrides: ReferenceOverrides = { makeOptimizer: (groups, spec) => makeOptimizer(groups, spec.kind === 'adamw' ? { ...spec, kind: 'adam' } : spec) };
    expect(anyContradiction(contradicted('adam-vs-adamw', overrides))).toBe(true);
  });

  it('an in-place update that subtracts λ·w²', () => {
    const restore = OPS.square;
    (OPS as Record<string, unknown>).square = { ...restore, forward: ([x]: Tensor[]) => ({ data: Float64Array.from(x.data, (v) => -v * v), shape: x.shape }) };
    try {
      expect(anyContradiction(contradicted('inplace-square-update', {}))).toBe(true);
    } finally {
      (OPS as Record<string, unknown>).square = restore;
    }
  });
});
