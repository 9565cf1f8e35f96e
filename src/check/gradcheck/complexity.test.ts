import { describe, expect, it } from 'vitest';
import { gradcheck } from './driver.ts';
import { countOpWork, type OpWork } from './op-work.ts';
import type { Mode } from './report.ts';
import { yardstick } from './yardstick.ts';

const calls = (work: OpWork): number => work.forwardCalls + work.backwardCalls;

/** gradcheck's op work at n, and the work of one forward+backward of the same function. */
function measure(n: number, mode: Mode): { gradcheck: OpWork; pass: OpWork } {
  const { f, w } = yardstick(n);
  const pass = countOpWork(() => f(w).backward()).work;
  const { result, work } = countOpWork(() => gradcheck(f, [w], { mode }));
  expect(result.verdict).toBe('pass');
  return { gradcheck: work, pass };
}

describe('gradcheck cost, counted in op work', () => {
  it('fast mode: the same number of op calls at every n, and at most 60 forward+backward passes of work', () => {
    const sizes = [100, 1000, 10000];
    const runs = sizes.map((n) => measure(n, 'fast'));
    const opCalls = runs.map((r) => calls(r.gradcheck));
    expect(new Set(opCalls).size).toBe(1);
    const passes = runs.map((r) => r.gradcheck.elements / r.pass.elements);
    for (const p of passes) {
      expect(p).toBeLessThanOrEqual(60);
      // Element work grows exactly like one pass: the same multiple at every n, to rounding of the ratio.
      expect(p).toBeCloseTo(passes[0], 1);
    }
  });

  it('full mode: op calls grow linearly in n (a fixed number of passes per input element)', () => {
    const [small, middle, large] = [10, 20, 40].map((n) => calls(measure(n, 'full').gradcheck));
    // Affine in n: doubling n twice adds twice the calls the first doubling added.
    expect(large - middle).toBe(2 * (middle - small));
    expect(middle - small).toBeGreaterThan(0);
  });
});
