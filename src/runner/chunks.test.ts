import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../backends/backend.ts';
import { referenceBackend } from '../backends/reference.ts';
import { runCaseRange, walkCases, type CaseRecord } from './chunks.ts';
import type { Claim, ClaimResult } from './claim.ts';
import type { RunConfig } from './config.ts';
import { claimRuns, runClaim } from './run.ts';
import { declinesAll, declinesMultiplesOf3, holds, intClaim, throwsPlain, twoKinds } from './testdata/claims.ts';

const config: RunConfig = { runs: 40, seed: 11 };
const options = { distinctFailures: true };
const withoutTime = ({ ms: _ms, ...rest }: ClaimResult) => rest;

/** The claim's cases run in `pieces` ranges, one after another, then put together by runClaim. */
async function fromRanges(claim: Claim, backend: Backend, pieces: number, config: RunConfig): Promise<ClaimResult> {
  const runs = claimRuns(claim, config);
  const cases: CaseRecord[] = [];
  for (let p = 0; p < pieces; p++) {
    const start = Math.floor((p * runs) / pieces);
    cases.push(...(await runCaseRange(claim, backend, config, { start, count: Math.floor(((p + 1) * runs) / pieces) - start })));
  }
  return runClaim(claim, backend, config, options, { cases, ms: 0 });
}

// Notes in an order that matters (the first of each kind is kept), and cases set aside.
const takesNotes = intClaim('synthetic.notes', (x, _v, observe) => {
  if (x % 7 === 0) observe!.policy({ what: x % 2 === 0 ? 'even sevens' : 'odd sevens', consequence: 'none', example: x });
  if (x % 5 === 0) observe!.illConditioned(`x = ${x}`);
});
const skipsQuarters = intClaim('synthetic.skips', (x) => fc.pre(x % 4 !== 0));
const skipsAll = intClaim('synthetic.skips-all', () => fc.pre(false));

describe('a claim run in ranges of cases', () => {
  it.each([
    ['passing, with notes and cases set aside', takesNotes, referenceBackend()],
    ['skipping cases, so that more are run than the ranges hold', skipsQuarters, referenceBackend()],
    ['skipping every case (fast-check gives up)', skipsAll, referenceBackend(), { runs: 3, seed: 11 }],
    ['with declined cases', holds, declinesMultiplesOf3()],
    ['declined throughout', holds, declinesAll()],
    ['failing two ways (run again whole, shrunk as serially)', twoKinds, referenceBackend()],
    ['on a backend that throws', holds, throwsPlain()],
  ])('reports what the serial run reports: %s', async (_what, claim, backend, run = config) => {
    const serial = await runClaim(claim, backend, run, options);
    const ranged = await fromRanges(claim, backend, 3, run);
    expect(withoutTime(ranged)).toEqual(withoutTime(serial));
  });

  it('covers the notes, skips and declines the comparison relies on', async () => {
    const notes = await runClaim(takesNotes, referenceBackend(), config, options);
    expect(notes.policy!.map((n) => n.what).sort()).toEqual(['even sevens', 'odd sevens']);
    expect(notes.illConditioned!.count).toBeGreaterThan(1);
    expect((await runClaim(holds, declinesMultiplesOf3(), config, options)).declined!.count).toBeGreaterThan(0);
  });

  it('walks the records as fast-check counts them', () => {
    const pass: CaseRecord = { status: 'pass' };
    const skip: CaseRecord = { status: 'skipped' };
    expect(walkCases([pass, skip, pass, pass], 3)).toEqual({ executed: 3, declined: new Map(), events: [] });
    expect(walkCases([pass, skip, pass], 3)).toEqual({ more: 1 });
    // Cases past the last counted one are never reached, whatever they hold.
    expect(walkCases([pass, pass, { status: 'fail' }], 2)).toEqual({ executed: 2, declined: new Map(), events: [] });
    expect(walkCases([pass, { status: 'fail' }, pass], 2)).toBeNull();
    expect(walkCases([pass, { status: 'error' }], 2)).toBeNull();
    expect(walkCases(Array.from({ length: 201 }, () => skip), 2)).toBeNull();
    expect(walkCases(Array.from({ length: 200 }, () => skip), 2)).toEqual({ more: 2 });
    const declined: CaseRecord = { status: 'declined', reason: 'no' };
    expect(walkCases([declined, pass], 2)).toEqual({ more: 1 });
    expect(walkCases([declined, declined], 2)).toBeNull();
  });
});
