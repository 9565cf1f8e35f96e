import { describe, expect, it } from 'vitest';
import { referenceBackend, runTraining } from '../src/backends/reference.ts';
import type { Backend } from '../src/backends/backend.ts';
import { U } from '../src/check/float.ts';
import { randomTorchFixtures } from './fixture-support.ts';
import { checkGradientsAtTorchParameters, gradientBound } from './fixtures-gradients.ts';

const float64Runs = randomTorchFixtures().filter((f) => f.dtype === 'float64' && f.case.zeroGrad);

interface Deviation {
  relative: number;
  boundUse: number;
  /** The conditioning bound over 2u·|gradient|: how much larger the terms are than their sum (times K). */
  conditioning: number;
}

/** Every nonzero first-step gradient element of every float64 random run, against PyTorch's. */
function deviations(): Deviation[] {
  const all: Deviation[] = [];
  for (const f of float64Runs) {
    const bound = gradientBound(f.case, f.case.init, 'float64', 'float64');
    const ours = runTraining({ ...f.case, steps: 1 }).grads[0];
    for (const [name, grads] of Object.entries(ours)) {
      grads.forEach((g, i) => {
        const torch = f.result.grads[0][name][i];
        if (torch === 0) return;
        const diff = Math.abs(g - torch);
        all.push({ relative: diff / Math.abs(torch), boundUse: diff / bound.grads[name][i], conditioning: bound.grads[name][i] / (2 * U * Math.abs(torch)) });
      });
    }
  }
  return all;
}

describe('gradients against PyTorch within the conditioning bound', () => {
  it('accepts ill-conditioned gradients that a relative tolerance fit to the well-conditioned ones would reject', () => {
    const all = deviations();
    const wellConditioned = Math.max(...all.filter((d) => d.conditioning < 100).map((d) => d.relative));
    const worst = all.reduce((a, d) => (d.relative > a.relative ? d : a));
    // Ten times the largest well-conditioned deviation is still exceeded, by gradients whose terms
    // are thousands of times their sum; the conditioning bound accepts them with room to spare.
    expect(worst.relative).toBeGreaterThan(10 * wellConditioned);
    expect(worst.conditioning).toBeGreaterThan(1e3);
    expect(worst.boundUse).toBeLessThan(1);
    expect(Math.max(...all.map((d) => d.boundUse))).toBeLessThan(1);
  });

  it('rejects a backend whose gradients are off by a relative 1e-9, in each of 15 float64 runs', async () => {
    const reference = referenceBackend();
    const skewed: Backend = {
      ...reference,
      name: 'skewed',
      runTrain: async (c) => {
        const run = await reference.runTrain(c);
        return { ...run, grads: run.grads.map((g) => Object.fromEntries(Object.entries(g).map(([k, vs]) => [k, vs.map((v) => v * (1 + 1e-9))]))) };
      },
    };
    const runs = float64Runs.slice(0, 15);
    let rejected = 0;
    for (const f of runs) {
      await expect(checkGradientsAtTorchParameters(reference, f)).resolves.toBeDefined();
      rejected += await checkGradientsAtTorchParameters(skewed, f).then(() => 0, () => 1);
    }
    expect(rejected).toBe(runs.length);
  });
});
