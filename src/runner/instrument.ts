/**
 * The backend as a claim's property sees it during a run: every request passes through here, so
 * the runner knows which cases the backend declined, whether it failed (a backend error is never
 * evidence about a claim), and, when asked, exactly which requests a case sent.
 */
import fc from 'fast-check';
import { BackendError, isBackendError, isCaseDeclined, type Backend } from '../backends/backend.ts';
import type { ExprCase, TrainCase } from '../cases/types.ts';

export type BackendRequest = { method: 'runExpr'; case: ExprCase } | { method: 'runTrain'; case: TrainCase };

export interface Tap {
  /** The backend to build the claim's property over. */
  backend: Backend;
  /** The first backend failure in this claim; later requests fail at once without being sent. */
  tripped: { error: BackendError; request: BackendRequest | null } | null;
  /** Set when the backend declined a request of the current case. */
  declined: string | null;
  /** Requests sent while recording (a copy of each, as sent). */
  recording: BackendRequest[] | null;
  /** Requests sent and not yet settled, each as a promise that settles after the tap saw its end. */
  inFlight: Promise<void>[];
}

const declineReason = (e: unknown): string | null => (isCaseDeclined(e) ? String((e as { reason?: unknown }).reason ?? (e as Error).message) : null);

export function tapBackend(inner: Backend): Tap {
  const tap: Tap = { backend: inner, tripped: null, declined: null, recording: null, inFlight: [] };
  // Requests in the order sent. Several requests of a case may settle in any order (with several
  // adapters, or threads, any order at all): a decline or a failure is told by the earliest sent.
  let sent = 0;
  let declinedBy = 0;
  let trippedBy = 0;
  const send = <C, R>(method: BackendRequest['method'], run: (c: C) => Promise<R>) => async (c: C, order: number): Promise<R> => {
    if (tap.tripped !== null) throw new BackendError(`not sent: the backend failed earlier in this claim (${tap.tripped.error.message.split('\n')[0]})`);
    // A copy as sent, taken before the backend runs, when the requests are being recorded; else
    // only for a request that trips the backend (a deep copy of every case cost 7% of the L2
    // claims' CPU). A backend that changed the case it was sent before throwing would have the
    // changed case kept in that one instance.
    const copy = tap.recording === null ? null : ({ method, case: structuredClone(c) } as BackendRequest);
    if (copy !== null) tap.recording!.push(copy);
    try {
      return await run(c);
    } catch (e) {
      const reason = declineReason(e);
      if (reason !== null) {
        if (tap.declined === null || order < declinedBy) [tap.declined, declinedBy] = [reason, order];
        throw e;
      }
      // A throw or rejection is the backend failing, whatever it threw: never a verdict on the claim.
      const error = isBackendError(e) ? e : new BackendError(`${inner.name}: ${method} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      if (tap.tripped === null || order < trippedBy) {
        tap.tripped = { error, request: copy ?? ({ method, case: structuredClone(c) } as BackendRequest) };
        trippedBy = order;
      }
      throw error;
    }
  };
  const wrap = <C, R>(method: BackendRequest['method'], run: (c: C) => Promise<R>) => {
    const sendOne = send(method, run);
    return (c: C): Promise<R> => {
      const reply = sendOne(c, sent++);
      tap.inFlight.push(reply.then(() => undefined, () => undefined));
      return reply;
    };
  };
  tap.backend = {
    name: inner.name,
    version: inner.version,
    dtype: inner.dtype,
    capabilities: inner.capabilities,
    runExpr: wrap('runExpr', (c: ExprCase) => inner.runExpr(c)),
    runTrain: wrap('runTrain', (c: TrainCase) => inner.runTrain(c)),
  };
  return tap;
}

export type Evaluation = { status: 'pass' } | { status: 'skipped' } | { status: 'declined'; reason: string } | { status: 'error' } | { status: 'fail'; error: unknown };

/**
 * Waits until every request sent so far has settled. A case's property may return while some of
 * its requests are still out (Promise.all rejects at the first decline): their ends belong to
 * this case, and judged later they would land on whichever case was running by then.
 */
async function settle(tap: Tap): Promise<void> {
  while (tap.inFlight.length > 0) await Promise.all(tap.inFlight.splice(0));
}

/** Runs one case of a property (with its hooks) and says what came of it, once all it sent has settled. */
export async function evaluate(property: fc.IAsyncProperty<unknown[]>, tap: Tap, args: unknown[], hooks = true): Promise<Evaluation> {
  tap.declined = null;
  if (hooks) await property.runBeforeEach();
  const outcome = await property.run(args);
  if (hooks) await property.runAfterEach();
  await settle(tap);
  if (tap.tripped !== null) return { status: 'error' };
  // Declining wins over whatever the claim made of the exception it caused.
  if (tap.declined !== null) return { status: 'declined', reason: tap.declined };
  if (outcome === null) return { status: 'pass' };
  if (fc.PreconditionFailure.isFailure(outcome)) return { status: 'skipped' };
  if (isBackendError(outcome.error)) {
    tap.tripped = { error: outcome.error, request: null };
    return { status: 'error' };
  }
  return { status: 'fail', error: outcome.error };
}

/** The property with its `run` replaced: same cases, hooks and shrinking. */
export function withRun(property: fc.IAsyncProperty<unknown[]>, run: fc.IAsyncProperty<unknown[]>['run']): fc.IAsyncProperty<unknown[]> {
  return {
    isAsync: () => true,
    generate: (mrng, runId) => property.generate(mrng, runId),
    shrink: (value) => property.shrink(value),
    runBeforeEach: () => property.runBeforeEach(),
    runAfterEach: () => property.runAfterEach(),
    run,
  };
}
