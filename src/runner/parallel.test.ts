import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_CLAIMS } from '../../properties/index.ts';
import type { Backend } from '../backends/backend.ts';
import { DEFAULT_LIMITS } from '../backends/lifecycle.ts';
import { loadBackend } from '../backends/load.ts';
import { startProcessBackend } from '../backends/process.ts';
import { referenceBackend } from '../backends/reference.ts';
import type { Claim, ClaimResult } from './claim.ts';
import { dealTasks, defaultJobs, defaultThreads, parseThreads, runClaims, taker, type BackendSource } from './parallel.ts';
import { savedFailureFile } from './saved.ts';

// The reference engine with the L2 penalty's 0.5 dropped: some of these claims fail on it with a
// shrunk counterexample, others pass, so the comparison covers both.
const source: BackendSource = { backend: 'src/cli/testdata/half-dropped-backend.ts' };
const claims = ALL_CLAIMS.filter((c) => c.id.startsWith('l2.') || c.id.startsWith('zero.') || c.id.startsWith('graph.'));
const config = { runs: 10, seed: 7 };

async function run(threads: number, mainThreadRuns: boolean, only: readonly Claim[] = claims, minRangeCases?: number): Promise<{ results: ClaimResult[]; indices: number[] }> {
  const backend = await loadBackend(source);
  const results: ClaimResult[] = [];
  const indices: number[] = [];
  await runClaims({ claims: only, backend, source, config, threads, mainThreadRuns, minRangeCases, options: { failuresDir: null } }, (r, i) => {
    results.push(r);
    indices.push(i);
  });
  return { results, indices };
}

const withoutTimes = (results: ClaimResult[]) => results.map(({ ms: _ms, ...rest }) => rest);

