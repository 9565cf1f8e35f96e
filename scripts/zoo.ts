/**
 * The zoo table: every broken backend of properties/zoo/ against every claim, as `regproof verify`
 * runs them (same runs and seed, from REGPROOF_RUNS and REGPROOF_SEED), printing the bug, the
 * claims that caught it, and the first line of the first report. Exits 1 when a bug goes uncaught.
 *
 *   npx tsx scripts/zoo.ts [bug-id ...]
 */
import { fileURLToPath } from 'node:url';
import { ALL_CLAIMS } from '../properties/index.ts';
import { ZOO, startZooBackend, zooFlag } from '../properties/zoo/catalogue.ts';
import { configFromEnv } from '../src/runner/config.ts';
import { runClaim } from '../src/runner/run.ts';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const config = configFromEnv();
const chosen = process.argv.length > 2 ? ZOO.filter((e) => process.argv.slice(2).includes(e.id)) : ZOO;
let uncaught = 0;
console.log(`| bug | backend | claims that caught it | first line of the report |\n|---|---|---|---|`);
for (const entry of chosen) {
  const started = performance.now();
  const backend = await startZooBackend(entry);
  const caught: { id: string; message: string }[] = [];
  const errors: string[] = [];
  try {
    for (const claim of ALL_CLAIMS) {
      const result = await runClaim(claim, backend, config, { failuresDir: null });
      if (result.verdict === 'fail') caught.push({ id: claim.id, message: result.failure!.message });
      if (result.verdict === 'error') errors.push(claim.id);
    }
  } finally {
    await backend.close?.();
  }
  if (caught.length === 0) uncaught++;
  const first = caught[0]?.message.split('\n')[0] ?? 'NOT CAUGHT';
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const extra = errors.length > 0 ? ` (backend errors in ${errors.join(', ')})` : '';
  console.log(`| ${entry.bug} | \`${zooFlag(entry, root)}\` | ${caught.map((c) => c.id).join(', ')}${extra} | ${first.replaceAll('|', '\\|')} (${seconds} s) |`);
}
console.log(`\n${chosen.length - uncaught} of ${chosen.length} bugs caught at ${config.runs} runs, seed ${config.seed}.`);
process.exit(uncaught > 0 ? 1 : 0);
