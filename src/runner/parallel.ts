/**
 * Claims across worker threads. Each worker imports the claims (properties/index.ts) and builds
 * its own backend from the source the command line named; the threads take the claims (or ranges
 * of their cases) one at a time and the main thread hands the results back in the claims' order,
 * so a parallel run reports exactly what a serial run does: same verdicts, seeds and
 * counterexamples, in the same order. Only the times differ. A claim's cases depend on its seed alone, never on what ran before it in the
 * same thread, which is what makes the deal order free.
 *
 * A process backend (--cmd, and torch, which is a Python process) is not built again in the
 * workers: the main thread's instance serves them all (remote-backend.ts), so its adapters, their
 * timeouts, the budget and the signal handling stay in one place, and each thread keeps one request
 * in flight; the backend's `jobs` adapters serve them side by side. A module backend is imported
 * once per worker, so each worker has its own.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setImmediate } from 'node:timers';
import { MessageChannel, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import type { Backend } from '../backends/backend.ts';
import type { Limits } from '../backends/lifecycle.ts';
import { missingCapabilities } from '../backends/capabilities.ts';
import { decodeJson, encodeJson } from '../cases/json.ts';
import { runCaseRange, type CaseRange, type CaseRecord } from './chunks.ts';
import type { Claim, ClaimResult } from './claim.ts';
import type { RunConfig } from './config.ts';
import { identityOf, remoteBackend, serveBackend, type BackendIdentity } from './remote-backend.ts';
import { claimRuns, runClaim, type PriorCases, type RunOptions } from './run.ts';
import { savedFailureFile } from './saved.ts';

/** Where a backend comes from, as the command line names it: enough to build it again in a worker. */
export interface BackendSource {
  backend?: string;
  cmd?: string;
  /** Timeouts and the budget (--case-timeout, ...); from the environment when absent. */
  limits?: Limits;
}

export interface ClaimRunPlan {
  claims: readonly Claim[];
  /** The main thread's instance: it runs the claims itself when the run is serial. */
  backend: Backend;
  source: BackendSource;
  config: RunConfig;
  /** Threads running claims, the main thread included; 1 runs every claim in the main thread. */
  threads: number;
  /**
   * False leaves every claim to `threads` worker threads, for a caller whose main thread must stay
   * free (and for the test that compares the workers' results with a serial run's).
   */
  mainThreadRuns?: boolean;
  options?: RunOptions;
  /** A claim of at least twice this many cases is cut into ranges; MIN_RANGE_CASES unless a test asks for less. */
  minRangeCases?: number;
}

interface WorkerSetup {
  source: BackendSource;
  config: RunConfig;
  options: RunOptions;
  /** The tasks in deal order: a claim by id, whole or one range of its cases. */
  tasks: WorkerTask[];
  /** Shared by every thread: see dealState. */
  shared: SharedArrayBuffer;
  slot: number;
  /** Whether this worker takes its tasks from the front of the deal: when the main thread runs none. */
  fromFront: boolean;
  /** For a process backend: the main thread's instance, served on this port. */
  remote?: { identity: BackendIdentity; port: MessagePort };
}

interface WorkerTask {
  id: string;
  range?: CaseRange;
}

/** A claim's place in the plan, and which of its ranges this is (none: the whole claim). */
export interface Task {
  claim: number;
  range?: CaseRange & { piece: number };
}

const LOADING = 0;
const LOADED = 1;

/**
 * A claim's result, a range's cases, or the last message: the worker is done (its backend closed),
 * and may be stopped.
 */
type FromWorker = { task: number; result: ClaimResult } | { task: number; cases: CaseRecord[]; ms: number } | { done: true };

export const isProcessBackend = (source: BackendSource): boolean => source.cmd !== undefined || source.backend === 'torch';

/**
 * Adapter processes for a process backend that no option sets: one per core for torch, whose
 * adapter is regproof's own, up to MAX_DEFAULT_TORCH_JOBS (each holds about 250 MB once torch is
 * imported); one for a program given with --cmd, which may not expect company.
 */
export function defaultJobs(source: BackendSource): number {
  return source.backend === 'torch' ? Math.min(availableParallelism(), MAX_DEFAULT_TORCH_JOBS) : 1;
}

const MAX_DEFAULT_TORCH_JOBS = 4;

