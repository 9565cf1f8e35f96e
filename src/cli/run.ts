/**
 * The CLI as a process. bin/regproof.mjs runs its build (dist/src/cli/run.js); the repository's
 * tests run it from the sources with `node --import tsx src/cli/run.ts`, so they test what they read.
 */
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
