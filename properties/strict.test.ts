/**
 * Every claim against the strict test backend (properties/strict.ts), over several capability
 * subsets: each claim must pass or be not applicable, with zero errors (an error is an undeclared
 * feature sent). A modest run count here; scripts/strict-capabilities.ts runs 1000.
 */
import { describe, expect, it } from 'vitest';
import { ARITH_PYTORCH, ARITH_REFERENCE, caseCapabilities, everyCapability } from '../src/backends/capabilities.ts';
import { arbitrariesFor } from '../src/cases/arbitraries.ts';
import { DEFAULT_SEED } from '../src/runner/config.ts';
import { formatFailure, runClaim } from '../src/runner/run.ts';
import fc from 'fast-check';
import { ALL_CLAIMS } from './index.ts';
import { STRICT_SUBSETS, strictBackend } from './strict.ts';

const RUNS = 4;

// The fixture claims replay fixed cases whose requirements are computed by caseCapabilities itself,
// and the gradcheck claims never call a backend: both take seconds, so only the script runs them here.
const CLAIMS = ALL_CLAIMS.filter((c) => !c.id.startsWith('fixtures.') && !c.id.startsWith('gradcheck.'));

describe('the strict backend', () => {
  it('refuses a case that uses an undeclared feature, naming it', async () => {
    const backend = strictBackend('no tanh', ['layer:linear', 'loss:mse:mean', 'optimizer:sgd']);
    const [c] = fc.sample(arbitrariesFor('float64').trainCase({ model: fc.constant({ inputSize: 1, layers: [{ outFeatures: 1, activation: 'tanh' as const }] }) }), { numRuns: 1, seed: 3 });
    await expect(backend.runTrain({ ...c, loss: { kind: 'mse', reduction: 'mean' } })).rejects.toThrow(/using act:tanh/);
  });

  it('every claim requires only names of the vocabulary', () => {
    const known = new Set([...everyCapability(), ARITH_REFERENCE, ARITH_PYTORCH]);
    const unknown = ALL_CLAIMS.flatMap((c) => c.requires.flatMap((r) => r.split('|')).filter((name) => !known.has(name)).map((name) => `${c.id}: ${name}`));
    expect(unknown).toEqual([]);
  });

  it('generated cases never use more than the backend declares', () => {
    for (const [name, caps] of Object.entries(STRICT_SUBSETS)) {
      const A = arbitrariesFor({ dtype: 'float64', capabilities: new Set(caps) });
      if (A.reductions.length === 0 || !caps.includes('optimizer:sgd')) continue;
      for (const c of fc.sample(A.trainCase(), { numRuns: 20, seed: 1 })) {
        const undeclared = [...caseCapabilities(c)].filter((cap) => !caps.includes(cap));
        expect(undeclared, `${name}`).toEqual([]);
      }
    }
  });
});

for (const [subset, caps] of Object.entries(STRICT_SUBSETS)) {
  describe(`every claim on the strict backend '${subset}'`, () => {
    const backend = strictBackend(subset, caps);
    for (const claim of CLAIMS) {
      it(claim.id, async () => {
        const result = await runClaim(claim, backend, { runs: RUNS, seed: DEFAULT_SEED }, { failuresDir: null });
        expect(['pass', 'not-applicable', 'policy-difference'], formatFailure(result, DEFAULT_SEED)).toContain(result.verdict);
      });
    }
  });
}