describe('claims across worker threads', () => {
  it('report what a serial run reports, in the same order: verdicts, seeds, counterexamples', async () => {
    const serial = await run(1, true);
    const verdicts = new Set(serial.results.map((r) => r.verdict));
    expect(verdicts).toContain('fail');
    expect(verdicts).toContain('pass');
    expect(serial.results.find((r) => r.verdict === 'fail')!.failure!.counterexample).toBeDefined();

    // Two workers and an idle main thread: every claim is run by a worker.
    const parallel = await run(2, false);
    expect(parallel.indices).toEqual(claims.map((_, i) => i));
    expect(withoutTimes(parallel.results)).toEqual(withoutTimes(serial.results));

    // Each claim cut into ranges of 3 or 4 cases, run by the workers, put together in the main thread.
    const ranged = await run(2, false, claims, 3);
    expect(ranged.indices).toEqual(claims.map((_, i) => i));
    expect(withoutTimes(ranged.results)).toEqual(withoutTimes(serial.results));
  });

  it('cut claims of many cases into ranges in place, keeping the claims\' order', async () => {
    const backend = await loadBackend(source);
    const few = { ...claims[0], id: 'few', runsScale: 0.5 };
    const many = { ...claims[1], id: 'many', runsScale: 2 };
    const fixed = { ...claims[2], id: 'fixed', runsScale: 0 };
    const tasks = dealTasks([few, many, fixed], backend, { runs: 400, seed: 1 });
    expect(tasks.map((t) => [t.claim, t.range?.start, t.range?.count])).toEqual([
      [0, 0, 100], [0, 100, 100],
      [1, 0, 100], [1, 100, 100], [1, 200, 100], [1, 300, 100], [1, 400, 100], [1, 500, 100], [1, 600, 100], [1, 700, 100],
      [2, undefined, undefined],
    ]);
    expect(dealTasks([few], backend, { runs: 398, seed: 1 })).toEqual([{ claim: 0 }]);
    // A claim with a saved failure (replayed first) runs whole.
    const dir = mkdtempSync(join(tmpdir(), 'regproof-deal-'));
    try {
      writeFileSync(savedFailureFile(dir, 'many', backend.name), '{}');
      expect(dealTasks([few, many], backend, { runs: 400, seed: 1 }, dir).map((t) => t.claim)).toEqual([0, 0, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('give every task to exactly one thread, the front one taking from the start and the others from the end', () => {
    const taskCount = 7;
    const state = new Int32Array(new SharedArrayBuffer(4 * (3 + taskCount)));
    const front = taker(state, taskCount, true);
    const [back1, back2] = [taker(state, taskCount, false), taker(state, taskCount, false)];
    const taken = [front(), back1(), back2(), front(), back1(), front(), back2()];
    expect(taken).toEqual([0, 6, 5, 1, 4, 2, 3]);
    // Every task is taken: each thread stops at its next call, the front one included.
    expect([front(), back1(), back2()]).toEqual([undefined, undefined, undefined]);
  });

  it('stop the front thread where the back ones reached, and the back ones where the front one did', () => {
    const state = new Int32Array(new SharedArrayBuffer(4 * (2 + 4)));
    const [front, back] = [taker(state, 4, true), taker(state, 4, false)];
    expect([back(), back(), back(), front(), front()]).toEqual([3, 2, 1, 0, undefined]);
    const again = new Int32Array(new SharedArrayBuffer(4 * (2 + 4)));
    const [front2, back2] = [taker(again, 4, true), taker(again, 4, false)];
    expect([front2(), front2(), front2(), back2(), back2()]).toEqual([0, 1, 2, 3, undefined]);
  });

  it('refuse a claim that a worker could not load by id', async () => {
    const stranger: Claim = { ...claims[0], id: 'test.unregistered' };
    await expect(run(2, false, [stranger])).rejects.toThrow(/'test\.unregistered' is not in properties\/index\.ts/);
  });

  it("give workers the run's limits, and stop a worker whose module backend leaves a timer and a server behind", async () => {
    process.env.REGPROOF_HOSTILE_MODULE = 'never-settles,keeps-node-alive';
    try {
      const hostile: BackendSource = { backend: 'src/backends/testdata/hostile_module.ts', limits: { ...DEFAULT_LIMITS, caseTimeoutMs: 200 } };
      const results: ClaimResult[] = [];
      const only = ALL_CLAIMS.filter((c) => c.id === 'mse.mean-divides-by-every-element');
      await runClaims({ claims: only, backend: referenceBackend(), source: hostile, config, threads: 1, mainThreadRuns: false }, (r) => results.push(r));
      expect(results.map((r) => [r.verdict, r.failure?.message])).toEqual([['error', expect.stringMatching(/failed: no result within the per-case timeout of 200 ms/)]]);
    } finally {
      delete process.env.REGPROOF_HOSTILE_MODULE;
    }
  }, 60_000);

  it('send a process backend requests from every thread, through the main thread\'s instance', async () => {
    const adapter = await startProcessBackend({ command: process.execPath, args: ['--import', 'tsx', 'src/cli/testdata/half_dropped_adapter.ts'], jobs: 2 });
    // Until two requests have been in flight at once, each waits (at most 60 s, since a worker
    // thread starting on a busy machine takes seconds) for another: only requests sent side by
    // side get through early, and the most seen at once says how many were.
    let inFlight = 0;
    let most = 0;
    let release = () => {};
    const together = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 60_000);
      release = () => (clearTimeout(timer), resolve());
    });
    const gated = <C, R>(run: (c: C) => Promise<R>) => async (c: C): Promise<R> => {
      most = Math.max(most, ++inFlight);
      if (most >= 2) release();
      await together;
      try {
        return await run(c);
      } finally {
        inFlight--;
      }
    };
    const backend: Backend = { ...adapter, name: adapter.name, version: adapter.version, dtype: adapter.dtype, capabilities: adapter.capabilities, runExpr: gated((c) => adapter.runExpr(c)), runTrain: gated((c) => adapter.runTrain(c)) };
    // Claims that send one request per case, so two in flight means two threads sent them.
    const two = ALL_CLAIMS.filter((c) => c.id === 'ops.neg.values' || c.id === 'ops.exp.values');
    const results: ClaimResult[] = [];
    try {
      await runClaims({ claims: two, backend, source: { cmd: 'half_dropped_adapter' }, config: { runs: 3, seed: 7 }, threads: 2, mainThreadRuns: false, options: { failuresDir: null } }, (r) => results.push(r));
    } finally {
      await adapter.close();
    }
    expect(most).toBe(2);
    expect(results.map((r) => [r.id, r.verdict])).toEqual(two.map((c) => [c.id, 'pass']));
  }, 120_000);

  it('run a process backend on one thread per adapter, and take at most one thread per claim', () => {
    expect(defaultThreads({ cmd: 'python3 adapter.py' }, 40)).toBe(1);
    expect(defaultThreads({ backend: 'torch' }, 40)).toBe(1);
    expect(defaultThreads({ backend: 'torch' }, 40, 3)).toBe(3);
    expect(defaultThreads({ cmd: 'python3 adapter.py' }, 2, 3)).toBe(2);
    // A program given with --cmd gets one adapter unless told otherwise; regproof's torch adapter
    // one per core, at most four.
    expect(defaultJobs({ cmd: 'python3 adapter.py' })).toBe(1);
    expect(defaultJobs({ backend: 'torch' })).toBe(Math.min(availableParallelism(), 4));
    expect(defaultThreads({ backend: 'reference' }, 1)).toBe(1);
    expect(parseThreads('3')).toBe(3);
    expect(() => parseThreads('0')).toThrow(/--threads must be an integer from 1 to 256, got '0'/);
    expect(() => parseThreads('two')).toThrow(/--threads must be an integer/);
  });
});
