#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build` and before packing), so starting needs no compiler.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/run.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('regproof: dist/ is missing; in a clone of the repository, run `npm run build` first\n');
  process.exit(2);
}
await import(entry.href);
