import fc from 'fast-check';
import type { Backend } from '../backends/backend.ts';
import { missingCapabilities } from '../backends/capabilities.ts';
import { searchFromCases, type CaseRecord } from './chunks.ts';
import type { Claim, ClaimFailure, ClaimResult, Observer, PolicyNote } from './claim.ts';
import { failureKind, searchFailures, type FailureGroup } from './collect.ts';
import { claimSeed, type RunConfig } from './config.ts';
import { describeFsError } from './files.ts';
import { evaluate, tapBackend, type Tap } from './instrument.ts';
import { writeRequestFile } from './requests.ts';
import { clearRequestFiles, generatorFingerprint, readSavedFailure, removeSavedFailure, requestFilePath, savedFailureFile, writeSavedFailure, SAVED_FORMAT, SAVED_VERSION } from './saved.ts';

export { formatFailure, formatPolicy } from './format.ts';

export interface RunOptions {
  /**
   * Where failing cases are saved and replayed from (and the requests of each failing case kept,
   * under requests/); null or absent turns persistence off, so tests never write into a tree.
   */
  failuresDir?: string | null;
  /**
   * Go on past the first failure to shrink and count every distinct kind (what a report needs; it
   * costs a further pass over the cases). Off, the run stops at the first failure as fast-check does.
   */
  distinctFailures?: boolean;
}

/** Where the CLI keeps saved failures unless told otherwise. */
export const DEFAULT_FAILURES_DIR = '.regproof/failures';

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Runs one case again while recording exactly what the backend receives. */
async function capture(property: fc.IAsyncProperty<unknown[]>, tap: Tap, args: unknown[]) {
  tap.recording = [];
  try {
    return { evaluation: await evaluate(property, tap, args), requests: tap.recording };
  } finally {
    tap.recording = null;
  }
}

const toFailure = (g: FailureGroup): ClaimFailure => ({
  seed: g.seed,
  path: g.path,
  counterexample: g.args,
  message: describeError(g.error),
  replayed: g.replayed,
  kind: g.kind,
  ...(g.count !== undefined ? { count: g.count } : {}),
  shrunk: g.shrunk,
  ...(g.requests ? { requests: g.requests } : {}),
});

interface Store {
  file: string;
  generator: string;
}

interface Replay {
  replayed: FailureGroup[];
  /** A valid saved failure was there. */
  found: boolean;
  /** Some saved case still fails (or was declined, so it is not known to pass). */
  stillFails: boolean;
}

/**
 * Replays the saved cases themselves, not their seed and path: a path stops meaning anything once
 * a claim's generators change.
 */
async function replaySaved(store: Store, claimId: string, backend: string, property: fc.IAsyncProperty<unknown[]>, tap: Tap, seed: number, warnings: string[]): Promise<Replay> {
  const replay: Replay = { replayed: [], found: false, stillFails: false };
  const read = readSavedFailure(store.file, claimId, backend, store.generator);
  if (read.status === 'skipped') warnings.push(read.warning);
  if (read.status !== 'ok') return replay;
  replay.found = true;
  for (const args of read.saved.cases) {
    const { evaluation: e, requests } = await capture(property, tap, args);
    if (e.status === 'error') break;
    if (e.status === 'declined' || e.status === 'fail') replay.stillFails = true;
    if (e.status !== 'fail') continue;
    const kind = failureKind(e.error);
    if (!replay.replayed.some((g) => g.kind === kind)) replay.replayed.push({ kind, args, error: e.error, seed, path: '', replayed: true, shrunk: true, requests });
  }
  return replay;
}

/** Saves the failing cases and their requests, or removes a saved failure that passes now; problems become warnings. */
function persist(dir: string, store: Store, claimId: string, backend: string, groups: FailureGroup[], failures: ClaimFailure[], replay: Replay, warnings: string[]): void {
  const passesNow = replay.found && !replay.stillFails;
  if (failures.length > 0 || passesNow) warnings.push(...clearRequestFiles(dir, claimId, backend));
  if (groups.length === 0) {
    const warning = passesNow ? removeSavedFailure(store.file) : null;
    if (warning !== null) warnings.push(warning);
    return;
  }
  const saved = { format: SAVED_FORMAT, version: SAVED_VERSION, claim: claimId, backend, generator: store.generator, cases: groups.map((g) => g.args) } as const;
  const warning = writeSavedFailure(store.file, saved);
  if (warning !== null) warnings.push(warning);
  for (const [i, f] of failures.entries()) {
    if (f.requests === undefined || f.requests.length === 0) continue;
    const path = requestFilePath(dir, claimId, backend, i + 1);
    try {
      writeRequestFile(path, { claim: claimId, backend, message: f.message, requests: f.requests });
      f.requestFile = path;
    } catch (e) {
      warnings.push(`cannot save the requests of failure ${i + 1} to ${path} (${describeFsError(e)}); they are in the --json report`);
    }
  }
}

