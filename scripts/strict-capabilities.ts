/**
 * Every claim against the strict test backend (properties/strict.ts) over every capability subset,
 * at 1000 runs (REGPROOF_RUNS overrides; REGPROOF_SEED as usual). Prints one line per subset and
 * every claim that did not pass or come out not applicable; exits 1 if there is any.
 *
 *   npx tsx scripts/strict-capabilities.ts
 */
import { configFromEnv } from '../src/runner/config.ts';
import { formatFailure, runClaim } from '../src/runner/run.ts';
import { ALL_CLAIMS } from '../properties/index.ts';
import { STRICT_SUBSETS, strictBackend } from '../properties/strict.ts';

const config = { ...configFromEnv(), runs: process.env.REGPROOF_RUNS === undefined ? 1000 : configFromEnv().runs };
let bad = 0;
for (const [subset, caps] of Object.entries(STRICT_SUBSETS)) {
  const backend = strictBackend(subset, caps);
  const counts: Record<string, number> = {};
  const started = performance.now();
  for (const claim of ALL_CLAIMS) {
    const result = await runClaim(claim, backend, config, { failuresDir: null });
    counts[result.verdict] = (counts[result.verdict] ?? 0) + 1;
    if (!['pass', 'not-applicable', 'policy-difference'].includes(result.verdict)) {
      bad++;
      console.log(formatFailure(result, config.seed));
    }
  }
  const summary = Object.entries(counts).map(([verdict, n]) => `${n} ${verdict}`).join(', ');
  console.log(`${subset}: ${summary} (${config.runs} runs, ${((performance.now() - started) / 1000).toFixed(0)} s)`);
}
console.log(bad === 0 ? 'strict capabilities: no errors, no failures' : `strict capabilities: ${bad} claim(s) errored or failed`);
process.exitCode = bad === 0 ? 0 : 1;
