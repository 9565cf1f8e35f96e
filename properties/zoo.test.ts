/**
 * The bug zoo (properties/zoo/): every broken backend is caught by the claims its entry names, at
 * the usual run count, with a report that names the op or option at fault. scripts/zoo.ts shows
 * that a full `regproof verify` catches each one too.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RUNS, configFromEnv } from '../src/runner/config.ts';
import { runClaim } from '../src/runner/run.ts';
import { ALL_CLAIMS } from './index.ts';
import { ZOO, startZooBackend } from './zoo/catalogue.ts';

// The zoo's promise is "caught at the default run count": never fewer runs, even when REGPROOF_RUNS is lowered.
const config = { ...configFromEnv(), runs: Math.max(configFromEnv().runs, DEFAULT_RUNS) };

describe.concurrent('the bug zoo', () => {
  it('holds at least 20 bugs, as modules and as process adapters', () => {
    expect(ZOO.length).toBeGreaterThanOrEqual(20);
    expect(new Set(ZOO.map((e) => e.kind))).toEqual(new Set(['module', 'process']));
  });

  for (const entry of ZOO) {
    it(`catches ${entry.id} (${entry.kind}): ${entry.bug}`, async () => {
      const backend = await startZooBackend(entry);
      try {
        for (const id of entry.catches) {
          const claim = ALL_CLAIMS.find((c) => c.id === id);
          expect(claim, id).toBeDefined();
          const result = await runClaim(claim!, backend, config, { failuresDir: null });
          expect(result.verdict, `${id}: ${result.failure?.message}`).toBe('fail');
          expect(result.failure!.message).toContain(entry.names);
        }
      } finally {
        await backend.close?.();
      }
    });
  }
});
