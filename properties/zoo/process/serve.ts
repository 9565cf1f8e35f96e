/**
 * The bug zoo's process adapter: the reference engine behind the process protocol
 * (docs/protocol.md) with one bug's patch applied for the life of the process.
 * Run with `node --import tsx properties/zoo/process/serve.ts <bug>` (a file of ../patches/).
 */
import { createInterface } from 'node:readline';
import { referenceBackend, runExpression, runTraining } from '../../../src/backends/reference.ts';
import { decodeJson, encodeJson } from '../../../src/cases/json.ts';
import type { ExprCase, TrainCase } from '../../../src/cases/types.ts';
import type { Patch } from '../patches/patch.ts';

function serve(name: string): void {
  const capabilities = [...referenceBackend().capabilities];
  const answer = (request: { type: string; case?: unknown }): unknown => {
    if (request.type === 'handshake') return { protocol: 1, name, version: '1', dtype: 'float64', capabilities };
    if (request.type === 'expr') return runExpression(request.case as ExprCase);
    if (request.type === 'train') return runTraining(request.case as TrainCase);
    throw new Error(`unknown request type '${request.type}'`);
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

const bug = process.argv[2];
if (bug === undefined || !/^[\w-]+$/.test(bug)) {
  process.stderr.write('usage: serve.ts <bug>, one of the files of properties/zoo/patches/\n');
  process.exit(2);
}
const patch = ((await import(`../patches/${bug}.ts`)) as { default: Patch }).default;
patch();
serve(`zoo-${bug}`);