/**
 * One thread per core, never more than there are claims; for a process backend, one thread per
 * adapter process (`jobs`), so that each adapter has a request to serve.
 */
export function defaultThreads(source: BackendSource, claimCount: number, jobs = 1): number {
  return Math.max(1, Math.min(isProcessBackend(source) ? jobs : availableParallelism(), claimCount));
}

/**
 * A claim whose run throws (a bug in the runner or the claim, not a verdict) is reported as an
 * error row and the run goes on, the same in every thread.
 */
export async function runClaimSafely(claim: Claim, backend: Backend, config: RunConfig, options: RunOptions = {}, prior?: PriorCases): Promise<ClaimResult> {
  return runClaim(claim, backend, config, options, prior).catch((e: unknown) => ({
    id: claim.id, statement: claim.statement, backend: backend.name, verdict: 'error' as const, runs: config.runs, seed: 0, ms: 0,
    failure: { seed: 0, path: '', counterexample: null, message: `the runner failed: ${e instanceof Error ? e.message : String(e)}`, replayed: false },
  }));
}

export function parseThreads(raw: string): number {
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value < 1 || value > 256) throw new RangeError(`--threads must be an integer from 1 to 256, got '${raw}'`);
  return value;
}

/** Whether the claims can be rebuilt by id in a worker: only the registered ones can. */
async function registered(claims: readonly Claim[]): Promise<void> {
  const { ALL_CLAIMS } = await import('../../properties/index.ts');
  const stranger = claims.find((c) => !ALL_CLAIMS.includes(c));
  if (stranger !== undefined) {
    throw new Error(`parallel claims: '${stranger.id}' is not in properties/index.ts, so a worker thread cannot load it (run it with one thread)`);
  }
}

/**
 * Runs the plan's claims and calls onResult once per claim, in the claims' order, as soon as it
 * and every claim before it have finished.
 */
export async function runClaims(plan: ClaimRunPlan, onResult: (result: ClaimResult, index: number) => void): Promise<void> {
  const { claims, threads } = plan;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  if (threads === 1 && plan.mainThreadRuns !== false) {
    for (const [i, claim] of claims.entries()) onResult(await runClaimSafely(claim, plan.backend, plan.config, plan.options), i);
    return;
  }
  await registered(claims);
  await runInWorkers(plan, onResult);
}

/** A claim of at least twice this many cases is cut into ranges of at least this many. */
export const MIN_RANGE_CASES = 100;
/** Ranges per claim at most: enough that the last ones dealt are short, few enough to cost little. */
export const MAX_RANGES = 8;

/**
 * The tasks in deal order: the claims' own order, which keeps each family together, a claim of
 * many cases cut into ranges in place. One thread takes tasks from the front and the others from
 * the back (see taker), so each thread runs few families: V8 compiles, for each thread, the code
 * that thread runs, and a thread that meets every family pays for compiling all of it (at 1000
 * runs, one thread's warm-up costs 7.5 CPU-s for the whole suite, 3.3 for gradcheck alone and
 * 5.1 for the rest). Where the two ends meet, the last tasks are ranges, each a fraction of a
 * claim, whenever the claims there are cut.
 */
export function dealTasks(claims: readonly Claim[], backend: Backend, config: RunConfig, failuresDir: string | null = null, minRangeCases = MIN_RANGE_CASES): Task[] {
  // A claim with a saved failure replays it first and its search depends on it: it runs whole.
  const saved = (id: string) => failuresDir !== null && existsSync(savedFailureFile(failuresDir, id, backend.name));
  return claims.flatMap((claim, index): Task[] => {
    const runs = claimRuns(claim, config);
    const pieces = Math.min(MAX_RANGES, Math.floor(runs / minRangeCases));
    if (pieces < 2 || missingCapabilities(backend.capabilities, claim.requires).length > 0 || saved(claim.id)) return [{ claim: index }];
    return Array.from({ length: pieces }, (_, p) => {
      const start = Math.floor((p * runs) / pieces);
      return { claim: index, range: { piece: p, start, count: Math.floor(((p + 1) * runs) / pieces) - start } };
    });
  });
}

/**
 * The shared state of a deal of `taskCount` tasks among `workerCount` workers: [0] how many tasks
 * have been taken from the back, [1 + w] worker w's progress, then one word per task, set once
 * the task is taken.
 */
