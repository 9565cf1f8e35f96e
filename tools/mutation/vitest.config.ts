// The test suite as Stryker runs it: the tests that exercise src/{engine,optim,regularize,check,cases},
// without the ones that drive other backends, browsers or child processes (their coverage is not
// attributed to a mutant, and they cost seconds each). REGPROOF_RUNS comes from run.mjs;
// MUTATION_TESTS (comma-separated globs) narrows the tests, e.g. to unit tests for a quick measure.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    ...base.test,
    ...(process.env.MUTATION_TESTS ? { include: process.env.MUTATION_TESTS.split(',') } : {}),
    exclude: ['**/node_modules/**', 'src/teach/**', 'src/cli/**', 'src/backends/{faults,process,torch,tfjs}.test.ts', 'tools/**'],
    // Stryker runs the tests in a sandbox inside the checkout: the clean-tree check does not apply.
    globalSetup: [],
  },
});
