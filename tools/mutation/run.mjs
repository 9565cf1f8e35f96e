#!/usr/bin/env node
// `npm run mutation [-- FOLDER ...]`: Stryker 9.6 with its vitest runner, from this folder's own
// install (TypeScript 5 for Stryker; the project itself uses TypeScript 7, which has no compiler
// API). Folders (or files) default to the five of issue 10; e.g. `npm run mutation -- src/regularize`.
// MUTATION_TESTS narrows the tests it runs (tools/mutation/vitest.config.ts). Arguments that start
// with `--` go to Stryker as they are, e.g. `--incremental` or `--dryRunOnly`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const stryker = join(here, 'node_modules', '.bin', 'stryker');
if (!existsSync(stryker)) {
  const install = spawnSync('npm', ['ci', '--legacy-peer-deps', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
  if (install.status !== 0) process.exit(install.status ?? 1);
}
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const folders = args.filter((a) => !a.startsWith('--'));
const glob = (f) => {
  const path = relative(root, join(root, f)).replace(/\/$/, '');
  return path.endsWith('.ts') ? path : `${path}/**/*.ts`;
};
const mutate = folders.length === 0 ? [] : ['--mutate', [...folders.map(glob), '!**/*.test.ts'].join(',')];
// Few runs per claim: a mutant is killed by the first failing case, and the claims run per mutant.
const env = { ...process.env, REGPROOF_RUNS: process.env.REGPROOF_RUNS ?? '10' };
const run = spawnSync(stryker, ['run', join(here, 'stryker.config.mjs'), ...mutate, ...flags], { cwd: root, stdio: 'inherit', env });
process.exit(run.status ?? 1);
