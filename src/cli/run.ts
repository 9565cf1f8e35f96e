/**
 * The CLI from the sources, for the repository's own tests that spawn it (`node --import tsx
 * src/cli/run.ts …`): they test the code as it is now, never a dist/ built earlier.
 */
import { main } from './main.ts';

const code = await main(process.argv.slice(2));
// The run is over once main returns: its results and reports are written. A module backend may
// still hold a timer, a socket or a server open, which would keep Node alive for ever, so exit,
// once stdout and stderr have taken everything written to them (a pipe may still be draining).
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((done) => stream.write('', done))));
process.exit(code);
