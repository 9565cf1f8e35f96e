/**
 * The unsquared norm is not weight decay: the equivalence property, run on it, fails. The shrunk
 * counterexample is kept in fixtures/evidence/ and replayed here, so the evidence stays checked.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../src/backends/reference.ts';
import { decodeJson } from '../src/cases/json.ts';
import type { SGDSpec, TrainCase } from '../src/cases/types.ts';
import { expectPenaltyMatchesDecay, unsquaredNormEquivalence } from './l2.ts';

const EVIDENCE = new URL('../fixtures/evidence/unsquared-norm-counterexample.json', import.meta.url);

describe('the unsquared norm, run through the weight-decay equivalence', () => {
  it('is falsified by fast-check', async () => {
    const details = await fc.check(unsquaredNormEquivalence(), { seed: 1, numRuns: 200 });
    expect(details.failed).toBe(true);
  });

  it('still fails on the kept counterexample, whose weight tensors do not have norm 1', async () => {
    const { counterexample, message } = decodeJson(readFileSync(EVIDENCE, 'utf8')) as { counterexample: [TrainCase<SGDSpec>, number]; message: string };
    const [c, lambda] = counterexample;
    await expect(expectPenaltyMatchesDecay(referenceBackend(), c, 'norm', lambda, lambda)).rejects.toThrow(message.split(':')[0]);
    expect(Object.values(c.init).some((w) => Math.hypot(...w) !== 1)).toBe(true);
  });
});
