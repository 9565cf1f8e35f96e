/**
 * The reference engine behind the process protocol: run with `node --import tsx`. Comparing it
 * with the in-process reference backend tests the protocol end to end, the number encoding
 * (NaN, ±Infinity, −0) included.
 */
import { createInterface } from 'node:readline';
import { decodeJson, encodeJson, type ExprCase, type TrainCase } from '../../kit.ts';
import { referenceBackend, runExpression, runTraining } from '../reference.ts';

const reference = referenceBackend();

function answer(request: { type: string; case?: unknown }): unknown {
  switch (request.type) {
    case 'handshake':
      return { protocol: 1, name: 'reference-process', version: reference.version, dtype: reference.dtype, capabilities: [...reference.capabilities] };
    case 'expr':
      return runExpression(request.case as ExprCase);
    case 'train':
      return runTraining(request.case as TrainCase);
    default:
      throw new Error(`unknown request type '${request.type}'`);
  }
}

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
