/**
 * Registers claims as vitest tests. Library authors call this from their own suite with their
 * backend; regproof's properties/*.prop.ts files call it with the reference engine.
 */
import { describe, it } from 'vitest';
import type { Backend } from '../backends/backend.ts';
import type { Claim } from './claim.ts';
import { configFromEnv } from './config.ts';
import { formatFailure, runClaim, type RunOptions } from './run.ts';

export function registerClaims(family: string, claims: readonly Claim[], backend: () => Backend | Promise<Backend>, options: RunOptions = {}): void {
  const config = configFromEnv();
  describe(family, () => {
    for (const claim of claims) {
      it(`${claim.id}: ${claim.statement}`, async (ctx) => {
        const result = await runClaim(claim, await backend(), config, options);
        if (result.verdict === 'not-applicable') ctx.skip(`not applicable: the backend lacks ${result.missing!.join(', ')}`);
        if (result.verdict === 'fail') throw new Error(formatFailure(result, config.seed));
      });
    }
  });
}
