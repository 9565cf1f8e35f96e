/**
 * What `verify --jobs N` buys on a process backend: the built CLI (dist/, `npm run build` first)
 * runs every claim once per N, one run after another, and this prints each run's wall time and its
 * CPU time (the CLI and its adapter processes together, from /proc/self/stat, so Linux only),
 * with the summary line. The CPU figure still compares on a busy machine; the wall time does not.
 * Prints figures; asserts nothing.
 *
 * Run: npx tsx bench/process-jobs.ts [backend] [runs] [jobs,...]   (default: torch 100 1,2)
 *      a backend that is not built in is given to --cmd.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [backend = 'torch', runs = '100', jobsList = '1,2'] = process.argv.slice(2);
const source = ['reference', 'torch', 'tfjs'].includes(backend) ? ['--backend', backend] : ['--cmd', backend];

/** CPU seconds of the children this process has waited for (utime + stime of each, and theirs). */
function childrenCpu(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  // After "pid (comm) ", cutime and cstime are the 14th and 15th fields (stat(5) numbers 16 and 17).
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

async function verify(jobs: string): Promise<{ wall: number; cpu: number; summary: string }> {
  const cpu0 = childrenCpu();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['bin/regproof.mjs', 'verify', ...source, '--runs', runs, '--jobs', jobs, '--no-save'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  await new Promise((resolve) => child.on('close', resolve));
  const summary = out.trimEnd().split('\n').pop() ?? '';
  return { wall: (performance.now() - t0) / 1000, cpu: childrenCpu() - cpu0, summary };
}

console.log(`verify ${source.join(' ')} --runs ${runs}, by --jobs (node ${process.version})`);
for (const jobs of jobsList.split(',')) {
  const r = await verify(jobs);
  console.log(`--jobs ${jobs.padStart(2)}  wall ${r.wall.toFixed(1).padStart(6)} s  CPU ${r.cpu.toFixed(1).padStart(6)} s  ${r.summary}`);
}
