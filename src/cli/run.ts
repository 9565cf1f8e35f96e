/**
 * The CLI from the sources, for the repository's own tests that spawn it (`node --import tsx
 * src/cli/run.ts …`): they test the code as it is now, never a dist/ built earlier.
 */
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
