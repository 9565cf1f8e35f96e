import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// `import 'regproof'` in the tests resolves to the sources through the package's 'regproof-source'
// export condition (tsconfig's customConditions does the same for tsc), so no build is needed to test.
const conditions = ['regproof-source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['src/**/*.test.ts', 'properties/**/*.test.ts', 'properties/**/*.prop.ts', 'scripts/**/*.test.ts'],
    // Worker threads that share loaded modules between test files: the suite takes about 51 s here
    // against 95 s with a fresh module graph per file (mathjs, jsdom and tfjs load once per worker).
    // Tests that patch a global (an OPS entry, Tensor.prototype.backward, a spy) restore it in finally.
    pool: 'threads',
    // Fails the run if a test wrote into the working tree.
    globalSetup: ['scripts/clean-tree.ts'],
    isolate: false,
    // A hang guard only: claims scale with REGPROOF_RUNS, and speed is measured in bench/, not here.
    testTimeout: 600_000,
  },
});
