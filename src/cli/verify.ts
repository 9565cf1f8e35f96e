import { resolve } from 'node:path';
import { ALL_CLAIMS } from '../../properties/index.ts';
import { isBackendError, type Backend } from '../backends/backend.ts';
import { interrupted, LIMIT_SOURCES, limitsFrom } from '../backends/lifecycle.ts';
import { jobsFromEnv, loadBackend, parseJobs } from '../backends/load.ts';
import { describeThrown } from '../backends/module.ts';
import type { Claim } from '../runner/claim.ts';
import { configFromEnv, parseRuns, parseSeed, type RunConfig } from '../runner/config.ts';
import { loadExpectations, type Expectation } from '../runner/expect.ts';
import { describeFsError, writeFileAtomic } from '../runner/files.ts';
import { formatDeclined, formatFailure, formatPolicy, shellQuote, type RerunContext } from '../runner/format.ts';
import { buildReport, toJson, toJUnit, type Outcome, type ReportEntry } from '../runner/report.ts';
import { prepareOutput } from '../runner/outputs.ts';
import { defaultJobs, defaultThreads, isProcessBackend, parseThreads, runClaims, type BackendSource } from '../runner/parallel.ts';
import { DEFAULT_FAILURES_DIR } from '../runner/run.ts';
import { strayFailureFiles } from '../runner/saved.ts';
import { parseArgs, UsageError } from './args.ts';

const HELP = `usage: regproof verify [options]

Runs every claim against a backend and prints one row per claim.

backend (one of):
  --backend reference     the built-in Float64 engine (default)
  --backend reference-pytorch  the same engine, its optimizers in PyTorch's fused arithmetic (docs/ops.md)
  --backend torch         PyTorch 1.13 through adapters/torch_adapter.py (REGPROOF_TORCH_PYTHON
                          picks the interpreter; default /usr/bin/python3)
  --backend tfjs          TensorFlow.js (@tensorflow/tfjs, CPU, float32)
  --backend FILE          a module whose default export or createBackend() is a Backend
  --cmd "COMMAND"         any program speaking the JSON-lines protocol (docs/protocol.md);
                          split into arguments like a shell would, but never run by one

options:
  --runs N                generated cases per claim (default: REGPROOF_RUNS or 100)
  --seed S                the run seed; each claim's seed derives from it and the claim id
                          (default: REGPROOF_SEED or 20261125)
  --only IDS              comma-separated claim ids or id prefixes (a family such as 'l2.')
  --shard I/N             run the I-th of N disjoint slices of the claims (for parallel CI jobs)
  --expect FILE           known failures: {"expected": [{"claim": ID, "reason": WHY}]}
  --json FILE             write the report as JSON
  --junit FILE            write the report as JUnit XML
                          (both are checked and an old one removed before the run, then written
                          whole at the end, whatever the backend did)
  --failures-dir DIR      where failing cases are saved and replayed first next run, and the
                          requests of each failing case kept for 'regproof replay'
                          (default ${DEFAULT_FAILURES_DIR})
  --no-save               neither replay nor save failures (the report still has every case)
  --jobs N                adapter processes serving a process backend (--cmd, --backend torch)
                          side by side (default: REGPROOF_JOBS, else one per core, at most 4, for
                          torch, and 1 for --cmd); claims then run on N threads unless --threads
                          says otherwise; the report is the same for every N
  --threads N             threads running claims side by side, a claim of 200 or more runs cut
                          into ranges of cases (default: one per core; for a process backend,
                          one per adapter); the report is the same for every N

limits, in seconds (each defaults to its environment variable, then to the value shown):
  --case-timeout S        longest wait for one case's result (REGPROOF_CASE_TIMEOUT, 60)
  --budget S              longest time all cases of the run may take together; then every
                          further case fails at once (REGPROOF_BUDGET, none)
  --start-timeout S       longest wait for a backend to start: an adapter's handshake, a
                          module's import (REGPROOF_START_TIMEOUT, 120)
  --close-timeout S       longest wait for a backend to stop once the run ends; then it is killed
                          or abandoned (REGPROOF_CLOSE_TIMEOUT, 2)

a backend that picks another valid subgradient at a kink (sign(0) = −1, say) is reported as a
policy difference with its consequence, apart from failures. A case the backend declines
(CaseDeclined) is counted and shown; a claim whose every case is declined is not applicable.

exit codes, the highest that applies wins:
  2  usage error, or a backend error (it failed to load, threw, crashed, or close() failed),
     or a report could not be written
  1  a claim failed or an expectation is stale
  0  every claim passed, is not applicable, differs only in policy or failed as expected`;

