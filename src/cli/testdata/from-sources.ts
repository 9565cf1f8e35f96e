/**
 * Node's arguments that run the CLI from the sources (src/cli/run.ts through tsx), from any working
 * directory: tests that need the CLI as a process of its own test the code they read, built or not.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export const CLI_FROM_SOURCES: readonly string[] = ['--import', tsx, fileURLToPath(new URL('../run.ts', import.meta.url))];
