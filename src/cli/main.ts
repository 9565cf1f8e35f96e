import { runExplain } from './explain.ts';
import { runReplay } from './replay.ts';
import { runVerify } from './verify.ts';
import { UsageError } from './args.ts';

const HELP = `regproof: property-based verification of regularization and autograd

usage:
  regproof verify [options]   run every claim against a backend and print the report
  regproof explain [options]  replay the forum thread's recipes with verdicts and live evidence
  regproof replay FILE [...]  send a failing case's saved requests to a backend and the reference
  regproof help               this text

Run 'regproof verify --help' or 'regproof explain --help' for their options.`;

/** Dispatches a command line; returns the exit code (0 ok, 1 a claim failed, 2 usage or backend error). */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'verify':
        return await runVerify(rest);
      case 'explain':
        return await runExplain(rest);
      case 'replay':
        return await runReplay(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP + '\n');
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    // Usage mistakes, bad settings (a malformed REGPROOF_RUNS) and backend failures all end
    // the run with exit code 2 and the message; a claim's failure is a result, not an error.
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`regproof: ${message}\n${e instanceof UsageError ? "(run 'regproof help' for usage)\n" : ''}`);
    return 2;
  }
}
