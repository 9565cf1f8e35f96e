/**
 * Report files are settled before a run starts: a path that cannot be written fails at once (not
 * after an hour of claims), its folder is created, and the previous run's report is removed, so
 * after a kill -9 no stale report passes for this run's.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeFsError } from './files.ts';

export function prepareOutput(flag: string, path: string): void {
  if (path === '') throw new Error(`${flag}: the path is empty`);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat?.isDirectory()) throw new Error(`${flag} ${path}: is a directory; give a file path`);
  const probe = `${path}.${process.pid}.probe`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(probe, '');
    rmSync(probe);
    rmSync(path, { force: true });
  } catch (e) {
    throw new Error(`${flag} ${path}: cannot write there (${describeFsError(e)})`);
  }
}