const dealState = (workerCount: number, taskCount: number) => new Int32Array(new SharedArrayBuffer(4 * (1 + workerCount + taskCount)));

/**
 * The next task a thread runs, or undefined once none is left. Only one thread takes from the
 * front, in order, so its cursor is its own; the others share the count of tasks taken from the
 * back. Each task's word is claimed with a compare-and-swap: the first thread to reach a task
 * runs it, and a thread that finds its next task taken knows that every task beyond it is taken
 * too (the front advances only forwards, the back only backwards), so it stops.
 */
export function taker(state: Int32Array, taskCount: number, fromFront: boolean): () => number | undefined {
  const words = state.length - taskCount;
  let front = 0;
  return () => {
    const k = fromFront ? front++ : taskCount - 1 - Atomics.add(state, 0, 1);
    return k >= 0 && k < taskCount && Atomics.compareExchange(state, words + k, 0, 1) === 0 ? k : undefined;
  };
}

/** Marks every task taken, so every thread stops after its current one. */
function takeAll(state: Int32Array, taskCount: number): void {
  for (let k = state.length - taskCount; k < state.length; k++) Atomics.store(state, k, 1);
}

/**
 * The main thread runs tasks too (it has loaded the claims already, and a worker takes a second
 * or more to start), beside the workers, from the front of the deal while they take from the back:
 * none waits for the main thread to hand it work while that thread is busy. A worker
 * still loading when the last task has been taken is stopped: a short run pays little for its
 * start. The ranges of a claim are put together in the main thread (see chunks.ts), one claim at a
 * time and never beside its own tasks, as a serial run uses its backend.
 */
