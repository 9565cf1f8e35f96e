import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'properties/**/*.test.ts', 'properties/**/*.prop.ts', 'bench/**/*.test.ts'],
    // A hang guard only: claims scale with REGPROOF_RUNS, and speed is measured in bench/, not here.
    testTimeout: 600_000,
  },
});
