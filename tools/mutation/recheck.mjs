#!/usr/bin/env node
// `node tools/mutation/recheck.mjs FILE-PART TEST...`: applies each mutant that the last Stryker
// report (reports/mutation/mutation.json) lists as Survived, in a source file whose path contains
// FILE-PART, runs `npx vitest run TEST...`, restores the file and prints whether the tests failed.
// For tests written after a run, and for mutants that break a module's import (Stryker's vitest
// runner counts a test file that fails to load as no failed test). Run it on a clean tree.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [which, ...tests] = process.argv.slice(2);
if (which === undefined || tests.length === 0) throw new Error('usage: recheck.mjs FILE-PART TEST...');
const report = JSON.parse(readFileSync(join(root, 'reports/mutation/mutation.json'), 'utf8'));
for (const [file, { mutants }] of Object.entries(report.files)) {
  if (!file.includes(which)) continue;
  const path = join(root, file);
  const original = readFileSync(path, 'utf8');
  const lines = original.split('\n');
  const offset = (p) => lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
  try {
    for (const m of mutants.filter((x) => x.status === 'Survived')) {
      const [a, b] = [offset(m.location.start), offset(m.location.end)];
      writeFileSync(path, original.slice(0, a) + m.replacement + original.slice(b));
      const run = spawnSync('npx', ['vitest', 'run', ...tests], { cwd: root, encoding: 'utf8' });
      console.log(`${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} ${JSON.stringify(original.slice(a, b)).slice(0, 60)} => ${JSON.stringify(m.replacement).slice(0, 60)}: ${run.status === 0 ? 'survives' : 'killed'}`);
    }
  } finally {
    writeFileSync(path, original);
  }
}