async function runInWorkers(plan: ClaimRunPlan, onResult: (result: ClaimResult, index: number) => void): Promise<void> {
  const { claims } = plan;
  const mainThreadRuns = plan.mainThreadRuns ?? true;
  const tasks = dealTasks(claims, plan.backend, plan.config, plan.options?.failuresDir ?? null, plan.minRangeCases);
  const workerCount = Math.min(plan.threads, tasks.length) - (mainThreadRuns ? 1 : 0);
  const shared = dealState(workerCount, tasks.length);
  const take = taker(shared, tasks.length, true);
  const done: (ClaimResult | undefined)[] = new Array(claims.length);
  const ranges = new Map<number, { cases: (CaseRecord[] | undefined)[]; ms: number; left: number }>();
  for (const t of tasks) {
    if (t.range === undefined) continue;
    const r = ranges.get(t.claim) ?? { cases: [], ms: 0, left: 0 };
    r.left++;
    ranges.set(t.claim, r);
  }
  let reported = 0;
  let failure: Error | null = null;
  // The main thread's work, one piece after another: its own tasks and putting claims together.
  let lane: Promise<void> = Promise.resolve();
  const inLane = (work: () => Promise<void>) => (lane = lane.then(work));
  const record = (index: number, result: ClaimResult) => {
    done[index] = result;
    for (; reported < claims.length && done[reported] !== undefined; reported++) onResult(done[reported]!, reported);
  };
  const fail = (error: Error) => {
    failure ??= error;
    takeAll(shared, tasks.length);
  };
  const guarded = (work: () => void) => {
    if (failure !== null) return;
    try {
      work();
    } catch (e) {
      fail(e as Error);
    }
  };
  const recordRange = (k: number, cases: CaseRecord[], ms: number) => {
    const { claim, range } = tasks[k];
    const r = ranges.get(claim)!;
    r.cases[range!.piece] = cases;
    r.ms += ms;
    if (--r.left > 0) return;
    void inLane(async () => {
      if (failure !== null) return;
      const result = await runClaimSafely(claims[claim], plan.backend, plan.config, plan.options, { cases: r.cases.flatMap((c) => c!), ms: r.ms });
      guarded(() => record(claim, result));
    });
  };
  const runTask = async (k: number) => {
    const { claim, range } = tasks[k];
    if (range === undefined) {
      const result = await runClaimSafely(claims[claim], plan.backend, plan.config, plan.options);
      guarded(() => record(claim, result));
      return;
    }
    const started = performance.now();
    const cases = await runCaseRange(claims[claim], plan.backend, plan.config, range);
    guarded(() => recordRange(k, cases, performance.now() - started));
  };

  const served: MessagePort[] = [];
  const workers = Array.from({ length: workerCount }, (_, w) => {
    let remote: WorkerSetup['remote'];
    if (isProcessBackend(plan.source)) {
      const channel = new MessageChannel();
      serveBackend(plan.backend, channel.port1);
      served.push(channel.port1);
      remote = { identity: identityOf(plan.backend), port: channel.port2 };
    }
    const setup: WorkerSetup = {
      source: plan.source, config: plan.config, options: plan.options ?? {},
      tasks: tasks.map((t) => ({ id: claims[t.claim].id, ...(t.range ? { range: { start: t.range.start, count: t.range.count } } : {}) })),
      shared: shared.buffer as SharedArrayBuffer, slot: 1 + w, fromFront: !mainThreadRuns && w === 0, remote,
    };
    const worker = startWorker(setup);
    const finished = new Promise<void>((resolve) => {
      worker.on('message', (message: FromWorker) => {
        // A module backend may leave a timer or a server behind, which would keep the worker alive for ever.
        if ('done' in message) return void worker.terminate();
        guarded(() => {
          if ('result' in message) record(tasks[message.task].claim, message.result);
          else recordRange(message.task, message.cases, message.ms);
        });
      });
      worker.on('error', (e) => fail(new Error(`a claim worker thread crashed: ${e.message}`)));
      worker.on('exit', () => resolve());
    });
    return { worker, finished, slot: 1 + w };
  });

  if (mainThreadRuns) {
    for (let k = take(); k !== undefined && failure === null; k = take()) {
      const task = k;
      await inLane(() => runTask(task));
      // A macrotask turn, so the workers' results are printed while this thread keeps working.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  for (const { worker, slot } of workers) {
    if (failure !== null || (mainThreadRuns && Atomics.load(shared, slot) === LOADING)) void worker.terminate();
  }
  await Promise.all(workers.map((w) => w.finished));
  await lane;
  for (const port of served) port.close();
  if (failure !== null) throw failure;
  if (reported < claims.length) throw new Error(`the claim threads stopped after ${reported} of ${claims.length} claims`);
}

/**
 * Run from its TypeScript source, this file cannot be loaded by a fresh worker thread: the
 * worker's entry then registers tsx first (as bin/regproof.mjs does in the main thread).
 */
function startWorker(setup: WorkerSetup): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = [
    ...(fromSource ? [`import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};`, 'register();'] : []),
    `const { serveClaims } = await import(${JSON.stringify(import.meta.url)});`,
    'await serveClaims();',
  ].join('\n');
  const transferList = setup.remote === undefined ? [] : [setup.remote.port];
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(entry)}`), { workerData: setup, transferList });
}

/**
 * A structured clone keeps every value a counterexample may hold (−0, NaN, typed arrays); one
 * it cannot copy (a function inside a generated value) travels as the JSON the reports print.
 */
function post(message: FromWorker): void {
  try {
    parentPort!.postMessage(message);
  } catch {
    parentPort!.postMessage(decodeJson(encodeJson(message)) as FromWorker);
  }
}

/**
 * The worker's side: build the backend once (or reach the main thread's), then take tasks from
 * the deal until none is left.
 */
export async function serveClaims(): Promise<void> {
  const { source, config, options, tasks, shared, slot, fromFront, remote } = workerData as WorkerSetup;
  const state = new Int32Array(shared);
  const take = taker(state, tasks.length, fromFront);
  const [{ ALL_CLAIMS }, { loadBackend }] = await Promise.all([import('../../properties/index.ts'), import('../backends/load.ts')]);
  Atomics.store(state, slot, LOADED);
  const backend = remote === undefined ? await loadBackend(source) : remoteBackend(remote.identity, remote.port);
  try {
    for (let k = take(); k !== undefined; k = take()) {
      const { id, range } = tasks[k];
      const claim = ALL_CLAIMS.find((c) => c.id === id)!;
      if (range === undefined) {
        post({ task: k, result: await runClaimSafely(claim, backend, config, options) });
        continue;
      }
      const started = performance.now();
      const cases = await runCaseRange(claim, backend, config, range);
      post({ task: k, cases, ms: performance.now() - started });
    }
  } finally {
    await backend.close?.();
    parentPort!.postMessage({ done: true } satisfies FromWorker);
  }
}
