/** A module backend with one engine patch applied around each case, and undone after it (cases run synchronously). */
import type { Backend } from '../../../src/backends/backend.ts';
import { runExpression, runTraining } from '../../../src/backends/reference.ts';
import type { Patch } from '../patches/patch.ts';
import { brokenReference } from './broken.ts';

function during<T>(patch: Patch, run: () => T): T {
  const undo = patch();
  try {
    return run();
  } finally {
    undo();
  }
}

export function patchedReference(name: string, patch: Patch): Backend {
  return { ...brokenReference(name), runExpr: async (c) => during(patch, () => runExpression(c)), runTrain: async (c) => during(patch, () => runTraining(c)) };
}