export function selectClaims(claims: readonly Claim[], only: string | undefined): Claim[] {
  if (only === undefined) return [...claims];
  const wanted = only.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (wanted.length === 0) throw new UsageError('verify: --only needs at least one claim id');
  for (const w of wanted) {
    if (!claims.some((c) => c.id === w || c.id.startsWith(w))) throw new UsageError(`verify: no claim matches '${w}' (run 'regproof verify' to list them)`);
  }
  return claims.filter((c) => wanted.some((w) => c.id === w || c.id.startsWith(w)));
}

/** Claims sorted by id and dealt round-robin, so every shard gets a similar mix and the union is everything. */
export function shardClaims(claims: readonly Claim[], shard: string | undefined): Claim[] {
  if (shard === undefined) return [...claims];
  const m = /^(\d+)\/(\d+)$/.exec(shard);
  const [index, count] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(count >= 1 && index >= 1 && index <= count)) throw new UsageError(`verify: --shard must be I/N with 1 ≤ I ≤ N, got '${shard}'`);
  return [...claims].sort((a, b) => a.id.localeCompare(b.id)).filter((_, i) => i % count === index - 1);
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padLeft = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

const LABEL: Record<Outcome, string> = { pass: 'pass', fail: 'FAIL', 'not-applicable': 'n/a', 'expected-fail': 'xfail', 'stale-expectation': 'STALE', error: 'ERROR', 'policy-difference': 'policy' };

export function formatRow(r: ReportEntry, idWidth: number): string {
  return `${pad(r.id, idWidth)}  ${pad(LABEL[r.outcome], 7)}  ${padLeft(String(r.runs), 6)}  ${padLeft(String(r.seed), 11)}  ${padLeft(r.ms.toFixed(0), 7)} ms`;
}

function outcomeOf(verdict: ReportEntry['verdict'], expectation: Expectation | undefined): Outcome {
  if (expectation === undefined) return verdict;
  if (verdict === 'fail') return 'expected-fail';
  if (verdict === 'pass' || verdict === 'policy-difference') return 'stale-expectation';
  return verdict;
}

/** The backend selection as it appears on a command line, so printed commands reproduce the run. */
function backendArgs(backend: string | undefined, cmd: string | undefined): string {
  if (cmd !== undefined) return `--cmd ${shellQuote(cmd)}`;
  return `--backend ${shellQuote(backend ?? 'reference')}`;
}

