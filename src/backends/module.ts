/**
 * Module backends (`--backend ./my-backend.ts`) held to the same rules as process adapters:
 * every result is validated against its request by the same schema (parseExprResult,
 * parseTrainResult), so a malformed result is a BackendError and never a verdict; anything a
 * method throws or rejects with is a BackendError, except CaseDeclined, which declines that one
 * case; and every call has the per-case timeout, the overall budget and, for close(), a bounded
 * wait, so a promise that never settles is a timeout, not a run that ends with nothing written.
 */
import { CaseError, parseExprResult, parseTrainResult } from '../cases/schema.ts';
import type { ExprCase, ExprResult, TrainCase, TrainResult } from '../cases/types.ts';
import { BackendError, CaseDeclined, isBackendError, isCaseDeclined, type Backend } from './backend.ts';
import { Budget, checkInterrupted, DEFAULT_LIMITS, describeTimeout, LimitReached, seconds, within, type Limits } from './lifecycle.ts';

/** An error's class and message, for a message about what a module threw. */
export function describeThrown(e: unknown): string {
  if (e instanceof Error || (typeof e === 'object' && e !== null && typeof (e as Error).message === 'string')) {
    const { name, message } = e as Error;
    return `${typeof name === 'string' && name !== '' ? name : 'Error'}: ${message}`;
  }
  return `a non-error value ${typeof e === 'string' ? JSON.stringify(e) : String(e)}`;
}

/** Where a module backend's close() that never settles is reported: it is abandoned, as a slow adapter is killed. */
export type Warn = (message: string) => void;

const warnOnStderr: Warn = (message) => void process.stderr.write(`regproof: warning: ${message}\n`);

/**
 * The backend `inner`, loaded from `source`, behind validation, timeouts and the budget. A close()
 * that does not settle in time is abandoned with a warning (the results stand, as with an adapter
 * killed after its grace period); one that throws is a BackendError.
 */
export function guardModuleBackend(inner: Backend, source: string, limits: Limits = DEFAULT_LIMITS, warn: Warn = warnOnStderr): Backend {
  const label = `module backend '${inner.name}' (${source})`;
  const budget = new Budget(limits);
  let requests = 0;

  async function call<C, R>(method: 'runExpr' | 'runTrain', c: C, run: (c: C) => Promise<unknown>, parse: (result: unknown, c: C) => R): Promise<R> {
    const request = `${label}: ${method}, request ${++requests}`;
    checkInterrupted(request);
    const limit = budget.timeoutFor(request);
    let result: unknown;
    try {
      // Promise.resolve().then: a method that throws synchronously is caught like one that rejects.
      result = await within(Promise.resolve().then(() => run(c)), limit.ms, () => `${request} failed: ${describeTimeout(limit)}`);
    } catch (e) {
      if (e instanceof LimitReached) throw e;
      if (isCaseDeclined(e)) throw e instanceof CaseDeclined ? e : new CaseDeclined(declinedReason(e));
      throw new BackendError(`${request} ${isBackendError(e) ? 'failed' : 'threw'}: ${describeThrown(e)}`);
    }
    try {
      return parse(result, c);
    } catch (e) {
      if (e instanceof CaseError) throw new BackendError(`${request} returned a malformed result: ${e.message}`);
      throw e;
    }
  }

  return {
    name: inner.name,
    version: inner.version,
    dtype: inner.dtype,
    capabilities: inner.capabilities,
    runExpr: (c: ExprCase): Promise<ExprResult> => call('runExpr', c, (x) => inner.runExpr(x), parseExprResult),
    runTrain: (c: TrainCase): Promise<TrainResult> => call('runTrain', c, (x) => inner.runTrain(x), parseTrainResult),
    async close(): Promise<void> {
      if (inner.close === undefined) return;
      try {
        await within(Promise.resolve().then(() => inner.close!()), limits.closeTimeoutMs, () => `${label}: close() did not settle within ${seconds(limits.closeTimeoutMs)}`);
      } catch (e) {
        if (e instanceof LimitReached) return warn(`${e.message}; abandoned`);
        throw new BackendError(`${label}: close() threw: ${describeThrown(e)}`);
      }
    },
  };
}

function declinedReason(e: unknown): string {
  const reason = (e as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : (e as Error).message;
}
