import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BackendError, CaseDeclined, isBackendError, isCaseDeclined, type Backend } from '../backends/backend.ts';
import { ProcessBackendError } from '../backends/process.ts';
import { referenceBackend } from '../backends/reference.ts';
import { opCase } from '../backends/testdata/cases.ts';
import type { ExprCase } from '../cases/types.ts';
import { tapBackend } from './instrument.ts';
import { identityOf, remoteBackend, serveBackend } from './remote-backend.ts';

// The reference engine, except for cases whose input is named after what it should do instead.
const reference = referenceBackend();
const served: Backend = {
  ...reference,
  name: reference.name,
  version: reference.version,
  dtype: reference.dtype,
  capabilities: reference.capabilities,
  runExpr: async (c: ExprCase) => {
    const name = Object.keys(c.inputs)[0];
    if (name === 'declined') throw new CaseDeclined('no such shapes here');
    if (name === 'crashed') throw new ProcessBackendError('mylib', 'request 7 (expr case)', 'crash', 'the adapter exited', 'Segmentation fault');
    if (name === 'typo') throw new TypeError('undefined is not a function');
    if (name === 'slow') await new Promise((resolve) => setTimeout(resolve, 50));
    return reference.runExpr(c);
  },
};

const caseNamed = async (name: string): Promise<ExprCase> => {
  const c = await opCase({ op: 'neg', args: [{ op: 'input', name: 'x' }] });
  return { ...c, inputs: { [name]: c.inputs.x }, graph: { op: 'neg', args: [{ op: 'input', name }] } };
};

/** What the tap (the runner's view of a backend) makes of a request: its result, or how it failed. */
async function outcome(backend: Backend, c: ExprCase): Promise<unknown> {
  const tap = tapBackend(backend);
  try {
    return { result: await tap.backend.runExpr(c) };
  } catch (e) {
    return { declined: isCaseDeclined(e), backendError: isBackendError(e), message: (e as Error).message, tripped: tap.tripped?.error.message ?? null };
  }
}

describe('a backend served to another thread', () => {
  it('gives each request its own result, and fails it as the backend itself would: declined, backend error, or a throw', async () => {
    const { port1, port2 } = new MessageChannel();
    serveBackend(served, port1);
    const remote = remoteBackend(identityOf(served), port2);
    try {
      expect([remote.name, remote.version, remote.dtype, [...remote.capabilities]]).toEqual([served.name, served.version, served.dtype, [...served.capabilities]]);
      const names = ['slow', 'plain', 'declined', 'crashed', 'typo'];
      const cases = await Promise.all(names.map(caseNamed));
      // All in flight at once: the slow one answers last, and every reply still finds its request.
      const viaPort = await Promise.all(cases.map((c) => outcome(remote, c)));
      const direct = await Promise.all(cases.map((c) => outcome(served, c)));
      expect(viaPort).toEqual(direct);
      expect(viaPort.map((o) => Object.keys(o as object)[0])).toEqual(['result', 'result', 'declined', 'declined', 'declined']);
      expect(viaPort.slice(2).map((o) => [(o as { declined: boolean }).declined, (o as { backendError: boolean }).backendError])).toEqual([[true, false], [false, true], [false, true]]);
    } finally {
      await remote.close?.();
      port1.close();
    }
  });

  it('keeps a BackendError a backend error whatever its class', async () => {
    const { port1, port2 } = new MessageChannel();
    serveBackend({ ...served, runExpr: () => Promise.reject(new BackendError('GPU lost')) }, port1);
    const remote = remoteBackend(identityOf(served), port2);
    try {
      expect(await outcome(remote, await caseNamed('x'))).toEqual({ declined: false, backendError: true, message: 'GPU lost', tripped: 'GPU lost' });
    } finally {
      await remote.close?.();
      port1.close();
    }
  });
});