/** How many cases a claim runs: the configured runs times its scale, at least one. */
export const claimRuns = (claim: Claim, config: RunConfig): number => Math.max(1, Math.ceil(config.runs * (claim.runsScale ?? 1)));

/** The records of the claim's cases from position 0 on, run beforehand in ranges (see chunks.ts), and what they cost. */
export interface PriorCases {
  cases: readonly CaseRecord[];
  ms: number;
}

/**
 * Runs one claim against one backend: saved failures are replayed first, then the seeded run,
 * which goes on past the first failure to collect every distinct kind (see collect.ts). With
 * `prior`, a clean run is put together from those records instead; a saved failure, or records
 * that do not settle the claim, still run it whole.
 */
export async function runClaim(claim: Claim, backend: Backend, config: RunConfig, options: RunOptions = {}, prior?: PriorCases): Promise<ClaimResult> {
  const seed = claimSeed(config.seed, claim.id);
  const runs = claimRuns(claim, config);
  const base = { id: claim.id, statement: claim.statement, backend: backend.name, runs, seed };
  const missing = missingCapabilities(backend.capabilities, claim.requires);
  if (missing.length > 0) return { ...base, verdict: 'not-applicable', ms: 0, missing };

  const started = performance.now() - (prior?.ms ?? 0);
  const dir = options.failuresDir ?? null;
  const notes = new Map<string, PolicyNote>();
  let setAside: { count: number; example: string } | null = null;
  const observer: Observer = {
    policy: (note) => void (notes.has(note.what) || notes.set(note.what, note)),
    illConditioned: (reason) => void (setAside = { count: (setAside?.count ?? 0) + 1, example: setAside?.example ?? reason }),
  };
  const tap = tapBackend(backend);
  const property = claim.property(tap.backend, observer) as fc.IAsyncProperty<unknown[]>;
  const warnings: string[] = [];
  const store: Store | null = dir === null ? null : { file: savedFailureFile(dir, claim.id, backend.name), generator: generatorFingerprint(property) };

  const saved = store === null ? null : await replaySaved(store, claim.id, backend.name, property, tap, seed, warnings);
  const replayed = saved?.replayed ?? [];
  const distinct = options.distinctFailures ?? false;
  const search = tap.tripped !== null ? null
    : !distinct && replayed.length > 0 ? { groups: replayed, executed: replayed.length, declined: new Map<string, number>(), tooManySkips: false }
    : (prior !== undefined && saved?.found !== true ? await searchFromCases(claim, backend, config, runs, prior.cases, observer) : null)
      ?? (await searchFailures(property, tap, { seed, runs, distinct }, replayed, () => (setAside = null)));
  const counted = setAside as { count: number; example: string } | null;
  if (tap.tripped !== null || search === null) {
    // Never saved: a backend failure is not a counterexample to the claim.
    const { error, request } = tap.tripped!;
    const failure: ClaimFailure = { seed, path: '', counterexample: request?.case ?? null, message: error.message, replayed: false, ...(request ? { requests: [request] } : {}) };
    return { ...base, verdict: 'error', ms: performance.now() - started, failure, failures: [failure], ...(warnings.length > 0 ? { warnings } : {}) };
  }
  for (const g of search.groups) {
    if (g.shrunk && g.requests === undefined) g.requests = (await capture(property, tap, g.args)).requests;
  }
  const ms = performance.now() - started;
  const failures = search.groups.map(toFailure);
  const declinedCount = [...search.declined.values()].reduce((a, b) => a + b, 0);
  const allDeclined = search.executed === 0 && declinedCount > 0;
  if (search.tooManySkips && !allDeclined) {
    failures.push({ seed, path: '', counterexample: null, message: `fast-check gave up: too many generated cases were skipped (${search.executed} ran)`, replayed: false });
  }
  if (store !== null && dir !== null) persist(dir, store, claim.id, backend.name, search.groups, failures, saved!, warnings);
  const extras = {
    ...(notes.size > 0 ? { policy: [...notes.values()] } : {}),
    ...(counted !== null ? { illConditioned: counted } : {}),
    ...(declinedCount > 0 ? { declined: { count: declinedCount, reasons: [...search.declined].map(([reason, count]) => ({ reason, count })) } } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
  if (failures.length > 0) return { ...base, ...extras, verdict: 'fail', ms, failure: failures[0], failures };
  if (allDeclined) return { ...base, ...extras, verdict: 'not-applicable', ms };
  return { ...base, ...extras, verdict: notes.size > 0 ? 'policy-difference' : 'pass', ms };
}
