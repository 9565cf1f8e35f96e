#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build` and before packing), so starting needs no compiler.
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('regproof: dist/ is missing; in a clone of the repository, run `npm run build` first\n');
  process.exit(2);
}
const cli = await import(main.href);
process.exitCode = await cli.main(process.argv.slice(2));
