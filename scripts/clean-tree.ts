/**
 * vitest's global setup: a test run leaves the working tree as it found it (tests write into
 * temporary folders). Before and after the run it lists the files git does not track (an ignored
 * folder as one entry) and, with their modification times, every file under .regproof/, where
 * regproof writes by default; anything new or changed fails the run, named.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function snapshot(): Map<string, string> | null {
  let status: string;
  try {
    status = execFileSync('git', ['status', '--porcelain', '--ignored', '--untracked-files=normal'], { cwd: root, encoding: 'utf8' });
  } catch {
    return null; // not a git checkout: nothing to compare
  }
  const files = new Map(status.split('\n').filter((l) => /^(\?\?|!!) /.test(l)).map((l): [string, string] => [l.slice(3), '']));
  const output = join(root, '.regproof');
  try {
    for (const entry of readdirSync(output, { recursive: true, withFileTypes: true })) {
      const path = join(entry.parentPath, entry.name);
      if (entry.isFile()) files.set(path.slice(root.length), String(statSync(path).mtimeMs));
    }
  } catch {
    // no .regproof/ folder
  }
  return files;
}

export default function setup(): () => void {
  const before = snapshot();
  return () => {
    if (before === null) return;
    const written = [...(snapshot() ?? [])].filter(([path, stamp]) => before.get(path) !== stamp).map(([path]) => path);
    if (written.length === 0) return;
    // A global teardown's error is only printed, so the exit code is set here.
    process.stderr.write(`\nFAIL: the tests wrote into the working tree (use a temporary folder): ${written.join(', ')}\n`);
    process.exitCode = 1;
  };
}
