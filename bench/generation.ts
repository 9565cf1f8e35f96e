/**
 * What generating the cases costs, apart from running them: every claim's property against the
 * reference backend with its run replaced by one that does nothing, so fast-check only draws the
 * cases (the claim's seed, as many cases as a verify asks for). CPU milliseconds per claim,
 * dearest first, with the total (after an untimed pass), and a checksum of the generated cases (JSON text, hashed) so
 * that two versions of the arbitraries can be seen to draw the same cases. Prints figures;
 * asserts nothing.
 *
 * Run: npx tsx bench/generation.ts [runs] [repeats]   (default 1000 runs, 1 timed repeat)
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { ALL_CLAIMS } from '../properties/index.ts';
import { referenceBackend } from '../src/backends/reference.ts';
import { withRun } from '../src/runner/instrument.ts';
import { claimSeed } from '../src/runner/config.ts';
import { claimRuns } from '../src/runner/run.ts';
import { positiveFromEnv, positiveSetting } from './env.ts';

const runs = positiveSetting('runs (the first argument)', process.argv[2], 1000, { integer: true });
const repeats = positiveSetting('repeats (the second argument)', process.argv[3], 1, { integer: true });
const shownRows = positiveFromEnv('ROWS', 25, { integer: true });
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const text = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : Object.is(x, -0) ? '-0' : x));

const backend = referenceBackend();
const observer = { policy: () => {}, illConditioned: () => {} };
const ms = new Map<string, number>();
const hash = createHash('sha256');
// Pass 0 hashes the cases and warms the JIT; the passes after it are timed.
for (let r = 0; r <= repeats; r++) {
  for (const claim of ALL_CLAIMS) {
    const property = claim.property(backend, observer) as fc.IAsyncProperty<unknown[]>;
    const digest = r === 0 ? createHash('sha256') : null;
    const drawOnly = withRun(property, async (args) => {
      digest?.update(text(args));
      return null;
    });
    const t0 = cpuMs();
    await fc.check(drawOnly, { seed: claimSeed(20261125, claim.id), numRuns: claimRuns(claim, { runs, seed: 20261125 }) });
    if (r > 0) ms.set(claim.id, (ms.get(claim.id) ?? 0) + cpuMs() - t0);
    if (digest !== null) hash.update(`${claim.id}:${digest.digest('hex')}\n`);
  }
}
const rows = [...ms].sort((a, b) => b[1] - a[1]);
const width = Math.max(...rows.map(([id]) => id.length));
console.log(`generation CPU ms per claim (mean of ${repeats}), ${runs} runs, one thread (node ${process.version})`);
for (const [id, t] of rows.slice(0, shownRows)) console.log(`${id.padEnd(width)}  ${(t / repeats).toFixed(0).padStart(7)}`);
console.log(`${'total'.padEnd(width)}  ${(rows.reduce((a, [, t]) => a + t, 0) / repeats).toFixed(0).padStart(7)}`);
console.log(`cases checksum ${hash.digest('hex').slice(0, 16)}`);
