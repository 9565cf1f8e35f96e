import fc from 'fast-check';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackendError, CaseDeclined, type Backend } from '../backends/backend.ts';
import { referenceBackend } from '../backends/reference.ts';
import type { ClaimResult } from './claim.ts';
import { claimSeed } from './config.ts';
import { MAX_SHRUNK_KINDS } from './collect.ts';
import { formatFailure } from './format.ts';
import { readRequestFile } from './requests.ts';
import { DEFAULT_FAILURES_DIR, runClaim } from './run.ts';
import { savedFailureFile, SAVED_FORMAT, SAVED_VERSION } from './saved.ts';
import { backendWith, declinesAll, declinesMultiplesOf3, doubled, holds, intClaim, ints, throwsBackendError, throwsPlain, twoKinds } from './testdata/claims.ts';

const config = { runs: 60, seed: 11 };
const temp = () => mkdtempSync(join(tmpdir(), 'regproof-run-'));
/** The integers the claim's run draws, derived apart from the runner: fast-check's own sample at the claim's seed. */
const drawn = (id: string) => fc.sample(ints, { seed: claimSeed(config.seed, id), numRuns: config.runs });

describe('every distinct failure of a claim', () => {
  it('finds, shrinks and counts each kind, not only the first', async () => {
    const result = await runClaim(twoKinds, referenceBackend(), config, { distinctFailures: true });
    expect(result.verdict).toBe('fail');
    const byMessage = Object.fromEntries(result.failures!.map((f) => [f.message.replace(/\d+/g, 'N'), f]));
    expect(Object.keys(byMessage).sort()).toEqual(['odd: N', 'too big: N']);
    // Shrunk to the smallest case of each kind, on its own.
    expect(byMessage['too big: N'].counterexample).toEqual([501]);
    // fast-check's integer shrinker halves toward 0, so an odd case stops at the first odd it cannot halve.
    const [odd] = byMessage['odd: N'].counterexample as [number];
    expect(odd % 2 === 1 && odd <= 500).toBe(true);
    const xs = drawn(twoKinds.id);
    expect(byMessage['too big: N'].count).toBe(xs.filter((x) => x > 500).length);
    expect(byMessage['odd: N'].count).toBe(xs.filter((x) => x <= 500 && x % 2 === 1).length);
    expect(result.failure).toEqual(result.failures![0]);
    const text = formatFailure(result, config.seed);
    expect(text).toMatch(/2 distinct kinds of failure/);
    expect(text).toMatch(/failure 2 of 2 \(shrunk, \d+ of 60 generated cases\)/);
    expect(formatFailure(result, { runSeed: 11, command: 'npx vitest run -t synthetic.two-kinds' })).toMatch(/\n  rerun: npx vitest run -t synthetic\.two-kinds$/);
    // Off, the run stops at the first failure, as fast-check does on its own.
    const first = await runClaim(twoKinds, referenceBackend(), config);
    expect(first.failures).toHaveLength(1);
    expect(first.failure!.count).toBeUndefined();
  });

  it('shrinks a bounded number of kinds and counts the rest with their first case', async () => {
    const many = intClaim('synthetic.many-kinds', (x) => {
      throw new Error(`residue ${'abcdefghij'[x % 10]}`);
    });
    const result = await runClaim(many, referenceBackend(), config, { distinctFailures: true });
    const shrunk = result.failures!.filter((f) => f.shrunk);
    expect(shrunk).toHaveLength(MAX_SHRUNK_KINDS);
    expect(result.failures!.length).toBe(new Set(drawn(many.id).map((x) => x % 10)).size);
    expect(result.failures!.reduce((n, f) => n + f.count!, 0)).toBe(config.runs);
  });
});

