/** `regproof list` (or `regproof --list`): the claims' ids and statements, without running them. */
import { ALL_CLAIMS } from '../../properties/index.ts';
import { parseArgs } from './args.ts';
import { selectClaims } from './verify.ts';

const HELP = `usage: regproof list [--only IDS] [--json]
       regproof --list [--only IDS] [--json]

Prints every claim's id and statement, one claim per paragraph.

  --only IDS   comma-separated claim ids or id prefixes (a family such as 'l2.'), as for verify
  --json       print a JSON array of {"id", "statement", "requires"} instead
  -h, --help   this text`;

export async function runList(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['only'], switches: ['help', 'json'] }, 'list');
  if (args.switches.has('help')) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const claims = selectClaims(ALL_CLAIMS, args.values.get('only'));
  if (args.switches.has('json')) {
    process.stdout.write(JSON.stringify(claims.map((c) => ({ id: c.id, statement: c.statement, requires: c.requires })), null, 2) + '\n');
  } else {
    process.stdout.write(claims.map((c) => `${c.id}\n  ${c.statement}\n`).join('\n'));
  }
  return 0;
}
