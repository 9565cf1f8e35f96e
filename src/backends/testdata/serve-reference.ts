/**
 * The reference engine behind the process protocol (docs/protocol.md), reading requests from
 * stdin and writing replies to stdout: the body of the test adapters that run it as a process.
 */
import { createInterface } from 'node:readline';
import { decodeJson, encodeJson, type ExprCase, type TrainCase } from '../../kit.ts';
import { referenceBackend, runExpression, runTraining, type ReferenceOverrides } from '../reference.ts';

/**
 * `overrides` builds a deliberately broken variant, as for referenceBackend; `decline` gives the
 * reason to decline a case, or null to run it.
 */
export function serveReference(name: string, overrides: ReferenceOverrides = {}, decline: (c: ExprCase | TrainCase) => string | null = () => null): void {
  const reference = referenceBackend(overrides);
  const identity = { protocol: 1, name, version: reference.version, dtype: reference.dtype, capabilities: [...reference.capabilities] };
  const answer = (request: { type: string; case?: unknown }): unknown => {
    switch (request.type) {
      case 'handshake':
        return identity;
      case 'expr':
        return runExpression(request.case as ExprCase);
      case 'train':
        return runTraining(request.case as TrainCase, overrides);
      default:
        throw new Error(`unknown request type '${request.type}'`);
    }
  };
  const reply = (request: { id: number; type: string; case?: ExprCase | TrainCase }): unknown => {
    const declined = request.case === undefined ? null : decline(request.case);
    if (declined !== null) return { id: request.id, declined };
    try {
      return { id: request.id, ok: true, result: answer(request) };
    } catch (e) {
      return { id: request.id, ok: false, error: (e as Error).message };
    }
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    process.stdout.write(`${encodeJson(reply(decodeJson(line) as { id: number; type: string; case?: ExprCase | TrainCase }))}\n`);
  });
}
