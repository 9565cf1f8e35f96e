/**
 * The reference engine behind the process protocol (docs/protocol.md), reading requests from
 * stdin and writing replies to stdout: the body of the test adapters that run it as a process.
 */
import { createInterface } from 'node:readline';
import { decodeJson, encodeJson, type ExprCase, type TrainCase } from '../../kit.ts';
import { referenceBackend, runExpression, runTraining, type ReferenceOverrides } from '../reference.ts';

/** `overrides` builds a deliberately broken variant, as for referenceBackend. */
export function serveReference(name: string, overrides: ReferenceOverrides = {}): void {
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
  createInterface({ input: process.stdin }).on('line', (line) => {
    const request = decodeJson(line) as { id: number; type: string; case?: unknown };
    let reply: unknown;
    try {
      reply = { id: request.id, ok: true, result: answer(request) };
    } catch (e) {
      reply = { id: request.id, ok: false, error: (e as Error).message };
    }
    process.stdout.write(`${encodeJson(reply)}\n`);
  });
}
