import { describe, expect, it } from 'vitest';
import { U } from '../check/float.ts';
import { CATALOGUE, PENALTIES } from '../regularize/recipes.ts';
import { buildFigures, type Figure, type Panel, type Series } from './figures.ts';
import { LAMBDA, referenceRunner, threadCase } from './scenarios.ts';

const figures = buildFigures();
const figure = (id: string): Figure => figures.find((f) => f.id === id)!;
const panel = (f: Figure, key: string): Panel => f.panels.find((p) => p.key === key)!;
const series = (p: Panel, key: string): Series => p.series.find((s) => s.key === key)!;
const sameFloats = (a: Series, b: Series) => a.points.length === b.points.length && a.points.every(([x, y], i) => Object.is(x, b.points[i][0]) && Object.is(y, b.points[i][1]));

/**
 * The thread's network evaluated with plain loops, independently of the engine: relu(x·W0ᵀ + b0)
 * then ·W2ᵀ + b2, and the mean of the squared errors.
 */
function independentMse(params: Record<string, number[]>): number {
  const { x, y } = threadCase().data;
  let total = 0;
  x.forEach((row, n) => {
    const hidden = Array.from({ length: 5 }, (_, j) => Math.max(0, params['0.bias'][j] + row.reduce((s, v, k) => s + v * params['0.weight'][j * 5 + k], 0)));
    const out = params['2.bias'][0] + hidden.reduce((s, h, j) => s + h * params['2.weight'][j], 0);
    total += (out - y[n][0]) ** 2;
  });
  return total / x.length;
}

describe('the figures of the report', () => {
  it('belong to catalogue entries and have unique identifiers and series', () => {
    const ids = new Set(CATALOGUE.map((e) => e.id));
    expect(new Set(figures.map((f) => f.id)).size).toBe(figures.length);
    for (const f of figures) {
      expect(ids.has(f.entryId), `${f.id} illustrates '${f.entryId}'`).toBe(true);
      for (const p of f.panels) expect(new Set(p.series.map((s) => s.key)).size, `${f.id}/${p.key}`).toBe(p.series.length);
    }
  });

  it('draw overlapping curves only where the data are bit-identical', () => {
    for (const f of figures) {
      for (const p of f.panels) {
        for (const s of p.series.filter((t) => t.matches !== undefined)) {
          expect(sameFloats(s, series(p, s.matches!)), `${f.id}/${p.key}: ${s.key} on ${s.matches}`).toBe(true);
        }
      }
    }
    // And the contrasting curves really differ.
    const withoutHalf = panel(figure('plot-l2-without-half'), 'parameterNorm');
    expect(sameFloats(series(withoutHalf, 'manual'), series(withoutHalf, 'decay'))).toBe(false);
    const unsquared = panel(figure('plot-unsquared-norm'), 'parameterNorm');
    expect(sameFloats(series(unsquared, 'manual'), series(unsquared, 'decay'))).toBe(false);
  });

  it('start every training curve from the values an independent computation gives', () => {
    const init = threadCase().init;
    // Two float64 evaluations of this 10×5 network differ only in summation order: about a hundred
    // roundings of terms below 10, each ≤ 10·u ≈ 2e-15, so they agree to 1e-12.
    const mse = independentMse(init);
    const norm = Math.hypot(...Object.values(init).flat());
    for (const id of ['plot-l2-vs-weight-decay', 'plot-l2-without-half', 'plot-unsquared-norm', 'plot-missing-zero-grad']) {
      for (const s of panel(figure(id), 'dataLoss').series) expect(Math.abs(s.points[0][1] - mse), `${id}/${s.key}`).toBeLessThanOrEqual(1e-12);
      for (const s of panel(figure(id), 'parameterNorm').series) expect(s.points[0]).toEqual([0, norm]);
    }
    // After 40 steps too, from the final parameters of an independent run of the same case.
    const last = referenceRunner()(threadCase()).params.at(-1)!;
    const none = series(panel(figure('plot-l2-vs-weight-decay'), 'dataLoss'), 'none');
    expect(Math.abs(none.points[40][1] - independentMse(last))).toBeLessThanOrEqual(1e-12);
  });

  it('show pure L2 descent shrinking by |1 − lr·λ| per step below the bound and growing past it', () => {
    const p = panel(figure('plot-stability'), 'parameterNorm');
    expect(p.yScale).toBe('log');
    for (const [key, rate] of [['stable', 0.9], ['unstable', 1.1]] as const) {
      const points = series(p, key).points;
      const start = points[0][1];
      // (4t + 3)·u from the update's roundings (see the exploding evidence), plus ≤ 0.6u·t for
      // the doubles 0.9 and 1.1 standing in for |1 − a|.
      points.forEach(([t, norm]) => expect(Math.abs(norm / (start * rate ** t) - 1), `${key} at step ${t}`).toBeLessThanOrEqual((5 * t + 3) * U));
    }
  });

  it('show the gradient at zero: 0 for norm, NaN for sqrt(sum(w²)), the same elsewhere', () => {
    const f = figure('plot-gradient-at-zero');
    const norm = series(panel(f, 'gradient-norm'), 'norm').points;
    const composed = series(panel(f, 'gradient-sqrt'), 'sqrt').points;
    expect(norm.length).toBe(21);
    norm.forEach(([t, g], i) => {
      // ∂‖W‖/∂w₁ = 0.6·sign(t) along W = t·(0.6, 0.8); t, 0.6·t, the norm, its reciprocal and the
      // product round about six times in all, each by ≤ u relative.
      if (t === 0) expect(g).toBe(0);
      else expect(Math.abs(g - 0.6 * Math.sign(t))).toBeLessThanOrEqual(6 * U * 0.6);
      expect(composed[i][0]).toBe(t);
      if (t === 0) expect(composed[i][1]).toBeNaN();
      else expect(composed[i][1]).toBe(g);
    });
  });

  it('show the item() penalty moving the reported loss by λ·Σ‖W‖ and nothing else', () => {
    const f = figure('plot-detached-penalty');
    const loss = panel(f, 'reportedLoss');
    const penalty = LAMBDA * Object.values(threadCase().init).reduce((s, w) => s + Math.hypot(...w), 0);
    // Losses near 4 carry a handful of roundings of about 9e-16 each.
    expect(Math.abs(series(loss, 'detached').points[0][1] - series(loss, 'none').points[0][1] - penalty)).toBeLessThanOrEqual(1e-14);
    expect(series(panel(f, 'parameterNorm'), 'none').matches).toBe('detached');
  });

  it('reveal a broken engine: curves declared to overlap stop overlapping', () => {
    const broken = buildFigures(referenceRunner({ penalties: { ...PENALTIES, 'pow-sum': PENALTIES['half-pow-sum'] } }));
    const p = panel(broken.find((f) => f.id === 'plot-l2-without-half')!, 'parameterNorm');
    expect(sameFloats(series(p, 'decay-2'), series(p, 'manual'))).toBe(false);
  });
});
