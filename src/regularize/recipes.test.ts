/**
 * The recipe catalogue. Each penalty computes what its entry says, value and gradient, on one
 * hand-computed case: parameters [3, −4] (norm 5) and [0, 2] (norm 2), λ = 0.5, so Σw² = 29 and
 * Σ‖W‖ = 7. (The claims compare them with weight decay; these pin each one down on its own.)
 * And every entry is complete: its texts written, its verdict a known kind, its claims named
 * family.name, every penalty described by the entry of its own id.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '../engine/index.ts';
import { CATALOGUE, PENALTIES, type VerdictKind } from './recipes.ts';

const LAMBDA = 0.5;

/** The penalty's value and the gradient it gives the two parameters. */
function run(id: string, options: { start?: number } = {}) {
  const params = [tensor([3, -4], { requiresGrad: true }), tensor([0, 2], { requiresGrad: true })];
  const value = PENALTIES[id](params, LAMBDA, options);
  if (!(value instanceof Tensor)) return { value, grads: null };
  value.backward();
  return { value: value.item(), grads: params.map((p) => [...p.grad!.data]) };
}

describe('the penalties of the recipe catalogue', () => {
  it.each([
    // λ·0.5·Σw² = 0.25·29, gradient λ·w.
    ['half-pow-sum', 7.25, [[1.5, -2], [0, 1]]],
    // λ·Σw² = 0.5·29, gradient 2λ·w = w.
    ['pow-sum', 14.5, [[3, -4], [0, 2]]],
    // λ·Σ0.5·‖W‖², as half-pow-sum up to rounding.
    ['half-norm-squared', 7.25, [[1.5, -2], [0, 1]]],
    // λ·Σ‖W‖², as pow-sum up to rounding.
    ['norm-squared', 14.5, [[3, -4], [0, 2]]],
    // λ·Σ‖W‖ = 0.5·7, gradient λ·w/‖w‖.
    ['norm', 3.5, [[0.3, -0.4], [0, 0.5]]],
    ['norm-from-zero', 3.5, [[0.3, -0.4], [0, 0.5]]],
    // λ·Σ|w| = 0.5·9, gradient λ·sign(w), 0 at the exact zero.
    ['l1', 4.5, [[0.5, -0.5], [0, 0.5]]],
  ])('%s: value %s, in the graph', (id, value, grads) => {
    const got = run(id);
    expect(got.value).toBeCloseTo(value, 14);
    expect(got.grads).not.toBeNull();
    got.grads!.flat().forEach((g, i) => expect(g).toBeCloseTo(grads.flat()[i], 14));
  });

  it('norm-item: the same value as norm, but a plain number, out of the graph', () => {
    expect(run('norm-item')).toEqual({ value: 3.5, grads: null });
  });

  it("norm-uninit-leaf: norm's gradients, its value offset by λ times the start", () => {
    // λ·(10 + 7) = 8.5.
    const got = run('norm-uninit-leaf', { start: 10 });
    expect(got.value).toBeCloseTo(8.5, 14);
    got.grads!.flat().forEach((g, i) => expect(g).toBeCloseTo([0.3, -0.4, 0, 0.5][i], 14));
    expect(() => run('norm-uninit-leaf')).toThrow(
      new RangeError("penalty 'norm-uninit-leaf' needs the accumulator's arbitrary start value ('start')"),
    );
  });

  it('norm-uninit-leaf: its accumulator is a leaf that requires grad, in the graph without parameters too', () => {
    const penalty = PENALTIES['norm-uninit-leaf']([], LAMBDA, { start: 10 });
    expect(penalty instanceof Tensor && penalty.requiresGrad).toBe(true);
    expect((penalty as Tensor).item()).toBe(5);
  });

  it.each(['pow-sum', 'half-norm-squared', 'norm-squared', 'norm'])('%s: rejects an empty parameter list', (id) => {
    expect(() => PENALTIES[id]([], LAMBDA, {})).toThrow(
      new RangeError('penalty: no parameters to penalize (did a filter exclude all of them?)'),
    );
  });
});

describe('the catalogue', () => {
  const KINDS: VerdictKind[] = [
    'equivalent',
    'equivalent-within-rounding',
    'not-equivalent',
    'detached',
    'pitfall',
    'fact',
  ];

  const entries = CATALOGUE.map((e) => [e.id, e] as const);
  it.each(entries)('%s: texts written, a known verdict, claims named family.name', (id, entry) => {
    expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    for (const text of [entry.title, entry.pytorch, entry.computes, entry.verdict]) expect(text.trim()).not.toBe('');
    expect(KINDS).toContain(entry.verdictKind);
    expect(entry.claims.length).toBeGreaterThan(0);
    for (const claim of entry.claims) expect(claim).toMatch(/^[a-z0-9-]+\.[a-z0-9-]+$/);
  });

  it('has unique ids, and describes each penalty in the entry of its own id', () => {
    const ids = CATALOGUE.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const described = CATALOGUE.filter((e) => e.penalty !== undefined).map((e) => [e.id, e.penalty]);
    expect(described).toEqual(Object.keys(PENALTIES).map((id) => [id, id]));
  });
});