describe('declined cases', () => {
  it('counts a declined case as not applicable, shows the reason, and judges the rest', async () => {
    const backend = declinesMultiplesOf3();
    const result = await runClaim(holds, backend, config);
    expect(result.verdict).toBe('pass');
    expect(result.declined!.count).toBeGreaterThan(0);
    expect(result.declined!.reasons).toEqual([{ reason: 'multiples of 3 are not supported', count: result.declined!.count }]);
  });

  it('declined wins even when the claim turns the exception into a failure of its own', async () => {
    const swallowing = intClaim('synthetic.swallows', () => undefined);
    const claim = { ...swallowing, property: (b: Parameters<typeof swallowing.property>[0]) => fc.asyncProperty(ints, async (x) => {
      await b.runExpr(doubled(x)).catch(() => {
        throw new Error('the backend misbehaved');
      });
    }) };
    const result = await runClaim(claim, declinesMultiplesOf3(), config);
    expect(result.verdict).toBe('pass');
  });

  it('counts a case that sends two requests as declined once, however late its second reply comes', async () => {
    // The first request of a multiple of 3 is declined at once; every other reply comes a macrotask
    // later, as from an adapter answering in its own time. The next case's requests are then out
    // when the declined case's second reply arrives.
    const SECOND = 10_000;
    const later = <T>(answer: () => Promise<T>) => new Promise<void>((resolve) => setImmediate(resolve)).then(answer);
    const backend = backendWith((c, inner) => {
      const x = c.inputs.x.data[0];
      const declined = () => Promise.reject(new CaseDeclined('multiples of 3 are not supported'));
      if (x < SECOND) return x % 3 === 0 ? declined() : later(() => inner.runExpr(c));
      return later(() => ((x - SECOND) % 3 === 0 ? declined() : inner.runExpr(c)));
    });
    let multiplesOf3 = 0;
    const twoRequests = { ...holds, id: 'synthetic.two-requests', property: (b: Backend) => fc.asyncProperty(ints, async (x) => {
      if (x % 3 === 0) multiplesOf3++;
      await Promise.all([b.runExpr(doubled(x)), b.runExpr(doubled(SECOND + x))]);
    }) };
    const result = await runClaim(twoRequests, backend, config);
    expect(result.verdict).toBe('pass');
    expect(multiplesOf3).toBeGreaterThan(0);
    expect(result.declined).toEqual({ count: multiplesOf3, reasons: [{ reason: 'multiples of 3 are not supported', count: multiplesOf3 }] });
  });

  it.each([
    ['a decline', (why: string) => new CaseDeclined(why), (r: ClaimResult) => r.declined!.reasons.map((x) => x.reason)],
    ['a backend error', (why: string) => new BackendError(why), (r: ClaimResult) => [r.failure!.message]],
  ])('a case whose two requests both end in %s is told by the first sent, whichever reply comes first', async (_what, thrown, told) => {
    // Every case fails both ways: the first request's reply comes a macrotask after the second's.
    const backend = backendWith((c) => (c.inputs.x.data[0] < 0
      ? Promise.reject(thrown('second sent'))
      : new Promise<void>((resolve) => setImmediate(resolve)).then(() => Promise.reject(thrown('first sent')))));
    const both = { ...holds, id: 'synthetic.both-refused', property: (b: Backend) => fc.asyncProperty(ints, async (x) => {
      await Promise.all([b.runExpr(doubled(x)), b.runExpr(doubled(-1 - x))]);
    }) };
    expect(told(await runClaim(both, backend, { runs: 3, seed: 1 }))).toEqual(['first sent']);
  });

  it('a claim whose every case is declined is not applicable, at a bounded cost', async () => {
    const backend = declinesAll();
    const result = await runClaim(holds, backend, config);
    expect(result.verdict).toBe('not-applicable');
    expect(result.declined).toEqual({ count: config.runs, reasons: [{ reason: 'this backend runs no expressions', count: config.runs }] });
    expect(backend.calls).toBe(config.runs);
  });
});

describe('cases the claim itself discards', () => {
  it('a run where fast-check gave up on skipped cases is not a pass', async () => {
    const discards = { ...holds, id: 'synthetic.discards', property: () => fc.asyncProperty(ints, async () => fc.pre(false)) };
    const result = await runClaim(discards, referenceBackend(), { runs: 2, seed: 1 });
    expect(result.verdict).toBe('fail');
    expect(result.failure!.message).toMatch(/fast-check gave up: too many generated cases were skipped \(0 ran\)/);
  });
});

