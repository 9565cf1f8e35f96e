import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaArb, trainCaseArb } from '../cases/arbitraries.ts';
import { CaseError } from '../cases/schema.ts';
import type { ExprCase, ExprResult, TrainCase, TrainResult } from '../cases/types.ts';
import { PENALTIES } from '../regularize/recipes.ts';
import { BackendError, type Backend } from './backend.ts';
import { startProcessBackend, type ProcessBackend } from './process.ts';
import { referenceBackend } from './reference.ts';
import { negationChain } from './testdata/cases.ts';
import { echo, failureOf, faulty, leftovers, marker, processesWith, testdata } from './testdata/support.ts';

/** How many requests the adapter process now running has served (the fault adapter's 'count' input). */
async function served(backend: Backend): Promise<number> {
  return (await backend.runExpr(echo('count', [0]))).value.data[0];
}

/** Results equal element for element, −0 and NaN included; throws naming the first difference. */
function expectSame(a: unknown, b: unknown, path = 'result'): void {
  if (typeof a === 'number' || typeof b === 'number') {
    if (!Object.is(a, b)) throw new Error(`${path}: ${String(a)} versus ${String(b)}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) throw new Error(`${path}: ${a.length} versus ${b.length} entries`);
    a.forEach((v, i) => expectSame(v, b[i], `${path}[${i}]`));
  } else if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(a).sort(), path).toEqual(Object.keys(b).sort());
    for (const k of Object.keys(a)) expectSame((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
  } else if (a !== b) throw new Error(`${path}: ${String(a)} versus ${String(b)}`);
}

describe('process backend: handshake and requests', () => {
  let backend: ProcessBackend;
  beforeAll(async () => {
    backend = await faulty({}, 'a b', '$(echo hi); exit 3', '*');
  });
  afterAll(() => backend.close());

  it('describes the backend from the handshake, and passes the arguments verbatim, with no shell in between', () => {
    expect([backend.name, backend.dtype, [...backend.capabilities]]).toEqual(['faulty', 'float64', ['op:none']]);
    // A shell would have split 'a b', run the command substitution and expanded the glob.
    expect(JSON.parse(backend.version)).toEqual(['a b', '$(echo hi); exit 3', '*']);
  });

  it('matches each reply to its request when requests overlap', async () => {
    const cases = Array.from({ length: 8 }, (_, i) => echo(`x${i}`, [i, -i]));
    const results = await Promise.all(cases.map((c) => backend.runExpr(c)));
    results.forEach((r, i) => expectSame(r, { value: { shape: [2], data: [i, -i] }, grads: { [`x${i}`]: [2 * i, -2 * i] } }));
  });

  it('rejects a malformed case before sending it', async () => {
    const before = await served(backend);
    await expect(backend.runExpr({ ...echo('x'), seed: [1] })).rejects.toThrow(CaseError);
    expect(await served(backend)).toBe(before + 1);
  });
});

describe('process backend: fault injection', () => {
  let backend: ProcessBackend;
  beforeAll(async () => {
    // 64 KiB is far above any reply here but the 1 MiB the 'oversized' fault writes.
    backend = await faulty({ requestTimeoutMs: 1_000, maxReplyBytes: 64 * 1024 });
  });
  afterAll(() => backend.close());

  it.each<[string, string, RegExp, RegExp | null]>([
    ['crash', 'crash', /the adapter exited \(exit code 3\) before replying/, /fault adapter: crashing on purpose/],
    ['hang', 'timeout', /no result within the per-case timeout of 1 s/, /fault adapter: hanging on purpose/],
    ['garbage', 'garbage', /the adapter wrote "this is not json", which is not JSON \(stdout is reserved for replies/, null],
    ['oversized', 'oversized', /the reply passed the limit of 65536 bytes without ending its line/, null],
    ['wrongid', 'protocol', /the reply carries id \d+, not \d+/, null],
  ])('%s: reported for that request, then the adapter restarts and the run continues', async (fault, failure, detail, stderr) => {
    await backend.runExpr(echo('warm'));
    expect(await served(backend)).toBeGreaterThan(1);
    const error = await failureOf(backend.runExpr(echo(fault)));
    expect(error).toBeInstanceOf(BackendError);
    expect(error.failure).toBe(failure);
    expect(error.message).toMatch(new RegExp(`^process backend 'faulty' \\(.*fault_adapter\\.mjs\\): request \\d+ \\(expr case\\) failed \\(${failure}\\): `));
    expect(error.message).toMatch(detail);
    expect(error.message).toMatch(/next request starts a new (one|adapter)\./);
    if (stderr !== null) expect(error.stderrTail).toMatch(stderr);
    expectSame(await backend.runExpr(echo('after', [3])), { value: { shape: [1], data: [3] }, grads: { after: [6] } });
    // A fresh process has served the 'after' request and this one.
    expect(await served(backend)).toBe(2);
  });

  it.each<[string, string, RegExp]>([
    ['fails', 'adapter-error', /the adapter reported: deliberate failure\. The adapter keeps running\.$/],
    ['badshape', 'invalid-result', /invalid expression result: value\.shape: \[7\], but the case's output has shape \[2\]\. The adapter keeps running\.$/],
  ])('%s: fails that request only, and the adapter keeps running', async (fault, failure, detail) => {
    const before = await served(backend);
    const error = await failureOf(backend.runExpr(echo(fault)));
    expect(error.failure).toBe(failure);
    expect(error.message).toMatch(detail);
    expect(await served(backend)).toBe(before + 2);
  });
});

describe('process backend: several adapters (jobs)', () => {
  it.each([1, 2, 3])('jobs = %i: concurrent requests spread over that many adapter processes, all stopped by close()', async (jobs) => {
    const mark = marker();
    const backend = await faulty({ jobs }, 'plain', mark);
    try {
      const pids = await Promise.all(Array.from({ length: 6 }, () => backend.runExpr(echo('pid', [0]))));
      expect(new Set(pids.map((r) => r.value.data[0])).size).toBe(jobs);
      expect(processesWith(mark)).toHaveLength(jobs);
    } finally {
      await backend.close();
    }
    expect(await leftovers(mark)).toEqual([]);
  });

  it('rejects a jobs count that is not a positive integer', async () => {
    await expect(faulty({ jobs: 0 })).rejects.toThrow('process backend: jobs must be an integer ≥ 1, got 0');
  });
});

describe('process backend: start-up failures', () => {
  it.each<[string, RegExp]>([
    ['exit-at-start', /the handshake failed \(start\): the adapter exited \(exit code 2\) before replying\.\n--- adapter stderr \(last lines\) ---\nfault adapter: refusing to start$/],
    ['banner', /the handshake failed \(start\): the adapter wrote "Welcome to the fault adapter!", which is not JSON \(stdout is reserved for replies; write logs to stderr\)\.$/],
    ['protocol-2', /the handshake failed \(start\): the adapter speaks protocol 2, this regproof speaks 1\.$/],
  ])('%s', async (mode, message) => {
    const error = await failureOf(faulty({}, mode));
    expect(error.failure).toBe('start');
    expect(error.message).toMatch(message);
  });

  it('a command that does not exist', async () => {
    const error = await failureOf(startProcessBackend({ command: '/nonexistent/adapter' }));
    expect(error.message).toBe(`process backend 'adapter' (/nonexistent/adapter): the handshake failed (start): could not run "/nonexistent/adapter": spawn /nonexistent/adapter ENOENT.`);
  });

  it('refuses requests after close()', async () => {
    const backend = await faulty();
    await backend.close();
    await expect(backend.runExpr(echo('x'))).rejects.toThrow(/process backend 'faulty' .* is closed/);
  });
});

describe('process backend: the reference engine behind the protocol', () => {
  let remote: ProcessBackend;
  const local = referenceBackend();
  beforeAll(async () => {
    remote = await startProcessBackend({ command: process.execPath, args: ['--import', 'tsx', testdata('reference_adapter.ts')] });
  });
  afterAll(() => remote.close());

  const recipeArb = fc.constantFrom(null, ...Object.keys(PENALTIES));
  const trainArb = fc.tuple(trainCaseArb(), recipeArb, lambdaArb, fc.double()).map(([c, recipe, lambda, start]): TrainCase => ({
    ...c,
    penalty: recipe === null ? null : { recipe, lambda, select: 'all', sign: 'add', ...(recipe === 'norm-uninit-leaf' ? { start } : {}) },
  }));

  async function agree(a: Backend, b: Backend, c: TrainCase): Promise<void> {
    const [ra, rb]: TrainResult[] = await Promise.all([a.runTrain(c), b.runTrain(c)]);
    expectSame(ra, rb);
  }

  it('returns results bit-identical to the in-process engine (a property)', async () => {
    await fc.assert(fc.asyncProperty(trainArb, (c) => agree(remote, local, c)), { numRuns: 40 });
  });

  it('the same property fails against a deliberately broken engine', async () => {
    // pow-sum has twice half-pow-sum's gradient, so any case with λ > 0 and a nonzero weight tells them apart.
    const broken = referenceBackend({ penalties: { ...PENALTIES, 'half-pow-sum': PENALTIES['pow-sum'] } });
    const withHalfPowSum = trainArb.map((c): TrainCase => ({ ...c, penalty: { recipe: 'half-pow-sum', lambda: 0.5, select: 'all', sign: 'add' } }));
    await expect(fc.assert(fc.asyncProperty(withHalfPowSum, (c) => agree(remote, broken, c)), { numRuns: 40 })).rejects.toThrow(/Property failed/);
  });

  it('runs a case 100,001 ops deep: encoded, decoded, validated and evaluated without recursion', async () => {
    expect(await remote.runExpr(negationChain(100_001))).toEqual({ value: { shape: [], data: [-3] }, grads: { x: [-1, -1] } });
  });

  it('carries NaN, ±Infinity and −0 both ways', async () => {
    // log at 0, −0, −1, NaN gives −∞, −∞, NaN, NaN; its gradient g/x gives +∞, −∞, −1, NaN for g = 1 (−0 seed: −0/−1 = 0).
    const c: ExprCase = { kind: 'expr', version: 1, inputs: { x: { shape: [4], data: [0, -0, -1, NaN], requiresGrad: true } }, graph: { op: 'log', args: [{ op: 'input', name: 'x' }] }, seed: [1, 1, -0, 1] };
    const expected: ExprResult = { value: { shape: [4], data: [-Infinity, -Infinity, NaN, NaN] }, grads: { x: [Infinity, -Infinity, 0, NaN] } };
    expectSame(await remote.runExpr(c), expected);
  });
});
