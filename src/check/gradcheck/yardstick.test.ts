import { describe, expect, it } from 'vitest';
import { Random } from '../../engine/index.ts';
import { yardstick } from './yardstick.ts';

describe('yardstick', () => {
  it('is mean((tanh(a·w) − b)²) with a, b and w drawn in that order from Random(n)', () => {
    const n = 5;
    const rng = new Random(n);
    const a = Array.from({ length: n }, () => rng.uniform(-2, 2));
    const b = Array.from({ length: n }, () => rng.uniform(-1, 1));
    const w = Array.from({ length: n }, () => rng.uniform(-1, 1));
    const stick = yardstick(n);
    expect(Array.from(stick.w.data)).toEqual(w);
    expect(stick.w.shape).toEqual([n]);
    expect(stick.w.requiresGrad).toBe(true);
    const expected = a.reduce((s, ai, i) => s + (Math.tanh(ai * w[i]) - b[i]) ** 2, 0) / n;
    expect(stick.f(stick.w).item()).toBeCloseTo(expected, 14);
    // The gradient flows back to w: ∂f/∂wᵢ = 2(tanh(aᵢwᵢ) − bᵢ)(1 − tanh²(aᵢwᵢ))aᵢ/n.
    stick.f(stick.w).backward();
    const grad = a.map((ai, i) => (2 * (Math.tanh(ai * w[i]) - b[i]) * (1 - Math.tanh(ai * w[i]) ** 2) * ai) / n);
    Array.from(stick.w.grad!.data).forEach((g, i) => expect(g).toBeCloseTo(grad[i], 14));
  });
});
