/**
 * What `verify` costs across threads against the reference backend: wall time, CPU time of every
 * thread together, how close the wall time comes to CPU / threads (the threads' balance), and the
 * dearest claim's share, with its cases cut into ranges as verify cuts them. Prints figures;
 * asserts nothing. Start-up (the threads' imports) is included, as a user waits for it.
 *
 * Run: npx tsx bench/verify.ts [runs] [threads]   (default 1000 runs, one thread per core)
 */
import { availableParallelism } from 'node:os';
import { ALL_CLAIMS } from '../properties/index.ts';
import { referenceBackend } from '../src/backends/reference.ts';
import type { ClaimResult } from '../src/runner/claim.ts';
import { runClaims } from '../src/runner/parallel.ts';

const runs = Number(process.argv[2] ?? 1000);
const threads = Number(process.argv[3] ?? availableParallelism());
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

const wall0 = performance.now();
const cpu0 = cpuSeconds();
const results: ClaimResult[] = [];
await runClaims({ claims: ALL_CLAIMS, backend: referenceBackend(), source: {}, config: { runs, seed: 20261125 }, threads, options: { failuresDir: null } }, (r) => results.push(r));
const wall = (performance.now() - wall0) / 1000;
const cpu = cpuSeconds() - cpu0;
const claimSeconds = results.reduce((a, r) => a + r.ms, 0) / 1000;
const dearest = results.reduce((a, r) => (r.ms > a.ms ? r : a));
const verdicts = new Map<string, number>();
for (const r of results) verdicts.set(r.verdict, (verdicts.get(r.verdict) ?? 0) + 1);

console.log(`verify, reference backend, ${results.length} claims, ${runs} runs each, ${threads} threads (node ${process.version}, ${availableParallelism()} cores)`);
console.log(`wall ${wall.toFixed(1)} s, CPU ${cpu.toFixed(1)} s (every thread), CPU / threads ${(cpu / threads).toFixed(1)} s: wall is ${((100 * cpu) / threads / wall).toFixed(0)}% busy`);
console.log(`claims' times as reported (wall, summed) ${claimSeconds.toFixed(1)} s; dearest ${dearest.id} ${(dearest.ms / 1000).toFixed(1)} s (${((100 * dearest.ms) / 1000 / claimSeconds).toFixed(1)}%)`);
console.log(`verdicts: ${[...verdicts].map(([v, n]) => `${n} ${v}`).join(', ')}`);
