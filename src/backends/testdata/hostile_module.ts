/**
 * A module backend with the faults listed in REGPROOF_HOSTILE_MODULE, comma-separated (for the CLI
 * tests of faults.test.ts, which run regproof in a child process):
 *   never-settles        runExpr and runTrain return a promise that never settles
 *   close-never-settles  behaves, but close() never settles
 *   boom-at-create       createBackend() throws
 *   keeps-node-alive     behaves, but leaves a ref'd interval and a listening server behind
 *   exits                its first request calls process.exit(0)
 *   throws-outside       behaves, but its first request starts a timer that throws and a promise
 *                        that rejects with nobody awaiting either; each request waits 5 ms (as
 *                        one doing I/O would), so the run gives them their turn
 * It wraps the reference engine, so whatever it does not break, it answers correctly.
 */
import { createServer } from 'node:net';
import type { ExprCase, TrainCase } from '../../cases/types.ts';
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
  const throwsOutside = modes.includes('throws-outside');
  let thrown = false;
  const answer = async <C, R>(run: (c: C) => Promise<R>, c: C): Promise<R> => {
    if (modes.includes('exits')) process.exit(0);
    if (throwsOutside) {
      if (!thrown) {
        setTimeout(() => {
          throw new Error('a timer of the backend failed');
        });
        void Promise.reject(new Error('a promise of the backend failed'));
      }
      thrown = true;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return run(c);
  };
  return {
    ...inner,
    runExpr: hangs ? never : (c: ExprCase) => answer((x) => inner.runExpr(x), c),
    runTrain: hangs ? never : (c: TrainCase) => answer((x) => inner.runTrain(x), c),
    close: modes.includes('close-never-settles') ? never : async () => {},
  };
}