describe('a backend that throws', () => {
  it.each([
    ['a plain exception (a module method that throws)', throwsPlain, /synthetic: runExpr threw TypeError: cannot read properties of undefined/],
    ['a BackendError', throwsBackendError, /adapter crashed/],
  ])('%s is a backend error, never a claim failure, and never saved', async (_what, make, message) => {
    const dir = temp();
    const result = await runClaim(holds, make(), { runs: 200, seed: 5 }, { failuresDir: dir });
    expect(result.verdict).toBe('error');
    expect(result.failure!.message).toMatch(message);
    expect(formatFailure(result, 5)).toMatch(/could not be judged: the backend synthetic failed\n.*\n  reason: .*\n  the request it failed on: runExpr \{"kind":"expr"/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('saved failures', () => {
  const broken = () => backendWith(async (c, inner) => {
    const r = await inner.runExpr(c);
    return c.inputs.x.data[0] > 900 ? { ...r, value: { ...r.value, data: [0] } } : r;
  });

  it('are saved in a versioned file, replayed first, and removed once they pass', async () => {
    const dir = temp();
    const first = await runClaim(holds, broken(), config, { failuresDir: dir });
    expect(first.verdict).toBe('fail');
    const file = savedFailureFile(dir, holds.id, 'synthetic');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved).toMatchObject({ format: SAVED_FORMAT, version: SAVED_VERSION, claim: holds.id, backend: 'synthetic', cases: [[901]] });
    // Replayed even with a seed whose own cases would all pass.
    const again = await runClaim(holds, broken(), { runs: 1, seed: 99 }, { failuresDir: dir });
    expect(again.failure).toMatchObject({ replayed: true, counterexample: [901] });
    expect(readdirSync(join(dir, 'requests'))).toEqual([`synthetic--${holds.id}--1.json`]);
    const fixed = await runClaim(holds, backendWith((c, inner) => inner.runExpr(c)), config, { failuresDir: dir });
    expect(fixed.verdict).toBe('pass');
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(join(dir, 'requests'))).toEqual([]);
  });

  it('two runs replaying a now-passing failure both survive the race to delete it', async () => {
    const dir = temp();
    await runClaim(holds, broken(), config, { failuresDir: dir });
    const fixed = () => runClaim(holds, backendWith((c, inner) => inner.runExpr(c)), config, { failuresDir: dir });
    const [a, b] = await Promise.all([fixed(), fixed()]);
    expect([a.verdict, b.verdict]).toEqual(['pass', 'pass']);
    expect(existsSync(savedFailureFile(dir, holds.id, 'synthetic'))).toBe(false);
  });

  const header = { format: SAVED_FORMAT, version: SAVED_VERSION, claim: holds.id, backend: 'reference', cases: [[3]] };
  it.each([
    ['empty', '', /is empty/],
    ['truncated', '{"format": "regproof-saved-fail', /not valid JSON/],
    ['corrupt', '\u0000\u0001garbage', /not valid JSON/],
    ['foreign-shaped (an older regproof)', JSON.stringify({ claim: holds.id, backend: 'reference', seed: 1, path: '0', counterexample: [{ kind: 'train' }] }), /not a regproof saved failure/],
    ['a newer version', JSON.stringify({ ...header, version: 99, generator: 'x' }), /format version 99/],
    ['from other generators', JSON.stringify({ ...header, generator: 'ffffffff' }), /other generators/],
    ['for another claim', JSON.stringify({ ...header, claim: 'l2.other', generator: 'x' }), /belongs to claim 'l2.other'/],
  ])('a saved failure that is %s is reported by name and skipped, and a correct backend still passes', async (_what, text, why) => {
    const dir = temp();
    const file = savedFailureFile(dir, holds.id, 'reference');
    writeFileSync(file, text);
    const result = await runClaim(holds, referenceBackend(), config, { failuresDir: dir });
    expect(result.verdict).toBe('pass');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings![0]).toContain(file);
    expect(result.warnings![0]).toMatch(why);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('an unwritable folder is a warning: the failure is still reported with its case', async () => {
    const blocker = join(temp(), 'not-a-folder');
    writeFileSync(blocker, '');
    const result = await runClaim(holds, broken(), config, { failuresDir: blocker });
    expect(result.verdict).toBe('fail');
    expect(result.failure!.counterexample).toEqual([901]);
    expect(result.warnings!.join('\n')).toMatch(new RegExp(`cannot save the failure to ${blocker}.*(ENOTDIR|EEXIST)`));
  });

  it('a read-only folder is a warning too', async () => {
    const dir = temp();
    mkdirSync(join(dir, 'ro'));
    chmodSync(join(dir, 'ro'), 0o500);
    const result = await runClaim(holds, broken(), config, { failuresDir: join(dir, 'ro') });
    chmodSync(join(dir, 'ro'), 0o700);
    expect(result.verdict).toBe('fail');
    // root writes anyway; everyone else gets the warning.
    if (readdirSync(join(dir, 'ro')).length === 0) expect(result.warnings!.join('\n')).toMatch(/cannot save the failure/);
  });

  it('without a folder nothing is written, so test suites leave the working tree clean', async () => {
    const result = await runClaim(holds, broken(), config);
    expect(result.verdict).toBe('fail');
    expect(existsSync(join(process.cwd(), DEFAULT_FAILURES_DIR, `synthetic--${holds.id}.json`))).toBe(false);
  });
});

describe('the requests of a failing case', () => {
  it('are captured as the backend received them and saved for replay', async () => {
    const dir = temp();
    const received: unknown[] = [];
    const backend = backendWith(async (c, inner) => {
      received.push(structuredClone(c));
      const r = await inner.runExpr(c);
      return c.inputs.x.data[0] > 900 ? { ...r, value: { ...r.value, data: [0] } } : r;
    });
    const result = await runClaim(holds, backend, config, { failuresDir: dir });
    const f = result.failure!;
    expect(f.requests).toEqual([{ method: 'runExpr', case: doubled(901) }]);
    expect(received).toContainEqual(doubled(901));
    const file = readRequestFile(f.requestFile!);
    expect(file).toMatchObject({ claim: holds.id, backend: 'synthetic', requests: [{ method: 'runExpr', case: doubled(901) }] });
    expect(file.message).toBe(f.message);
  });

  it('of a declined case are not a failure either', async () => {
    const backend = backendWith(() => Promise.reject(Object.assign(new Error('no'), { name: 'CaseDeclined', reason: 'by name only' })));
    const result = await runClaim(holds, backend, config);
    expect(result.verdict).toBe('not-applicable');
    expect(result.declined!.reasons[0].reason).toBe('by name only');
    expect(new CaseDeclined('r').name).toBe('CaseDeclined');
  });
});
