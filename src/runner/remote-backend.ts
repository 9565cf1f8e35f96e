/**
 * A backend shared across threads: the thread that owns it serves requests on a MessagePort, and
 * a claim worker talks to it through remoteBackend, a Backend like any other. The process
 * backends use this, so their adapters (processes, timeouts, the budget, signals) stay in the
 * main thread, while claims run on several threads and keep several requests in flight.
 *
 * What a request throws crosses the port as its name, message and reason, and is thrown again
 * on the worker's side as the same kind of error with the same message: a BackendError stays a
 * backend error, a CaseDeclined a declined case, so the report is what it would be in one thread.
 */
import type { MessagePort } from 'node:worker_threads';
import { BackendError, CaseDeclined, isBackendError, isCaseDeclined, type Backend, type Dtype } from '../backends/backend.ts';
import type { ExprCase, TrainCase } from '../cases/types.ts';

/** What a worker needs to know of the backend before its first request. */
export interface BackendIdentity {
  name: string;
  version: string;
  dtype: Dtype;
  capabilities: string[];
}

type Method = 'runExpr' | 'runTrain';
type Request = { id: number; method: Method; case: ExprCase | TrainCase };
type Thrown = { kind: 'declined'; reason: string } | { kind: 'backend' | 'other'; name: string; message: string };
type Reply = { id: number; result: unknown } | { id: number; thrown: Thrown };

export const identityOf = (b: Backend): BackendIdentity => ({ name: b.name, version: b.version, dtype: b.dtype, capabilities: [...b.capabilities] });

function describeThrown(e: unknown): Thrown {
  if (isCaseDeclined(e)) return { kind: 'declined', reason: String((e as { reason?: unknown }).reason ?? (e as Error).message) };
  if (e instanceof Error) return { kind: isBackendError(e) ? 'backend' : 'other', name: e.name, message: e.message };
  return { kind: 'other', name: 'Error', message: String(e) };
}

function rethrown(t: Thrown): Error {
  if (t.kind === 'declined') return new CaseDeclined(t.reason);
  const error = t.kind === 'backend' ? new BackendError(t.message) : new Error(t.message);
  error.name = t.name;
  return error;
}

/** Answers the requests that arrive on `port` with `backend`, each as soon as it settles. */
export function serveBackend(backend: Backend, port: MessagePort): void {
  port.on('message', (request: Request) => {
    const run = request.method === 'runExpr' ? backend.runExpr(request.case as ExprCase) : backend.runTrain(request.case as TrainCase);
    run.then(
      (result) => port.postMessage({ id: request.id, result } satisfies Reply),
      (e: unknown) => port.postMessage({ id: request.id, thrown: describeThrown(e) } satisfies Reply),
    );
  });
}

/** The worker's side: a Backend whose requests go over `port` to the thread serving the real one. */
export function remoteBackend(identity: BackendIdentity, port: MessagePort): Backend {
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  port.on('message', (reply: Reply) => {
    const pending = waiting.get(reply.id);
    waiting.delete(reply.id);
    if ('thrown' in reply) pending?.reject(rethrown(reply.thrown));
    else pending?.resolve(reply.result);
  });
  const send = <R>(method: Method, c: ExprCase | TrainCase): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      port.postMessage({ id, method, case: c } satisfies Request);
    });
  return {
    ...identity,
    capabilities: new Set(identity.capabilities),
    runExpr: (c) => send('runExpr', c),
    runTrain: (c) => send('runTrain', c),
    close: async () => port.close(),
  };
}
