import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// tsx's loader by absolute URL: a bare `--import tsx` resolves from the child's cwd, which tests
// often set to a temporary folder outside the project.
const tsxRoot = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
const tsxLoader = pathToFileURL(join(tsxRoot, 'dist', 'loader.mjs')).href;

/** Node's arguments that start the CLI from the sources: prefix them to the CLI's own. */
export const CLI_FROM_SOURCE = ['--import', tsxLoader, fileURLToPath(new URL('../run.ts', import.meta.url))];
