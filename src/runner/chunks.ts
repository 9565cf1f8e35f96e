/**
 * A claim's seeded run cut into ranges of cases that threads run side by side, then put back
 * together as the serial run would have seen it. fast-check derives the n-th case from the seed
 * and n alone (its `path` option starts a run at case n), so a range can run anywhere; each case
 * is recorded with what came of it and the notes the claim took while it ran. Walking the records
 * in order with fast-check's own counting (a skipped case does not count towards the runs) gives
 * the serial run's cases, counts and notes. Only a clean run is put together this way: a failure,
 * a backend error or a run that fast-check would have cut short is run again whole, in one
 * thread, so its shrinking and its report are the serial run's own.
 */
import fc from 'fast-check';
import type { Backend } from '../backends/backend.ts';
import type { Claim, Observer, PolicyNote } from './claim.ts';
import type { SearchOutcome } from './collect.ts';
import { claimSeed, type RunConfig } from './config.ts';
import { evaluate, tapBackend, withRun, type Evaluation } from './instrument.ts';

export type ObserverEvent = { kind: 'policy'; note: PolicyNote } | { kind: 'ill-conditioned'; reason: string };

export interface CaseRecord {
  status: Evaluation['status'];
  /** Why the backend declined the case. */
  reason?: string;
  events?: ObserverEvent[];
}

export interface CaseRange {
  start: number;
  count: number;
}

/** fast-check's default: a run gives up after this many skipped cases per requested run. */
const MAX_SKIPS_PER_RUN = 100;

/**
 * Runs the cases at positions [start, start + count) of the claim's seeded sequence and records
 * each. It stops after a failure or a backend error: the claim then runs whole anyway.
 */
export async function runCaseRange(claim: Claim, backend: Backend, config: RunConfig, range: CaseRange): Promise<CaseRecord[]> {
  const records: CaseRecord[] = [];
  try {
    let events: ObserverEvent[] = [];
    const observer: Observer = {
      policy: (note) => void events.push({ kind: 'policy', note }),
      illConditioned: (reason) => void events.push({ kind: 'ill-conditioned', reason }),
    };
    const tap = tapBackend(backend);
    const property = claim.property(tap.backend, observer) as fc.IAsyncProperty<unknown[]>;
    const recording = withRun(property, async (args) => {
      events = [];
      const e = await evaluate(property, tap, args, false);
      records.push({ status: e.status, ...(e.status === 'declined' ? { reason: e.reason } : {}), ...(events.length > 0 ? { events } : {}) });
      // Every case counts as run for fast-check, so that the range is exactly `count` cases long.
      return e.status === 'fail' || e.status === 'error' ? new fc.PreconditionFailure(true) : null;
    });
    await fc.check(recording, { seed: claimSeed(config.seed, claim.id), numRuns: range.count, path: String(range.start) });
  } catch {
    records.push({ status: 'error' });
  }
  return records;
}

type Walk = { executed: number; declined: Map<string, number>; events: ObserverEvent[] } | { more: number } | null;

/**
 * The serial run's view of the records (cases from position 0 on): the cases fast-check would
 * have run to reach `runs` counted ones, or how many more counted cases are needed, or null when
 * the records do not settle the claim (a failure, an error, a run fast-check or the runner would
 * have cut short; see collect.ts for the runner's limit on declined cases).
 */
export function walkCases(records: readonly CaseRecord[], runs: number): Walk {
  const declined = new Map<string, number>();
  const events: ObserverEvent[] = [];
  let executed = 0;
  let skipped = 0;
  let declinedTotal = 0;
  for (let i = 0; i < records.length && executed < runs; i++) {
    const r = records[i];
    if (r.events !== undefined) events.push(...r.events);
    if (r.status === 'pass') {
      executed++;
      continue;
    }
    if (r.status === 'declined') {
      declined.set(r.reason!, (declined.get(r.reason!) ?? 0) + 1);
      declinedTotal++;
      if ((executed === 0 && declinedTotal >= runs) || declinedTotal >= 10 * runs) return null;
    } else if (r.status !== 'skipped') {
      return null;
    }
    if (++skipped > runs * MAX_SKIPS_PER_RUN) return null;
  }
  return executed < runs ? { more: runs - executed } : { executed, declined, events };
}

/**
 * The outcome of a clean run from the records of its ranges, in order from case 0, running any
 * cases still missing (those that skipped cases pushed past the ranges) here; the claim's notes
 * are passed to `observer` in the serial run's order. Null: run the claim whole.
 */
export async function searchFromCases(claim: Claim, backend: Backend, config: RunConfig, runs: number, cases: readonly CaseRecord[], observer: Observer): Promise<SearchOutcome | null> {
  let records = cases;
  for (;;) {
    const walk = walkCases(records, runs);
    if (walk === null) return null;
    if ('more' in walk) {
      records = [...records, ...(await runCaseRange(claim, backend, config, { start: records.length, count: walk.more }))];
      continue;
    }
    for (const e of walk.events) {
      if (e.kind === 'policy') observer.policy(e.note);
      else observer.illConditioned(e.reason);
    }
    return { groups: [], executed: walk.executed, declined: walk.declined, tooManySkips: false };
  }
}
