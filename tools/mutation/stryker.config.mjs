// Stryker over the folders of issue 10 (src/engine, src/optim, src/regularize, src/check, src/cases),
// run from the repository root by tools/mutation/run.mjs. The vitest runner runs, for each mutant,
// only the tests that cover it (coverageAnalysis 'perTest').
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'tools/mutation/vitest.config.ts' },
  // Mutants in module-level code run every test; they are counted apart ('ignored') to keep a run in hours, not days.
  ignoreStatic: true,
  coverageAnalysis: 'perTest',
  mutate: ['src/{engine,optim,regularize,check,cases}/**/*.ts', '!**/*.test.ts'],
  ignorePatterns: ['tools', '!tools/mutation/vitest.config.ts', '.regproof', 'reports'],
  reporters: ['clear-text', 'json', 'progress'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  concurrency: 1,
  timeoutMS: 60_000,
  thresholds: { high: 90, low: 80, break: null },
};