/** close() is the backend's code too: a throw is a backend error, and a hang must not lose the reports. */
async function closeBackend(backend: Backend, ms = CLOSE_TIMEOUT_MS): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`backend ${backend.name}: close() did not settle within ${ms / 1000} s`), ms)));
    return await Promise.race([Promise.resolve(backend.close?.()).then(() => null), timeout]);
  } catch (e) {
    // A module's close() error already names the backend and the call; anything else is named here.
    return isBackendError(e) ? e.message : `backend ${backend.name}: close() failed: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    clearTimeout(timer);
  }
}

const CLOSE_TIMEOUT_MS = 10_000;

/**
 * While the run lasts, what a backend's code does to the process cannot lose the report. An error
 * thrown outside any request (a module's timer, a promise it never awaits), where Node would exit
 * with code 1 and nothing written, is a run error. A process.exit() before the end still prints
 * the summary and writes the reports of what ran, with exit code 2. Returns the function that
 * ends the guard.
 */
function guardProcess(runErrors: string[], finishNow: () => number): () => void {
  const record = (e: unknown) => void runErrors.push(`an error was thrown outside any request (by the backend's code, say): ${describeThrown(e)}`);
  const exiting = (code: number) => {
    // A second SIGINT or SIGTERM exits at once, as documented.
    if (interrupted() !== null) return;
    runErrors.push(`the process was ended (exit code ${code}) before the run finished (by the backend's code, say)`);
    process.exitCode = finishNow();
  };
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  process.on('exit', exiting);
  return () => {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
    process.off('exit', exiting);
  };
}

export async function runVerify(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['backend', 'cmd', 'runs', 'seed', 'only', 'shard', 'expect', 'json', 'junit', 'failures-dir', 'threads', 'jobs', ...Object.values(LIMIT_SOURCES).map((l) => l.option)], switches: ['help', 'no-save'] }, 'verify');
  if (args.switches.has('help')) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const parse = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw new UsageError(`verify: ${(e as Error).message}`);
    }
  };
  const env = parse(() => configFromEnv());
  const config: RunConfig = {
    runs: args.values.has('runs') ? parse(() => parseRuns(args.values.get('runs')!, '--runs')) : env.runs,
    seed: args.values.has('seed') ? parse(() => parseSeed(args.values.get('seed')!, '--seed')) : env.seed,
  };
  const claims = shardClaims(selectClaims(ALL_CLAIMS, args.values.get('only')), args.values.get('shard'));
  const expectations = args.values.has('expect') ? parse(() => loadExpectations(args.values.get('expect')!, ALL_CLAIMS.map((c) => c.id))) : [];
  if (args.switches.has('no-save') && args.values.has('failures-dir')) throw new UsageError('verify: give either --no-save or --failures-dir, not both');
  const failuresDir = args.switches.has('no-save') ? null : (args.values.get('failures-dir') ?? DEFAULT_FAILURES_DIR);
  const outputs = (['json', 'junit'] as const).filter((f) => args.values.has(f)).map((f) => ({ flag: f, path: args.values.get(f)! }));
  if (outputs.length === 2 && resolve(outputs[0].path) === resolve(outputs[1].path)) throw new UsageError('verify: --json and --junit name the same file');
  for (const o of outputs) parse(() => prepareOutput(`--${o.flag}`, o.path));
  const rerun: RerunContext = { runSeed: config.seed, runs: config.runs, backendArgs: backendArgs(args.values.get('backend'), args.values.get('cmd')) };

  const limits = parse(() => limitsFrom(args.values));
  const source: BackendSource = { backend: args.values.get('backend'), cmd: args.values.get('cmd'), limits };
  if (args.values.has('jobs') && !isProcessBackend(source)) throw new UsageError(`verify: --jobs sets how many adapter processes serve a process backend (--cmd, --backend torch); ${backendArgs(source.backend, source.cmd)} runs in-process`);
  const jobs = isProcessBackend(source) ? parse(() => (args.values.has('jobs') ? parseJobs(args.values.get('jobs')!, '--jobs') : (jobsFromEnv() ?? defaultJobs(source)))) : 1;
  const threads = args.values.has('threads') ? parse(() => parseThreads(args.values.get('threads')!)) : defaultThreads(source, claims.length, jobs);
  const runErrors: string[] = [];
  const warnings: string[] = [];
  const results: ReportEntry[] = [];
  let backend: Backend | null = null;
  const shard = args.values.get('shard');
  const endGuard = guardProcess(runErrors, () => finish(backend, config, rerun, results, warnings, runErrors, outputs, shard));
  try {
    try {
      backend = await loadBackend({ ...source, handleSignals: true, jobs });
    } catch (e) {
      runErrors.push(`the backend could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (backend !== null) await verifyClaims(backend, claims, config, { failuresDir, expectations, shard, source, threads }, results, warnings);
  } catch (e) {
    runErrors.push(`the run stopped: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    if (backend !== null) {
      const closeError = await closeBackend(backend);
      if (closeError !== null) runErrors.push(closeError);
    }
  }
  endGuard();
  return finish(backend, config, rerun, results, warnings, runErrors, outputs, shard);
}

async function verifyClaims(backend: Backend, claims: readonly Claim[], config: RunConfig, how: { failuresDir: string | null; expectations: readonly Expectation[]; shard?: string; source: BackendSource; threads: number }, results: ReportEntry[], warnings: string[]) {
  const out = process.stdout;
  const progress = out.isTTY === true;
  out.write(`regproof verify: backend ${backend.name} ${backend.version} (${backend.dtype}), ${claims.length} claims, ${config.runs} runs each, run seed ${config.seed}${how.shard ? `, shard ${how.shard}` : ''}\n`);
  if (how.failuresDir !== null) warnings.push(...strayFailureFiles(how.failuresDir, backend.name, ALL_CLAIMS.map((c) => c.id)));
  const idWidth = Math.max(5, ...claims.map((c) => c.id.length));
  out.write(`\n${pad('claim', idWidth)}  ${pad('verdict', 7)}  ${padLeft('runs', 6)}  ${padLeft('seed', 11)}  ${padLeft('time', 10)}\n`);
  if (progress && claims.length > 0) out.write(`[1/${claims.length}] ${claims[0].id} ...\r`);
  const plan = { claims, backend, source: how.source, config, threads: how.threads, options: { failuresDir: how.failuresDir, distinctFailures: true } };
  await runClaims(plan, (result, i) => {
    const expectation = how.expectations.find((e) => e.claim === result.id);
    const entry: ReportEntry = { ...result, outcome: outcomeOf(result.verdict, expectation), ...(expectation ? { expectation } : {}) };
    results.push(entry);
    if (progress) out.write('\x1b[2K');
    out.write(formatRow(entry, idWidth) + '\n');
    if (progress && i + 1 < claims.length) out.write(`[${i + 2}/${claims.length}] ${claims[i + 1].id} ...\r`);
  });
}

/** Prints the details, writes the reports and the summary line, and decides the exit code: this always runs. */
function finish(backend: Backend | null, config: RunConfig, rerun: RerunContext, results: ReportEntry[], warnings: string[], runErrors: string[], outputs: { flag: string; path: string }[], shard: string | undefined): number {
  const out = process.stdout;
  for (const w of warnings) out.write(`\nwarning: ${w}\n`);
  for (const r of results) {
    for (const w of r.warnings ?? []) out.write(`\nwarning: ${r.id}: ${w}\n`);
    if (r.policy !== undefined) out.write('\n' + formatPolicy(r) + '\n');
    if (r.illConditioned !== undefined) out.write(`\n${r.id}: ${r.illConditioned.count} of ${r.runs} cases set aside as ill-conditioned (neither passed nor failed), e.g. ${r.illConditioned.example}\n`);
    if (r.declined !== undefined) out.write('\n' + formatDeclined(r) + '\n');
    if (r.outcome === 'fail' || r.outcome === 'error') out.write('\n' + formatFailure(r, rerun) + '\n');
    if (r.outcome === 'expected-fail') out.write(`\nexpected failure ${r.id}: ${r.expectation!.reason}\n  observed: ${r.failure!.message.split('\n')[0]}\n`);
    if (r.outcome === 'stale-expectation') out.write(`\nstale expectation ${r.id}: expected to fail (${r.expectation!.reason}) but it ${r.verdict === 'pass' ? 'passed' : r.verdict}; remove the entry\n`);
  }
  const identity = backend ?? { name: rerun.backendArgs!, version: 'unknown', dtype: 'unknown' };
  for (const e of runErrors) process.stderr.write(`regproof: ${e}\n`);
  const report = buildReport(identity, config.seed, config.runs, results, shard, { backendArgs: rerun.backendArgs, errors: runErrors, warnings: [...warnings, ...results.flatMap((r) => (r.warnings ?? []).map((w) => `${r.id}: ${w}`))] });
  const written: string[] = [];
  for (const o of outputs) {
    try {
      writeFileAtomic(o.path, o.flag === 'json' ? toJson(report) : toJUnit(report));
      written.push(o.path);
    } catch (e) {
      runErrors.push(`--${o.flag} ${o.path}: cannot write the report (${describeFsError(e)})`);
      process.stderr.write(`regproof: ${runErrors[runErrors.length - 1]}\n`);
    }
  }
  const s = report.summary;
  const errors = s.error + runErrors.length;
  const total = results.reduce((acc, r) => acc + r.ms, 0) / 1000;
  out.write(`\n${s.pass} passed, ${s.fail} failed, ${s['not-applicable']} not applicable, ${report.policyDifferences} policy differences, ${s['expected-fail']} expected failures, ${s['stale-expectation']} stale expectations, ${errors} backend errors (${total.toFixed(1)} s)${written.length > 0 ? `; reports: ${written.join(', ')}` : ''}\n`);
  return exitCode(errors, s.fail + s['stale-expectation']);
}

/** Exit-code precedence: an error (2) outranks a failed claim (1), which outranks success (0). */
export function exitCode(errors: number, failures: number): 0 | 1 | 2 {
  if (errors > 0) return 2;
  return failures > 0 ? 1 : 0;
}
