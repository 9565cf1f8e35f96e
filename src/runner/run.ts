import fc from 'fast-check';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../backends/backend.ts';
import { decodeJson, encodeJson } from '../cases/json.ts';
import type { Claim, ClaimFailure, ClaimResult } from './claim.ts';
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

/** Runs one claim against one backend: a saved failure is replayed first, then the seeded run. */
export async function runClaim(claim: Claim, backend: Backend, config: RunConfig, options: RunOptions = {}): Promise<ClaimResult> {
  const seed = claimSeed(config.seed, claim.id);
  const runs = Math.max(1, Math.ceil(config.runs * (claim.runsScale ?? 1)));
  const base = { id: claim.id, statement: claim.statement, backend: backend.name, runs, seed };
  const missing = claim.requires.filter((c) => !backend.capabilities.has(c));
  if (missing.length > 0) return { ...base, verdict: 'not-applicable', ms: 0, missing };

  const started = performance.now();
  const dir = options.failuresDir === undefined ? DEFAULT_FAILURES_DIR : options.failuresDir;
  const file = dir === null ? null : failureFile(dir, claim, backend);
  if (file !== null && existsSync(file)) {
    const saved = decodeJson(readFileSync(file, 'utf8')) as SavedFailure;
    // The saved case itself is replayed (as fast-check's only example), not its seed and path:
    // a path stops meaning anything once a claim's generators change.
    const replay = await fc.check(claim.property(backend), { seed, numRuns: 1, examples: [saved.counterexample as never] });
    if (replay.failed) return { ...base, verdict: 'fail', ms: performance.now() - started, failure: toFailure(replay, true) };
    rmSync(file);
  }
  const details = await fc.check(claim.property(backend), { seed, numRuns: runs });
  const ms = performance.now() - started;
  if (!details.failed) return { ...base, verdict: 'pass', ms };
  const failure = toFailure(details, false);
  if (file !== null && dir !== null) {
    mkdirSync(dir, { recursive: true });
    const saved: SavedFailure = { claim: claim.id, backend: backend.name, seed: failure.seed, path: failure.path, counterexample: failure.counterexample };
    writeFileSync(file, encodeJson(saved, 2) + '\n');
  }
  return { ...base, verdict: 'fail', ms, failure };
}

/** A failure as a person needs it: what failed, the shrunk case, and how to run it again. */
export function formatFailure(result: ClaimResult, runSeed: number): string {
  const f = result.failure;
  if (f === undefined) return '';
  return [
    `claim ${result.id} failed on backend ${result.backend}${f.replayed ? ` (a saved failure, replayed first; it stays saved under ${DEFAULT_FAILURES_DIR} until it passes)` : ''}`,
    `  ${result.statement}`,
    `  reason: ${f.message}`,
    `  claim seed ${f.seed}, path "${f.path}" (run seed ${runSeed})`,
    `  rerun: REGPROOF_SEED=${runSeed} npx regproof verify --only ${result.id}`,
    `  shrunk case: ${encodeJson(f.counterexample)}`,
  ].join('\n');
}
