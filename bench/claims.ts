/**
 * What each claim costs against the reference backend: CPU milliseconds per claim, run one after
 * another in this process, dearest first, with the total. CPU time, not wall time, so that figures
 * taken on a busy machine still compare. Prints figures; asserts nothing.
 *
 * Run: npx tsx bench/claims.ts [runs] [id prefix to skip]   (default 1000 runs, skipping nothing)
 */
import { ALL_CLAIMS } from '../properties/index.ts';
import { referenceBackend } from '../src/backends/reference.ts';
import { runClaim } from '../src/runner/run.ts';

const runs = Number(process.argv[2] ?? 1000);
const skip = process.argv[3];
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

const backend = referenceBackend();
const rows: { id: string; verdict: string; ms: number }[] = [];
for (const claim of ALL_CLAIMS) {
  if (skip !== undefined && claim.id.startsWith(skip)) continue;
  const t0 = cpuMs();
  const result = await runClaim(claim, backend, { runs, seed: 20261125 }, { failuresDir: null });
  rows.push({ id: claim.id, verdict: result.verdict, ms: cpuMs() - t0 });
}
rows.sort((a, b) => b.ms - a.ms);
const width = Math.max(...rows.map((r) => r.id.length));
console.log(`CPU ms per claim, ${runs} runs each, reference backend, one thread (node ${process.version})`);
for (const r of rows) console.log(`${r.id.padEnd(width)}  ${r.verdict.padEnd(7)}  ${r.ms.toFixed(0).padStart(7)}`);
console.log(`${'total'.padEnd(width)}  ${''.padEnd(7)}  ${rows.reduce((a, r) => a + r.ms, 0).toFixed(0).padStart(7)}`);
