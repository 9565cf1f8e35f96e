/**
 * Every distinct way a claim fails, not only the first. fast-check stops at its first failure and
 * shrinks it; the search then runs again with that kind of failure counted instead of failed, so
 * the next kind surfaces and is shrunk on its own (a shrink step that fails another way does not
 * count as failing). The pass that finds nothing new counts every kind over the same generated
 * cases, so the counts add up to what one full run sees.
 */
import fc from 'fast-check';
import { evaluate, withRun, type BackendRequest, type Tap } from './instrument.ts';

/** Kinds shrunk one by one; further kinds are counted with their first (unshrunk) case, to bound the time a broken backend costs. */
export const MAX_SHRUNK_KINDS = 5;

export interface FailureGroup {
  kind: string;
  args: unknown[];
  error: unknown;
  seed: number;
  path: string;
  replayed: boolean;
  shrunk: boolean;
  /** Generated cases (of the claim's run count) that failed this way; unknown when only the first kind is sought. */
  count?: number;
  requests?: BackendRequest[];
}

export interface SearchOutcome {
  groups: FailureGroup[];
  /** Cases that ran to a verdict in the counting pass. */
  executed: number;
  declined: Map<string, number>;
  /** fast-check gave up because too many cases were skipped (declined or discarded by the claim itself). */
  tooManySkips: boolean;
}

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/**
 * What makes two failures the same kind: the message with every number masked and every list of
 * numbers folded to one mark, so a kind splits neither by value nor by shape ([3, 1] and [3]).
 */
export function failureKind(error: unknown): string {
  return describe(error)
    .replace(/[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|NaN|-?Infinity/gi, '#')
    .replace(/#(?:, #)+/g, '#');
}

/** With `distinct` off, the search stops at the first kind, shrunk and uncounted: fast-check's own cost, for callers that need only the verdict. */
export async function searchFailures(property: fc.IAsyncProperty<unknown[]>, tap: Tap, run: { seed: number; runs: number; distinct: boolean }, replayed: readonly FailureGroup[], onPass: () => void): Promise<SearchOutcome> {
  const known = new Map(replayed.map((g) => [g.kind, g]));
  let tallies = new Map<string, { count: number; args: unknown[]; error: unknown }>();
  let declined = new Map<string, number>();
  let declinedTotal = 0;
  let executed = 0;
  let target: string | null = null;
  const shrunkNew = () => [...known.values()].filter((g) => !g.replayed).length;
  const tally = (kind: string, args: unknown[], error: unknown) => {
    const t = tallies.get(kind);
    if (t === undefined) tallies.set(kind, { count: 1, args, error });
    else t.count++;
  };
  const collecting = withRun(property, async (args) => {
    const e = await evaluate(property, tap, args, false);
    switch (e.status) {
      case 'error':
        return new fc.PreconditionFailure(true);
      case 'skipped':
        return new fc.PreconditionFailure();
      case 'declined': {
        declined.set(e.reason, (declined.get(e.reason) ?? 0) + 1);
        declinedTotal++;
        // A backend that declines everything would otherwise cost fast-check's hundred tries per run.
        return new fc.PreconditionFailure((executed === 0 && declinedTotal >= run.runs) || declinedTotal >= 10 * run.runs);
      }
      case 'pass':
        executed++;
        return null;
      case 'fail': {
        executed++;
        const kind = failureKind(e.error);
        if (known.has(kind) || (target === null && shrunkNew() >= MAX_SHRUNK_KINDS)) {
          tally(kind, args, e.error);
          return null;
        }
        target ??= kind;
        return target === kind ? { error: e.error } : null;
      }
    }
  });
  for (;;) {
    tallies = new Map();
    declined = new Map();
    declinedTotal = 0;
    executed = 0;
    target = null;
    onPass();
    const details = await fc.check(collecting, { seed: run.seed, numRuns: run.runs });
    if (tap.tripped !== null) return { groups: [], executed, declined, tooManySkips: false };
    if (!(details.failed && target !== null && details.counterexample !== null)) {
      const groups = [...known.values()].map((g) => ({ ...g, count: tallies.get(g.kind)?.count ?? 0 }));
      for (const [kind, t] of tallies) {
        if (!known.has(kind)) groups.push({ kind, args: t.args, error: t.error, seed: run.seed, path: '', replayed: false, shrunk: false, count: t.count });
      }
      return { groups, executed, declined, tooManySkips: details.failed && details.counterexample === null };
    }
    const found: FailureGroup = { kind: target, args: details.counterexample, error: details.errorInstance, seed: details.seed, path: details.counterexamplePath ?? '', replayed: false, shrunk: true };
    if (!run.distinct) return { groups: [found], executed, declined, tooManySkips: false };
    known.set(target, found);
  }
}
