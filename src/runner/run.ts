import fc from 'fast-check';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BackendError, type Backend } from '../backends/backend.ts';
import { missingCapabilities } from '../backends/capabilities.ts';
import { decodeJson, encodeJson } from '../cases/json.ts';
import type { Claim, ClaimFailure, ClaimResult, Observer, PolicyNote } from './claim.ts';
import { claimSeed, type RunConfig } from './config.ts';

export interface RunOptions {
  /** Where failing cases are saved and replayed from; null turns persistence off. */
  failuresDir?: string | null;
}

export const DEFAULT_FAILURES_DIR = '.regproof/failures';

interface SavedFailure {
  claim: string;
  backend: string;
  seed: number;
  path: string;
  counterexample: unknown;
}

function failureFile(dir: string, claim: Claim, backend: Backend): string {
  return join(dir, `${backend.name.replace(/[^\w.-]+/g, '_')}--${claim.id}.json`);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toFailure(details: fc.RunDetails<unknown>, replayed: boolean): ClaimFailure {
  return {
    seed: details.seed,
    path: details.counterexamplePath ?? '',
    counterexample: details.counterexample,
    message: describeError(details.errorInstance),
    replayed,
  };
}

const verdictOf = (details: fc.RunDetails<unknown>): 'fail' | 'error' => (details.errorInstance instanceof BackendError ? 'error' : 'fail');

interface Guard {
  backend: Backend;
  tripped: { error: BackendError; request: unknown } | null;
}

/**
 * After the backend's first failure within a claim, later requests fail at once: fast-check
 * would otherwise shrink through a crashing or hanging adapter case by case. The request that
 * failed first is kept, since it, not a shrunk case, is what reproduces the failure.
 */
function guardBackend(inner: Backend): Guard {
  const guard: Guard = { backend: inner, tripped: null };
  const wrap = <C, R>(run: (c: C) => Promise<R>) => async (c: C): Promise<R> => {
    if (guard.tripped !== null) throw new BackendError(`not sent: the backend failed earlier in this claim (${guard.tripped.error.message.split('\n')[0]})`);
    try {
      return await run(c);
    } catch (e) {
      if (e instanceof BackendError) guard.tripped = { error: e, request: c };
      throw e;
    }
  };
  guard.backend = {
    name: inner.name,
    version: inner.version,
    dtype: inner.dtype,
    capabilities: inner.capabilities,
    runExpr: wrap((c) => inner.runExpr(c)),
    runTrain: wrap((c) => inner.runTrain(c)),
  };
  return guard;
}

/** Runs one claim against one backend: a saved failure is replayed first, then the seeded run. */
export async function runClaim(claim: Claim, backend: Backend, config: RunConfig, options: RunOptions = {}): Promise<ClaimResult> {
  const seed = claimSeed(config.seed, claim.id);
  const runs = Math.max(1, Math.ceil(config.runs * (claim.runsScale ?? 1)));
  const base = { id: claim.id, statement: claim.statement, backend: backend.name, runs, seed };
  const missing = missingCapabilities(backend.capabilities, claim.requires);
  if (missing.length > 0) return { ...base, verdict: 'not-applicable', ms: 0, missing };

  const started = performance.now();
  const dir = options.failuresDir === undefined ? DEFAULT_FAILURES_DIR : options.failuresDir;
  const file = dir === null ? null : failureFile(dir, claim, backend);
  const notes = new Map<string, PolicyNote>();
  let setAside: { count: number; example: string } | null = null;
  const observer: Observer = {
    policy: (note) => void (notes.has(note.what) || notes.set(note.what, note)),
    illConditioned: (reason) => void (setAside = { count: (setAside?.count ?? 0) + 1, example: setAside?.example ?? reason }),
  };
  if (file !== null && existsSync(file)) {
    const saved = decodeJson(readFileSync(file, 'utf8')) as SavedFailure;
    // The saved case itself is replayed (as fast-check's only example), not its seed and path:
    // a path stops meaning anything once a claim's generators change.
    const replay = await fc.check(claim.property(backend, observer), { seed, numRuns: 1, examples: [saved.counterexample as never] });
    if (replay.failed) return { ...base, verdict: verdictOf(replay), ms: performance.now() - started, failure: toFailure(replay, true) };
    rmSync(file);
  }
  const guard = guardBackend(backend);
  const details = await fc.check(claim.property(guard.backend, observer), { seed, numRuns: runs });
  const ms = performance.now() - started;
  const policy = { ...(notes.size > 0 ? { policy: [...notes.values()] } : {}), ...(setAside !== null ? { illConditioned: setAside } : {}) };
  if (!details.failed) return { ...base, verdict: notes.size > 0 ? 'policy-difference' : 'pass', ms, ...policy };
  if (guard.tripped !== null) {
    const { error, request } = guard.tripped;
    return { ...base, verdict: 'error', ms, failure: { seed: details.seed, path: details.counterexamplePath ?? '', counterexample: request, message: error.message, replayed: false } };
  }
  const failure = toFailure(details, false);
  if (file !== null && dir !== null) {
    mkdirSync(dir, { recursive: true });
    const saved: SavedFailure = { claim: claim.id, backend: backend.name, seed: failure.seed, path: failure.path, counterexample: failure.counterexample };
    writeFileSync(file, encodeJson(saved, 2) + '\n');
  }
  return { ...base, ...policy, verdict: 'fail', ms, failure };
}

/** Policy differences as a person needs them: the choice, its consequence, and one case that shows it. */
export function formatPolicy(result: ClaimResult): string {
  return (result.policy ?? [])
    .map((n) => `policy difference in ${result.id} on backend ${result.backend}: ${n.what}\n  consequence: ${n.consequence}\n  example: ${encodeJson(n.example)}`)
    .join('\n');
}

/** A failure as a person needs it: what failed, the shrunk case, and how to run it again. */
export function formatFailure(result: ClaimResult, runSeed: number): string {
  const f = result.failure;
  if (f === undefined) return '';
  return [
    `claim ${result.id} ${result.verdict === 'error' ? 'could not be judged: the backend failed' : 'failed'} on backend ${result.backend}${f.replayed ? ` (a saved failure, replayed first; it stays saved under ${DEFAULT_FAILURES_DIR} until it passes)` : ''}`,
    `  ${result.statement}`,
    `  reason: ${f.message}`,
    `  claim seed ${f.seed}, path "${f.path}" (run seed ${runSeed})`,
    `  rerun: REGPROOF_SEED=${runSeed} npx regproof verify --only ${result.id}`,
    `  shrunk case: ${encodeJson(f.counterexample)}`,
  ].join('\n');
}
