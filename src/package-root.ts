/**
 * Files that ship beside the code (adapters/, fixtures/) are found from the package root: the
 * nearest folder above this module that holds package.json. Counting `../` from a module would
 * break between the sources (src/x.ts) and the build (dist/src/x.js), one level deeper.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`regproof: no package.json above ${start}; the package is installed incompletely`);
  }
}

export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** The absolute path of a file shipped with the package, given relative to the package root. */
export function packageFile(...segments: string[]): string {
  return join(PACKAGE_ROOT, ...segments);
}
