/**
 * `regproof explain [--html <file>]`: every entry of the recipe catalogue with its verdict and
 * evidence computed live, in the terminal or as a self-contained HTML report with plots.
 * Exit codes: 0 when every measurement agrees with its verdict, 1 when one contradicts it (the
 * engine or the catalogue is wrong), 2 for bad arguments or a report that cannot be written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CATALOGUE } from '../regularize/recipes.ts';
import { computeEvidence } from '../teach/evidence.ts';
import { buildFigures } from '../teach/figures.ts';
import { renderReport } from '../teach/report.ts';
import { contradictions, renderTerminal } from '../teach/terminal.ts';

export const EXPLAIN_USAGE = `Usage: regproof explain [--html <file>]

Prints each recipe of the catalogue (the ways the forum thread wrote an L1/L2 penalty): the idea in
PyTorch terms, what it computes, its verdict, and evidence computed live by the reference engine.

  --html <file>   write a self-contained HTML report with plots to <file> instead
  -h, --help      show this help

Exit code 0 when every measurement agrees with its verdict, 1 when one contradicts it,
2 for bad arguments or a report that cannot be written.
`;

interface ExplainArgs {
  help: boolean;
  html?: string;
}

function parseExplainArgs(argv: readonly string[]): ExplainArgs {
  const args: ExplainArgs = { help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      args.help = true;
    } else if (arg === '--html' || arg.startsWith('--html=')) {
      const file = arg === '--html' ? argv[++i] : arg.slice('--html='.length);
      if (file === undefined || file === '' || (arg === '--html' && file.startsWith('-'))) {
        throw new RangeError('--html needs a file name, as in --html report.html');
      }
      if (args.html !== undefined) throw new RangeError(`--html was given twice ('${args.html}' and '${file}')`);
      args.html = file;
    } else if (arg.startsWith('-')) {
      throw new RangeError(`unknown option '${arg}' (known: --html <file>, --help)`);
    } else {
      throw new RangeError(`unexpected argument '${arg}': explain takes no positional arguments`);
    }
  }
  return args;
}

export async function runExplain(argv: string[]): Promise<number> {
  let args: ExplainArgs;
  try {
    args = parseExplainArgs(argv);
  } catch (e) {
    process.stderr.write(`regproof explain: ${(e as Error).message}\n\n${EXPLAIN_USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(EXPLAIN_USAGE);
    return 0;
  }
  if (args.html === undefined) {
    const evidence = CATALOGUE.map((entry) => computeEvidence(entry));
    process.stdout.write(renderTerminal(CATALOGUE, evidence));
    return contradictions(evidence) === 0 ? 0 : 1;
  }
  const file = resolve(args.html);
  const cannotWrite = (e: unknown) => {
    process.stderr.write(`regproof explain: cannot write the report to '${file}': ${(e as Error).message}\n`);
    return 2;
  };
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (e) {
    return cannotWrite(e);
  }
  const evidence = CATALOGUE.map((entry) => computeEvidence(entry));
  const figures = buildFigures();
  const html = await renderReport(CATALOGUE, evidence, figures);
  try {
    writeFileSync(file, html);
  } catch (e) {
    return cannotWrite(e);
  }
  const wrong = contradictions(evidence);
  process.stdout.write(
    `Wrote ${file}: ${CATALOGUE.length} entries, ${figures.length} plots` +
      (wrong === 0 ? ', every measurement as its verdict predicts' : `, ${wrong} measurement(s) CONTRADICTING their verdicts`) +
      '. Open it in any browser; it needs no network.\n',
  );
  return wrong === 0 ? 0 : 1;
}
