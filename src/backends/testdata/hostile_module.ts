/**
 * A module backend with the faults listed in REGPROOF_HOSTILE_MODULE, comma-separated (for the CLI
 * tests of faults.test.ts, which run regproof in a child process):
 *   never-settles        runExpr and runTrain return a promise that never settles
 *   close-never-settles  behaves, but close() never settles
 *   boom-at-create       createBackend() throws
 *   keeps-node-alive     behaves, but leaves a ref'd interval and a listening server behind
 * It wraps the reference engine, so whatever it does not break, it answers correctly.
 */
import { createServer } from 'node:net';
import { referenceBackend } from '../reference.ts';

export function createBackend() {
  const modes = (process.env.REGPROOF_HOSTILE_MODULE ?? '').split(',');
  if (modes.includes('boom-at-create')) throw new Error('cannot connect to the GPU');
  if (modes.includes('keeps-node-alive')) {
    setInterval(() => {}, 1000);
    createServer().listen(0, '127.0.0.1');
  }
  const inner = referenceBackend({ name: 'hostile' });
  const never = () => new Promise<never>(() => {});
  const hangs = modes.includes('never-settles');
  return {
    ...inner,
    runExpr: hangs ? never : inner.runExpr.bind(inner),
    runTrain: hangs ? never : inner.runTrain.bind(inner),
    close: modes.includes('close-never-settles') ? never : async () => {},
  };
}
