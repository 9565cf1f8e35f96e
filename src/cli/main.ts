import { readFileSync } from 'node:fs';
import { packageFile } from '../package-root.ts';
import { UsageError } from './args.ts';

type Command = (argv: string[]) => Promise<number>;

/**
 * Each subcommand is loaded only when it runs, so `--version` and the usage text start without
 * loading the engine and the claims. A new subcommand is one entry here.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  verify: { summary: 'run every claim against a backend and print the report', load: async () => (await import('./verify.ts')).runVerify },
  explain: { summary: "replay the forum thread's recipes with verdicts and live evidence", load: async () => (await import('./explain.ts')).runExplain },
  replay: { summary: "send a failing case's saved requests to a backend and the reference", load: async () => (await import('./replay.ts')).runReplay },
  list: { summary: 'list the claims (ids and statements) without running them', load: async () => (await import('./list.ts')).runList },
};

const USAGE_ROWS: [string, string][] = [
  ...Object.entries(COMMANDS).map(([name, c]): [string, string] => [name, c.summary]),
  ['--list', "the same as 'regproof list'"],
  ['--version', 'print the version'],
  ['--help', 'this text'],
];

const USAGE = `regproof: property-based verification of regularization and autograd

usage:
${USAGE_ROWS.map(([name, summary]) => `  regproof ${name.padEnd(10)} ${summary}`).join('\n')}

Start with 'regproof explain' for the forum thread's answers. 'regproof COMMAND --help' (or -h)
shows a command's options.`;

export function version(): string {
  return (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
}

/** Dispatches a command line; returns the exit code (0 ok, 1 a claim failed, 2 usage or backend error). */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        return 0;
      case '--version':
      case '-v':
        process.stdout.write(`regproof ${version()}\n`);
        return 0;
      case '--list':
        return await (await COMMANDS.list.load())(rest);
    }
    const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (entry === undefined) throw new UsageError(`unknown command '${command}'`);
    return await (await entry.load())(rest);
  } catch (e) {
    // Usage mistakes, bad settings (a malformed REGPROOF_RUNS) and backend failures all end
    // the run with exit code 2 and the message; a claim's failure is a result, not an error.
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`regproof: ${message}\n${e instanceof UsageError ? "(run 'regproof help' for usage)\n" : ''}`);
    return 2;
  }
}
