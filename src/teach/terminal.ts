/** The terminal form of `regproof explain`: every catalogue entry, its verdict and its live evidence. */
import type { CatalogueEntry } from '../regularize/recipes.ts';
import type { Evidence } from './evidence.ts';
import { formatValue } from './format.ts';
import { THREAD_SETUP } from './scenarios.ts';

const WIDTH = 100;

/** Word-wraps text to WIDTH columns: the first line after `first`, the others after `rest`. */
function wrap(text: string, first: string, rest: string = ' '.repeat(first.length)): string {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = rest + word;
    } else {
      line += (empty ? '' : ' ') + word;
    }
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}

const indent = (block: string, prefix: string): string => block.split('\n').map((l) => prefix + l).join('\n');

export const NO_LIVE_EVIDENCE =
  'none computed live: regproof explain has no demonstration for this entry yet. Its verdict rests on the claims listed below, which the property suite checks.';

/** How many facts contradict their verdicts. */
export const contradictions = (evidence: readonly Evidence[]): number => evidence.reduce((n, e) => n + e.facts.filter((f) => !f.agrees).length, 0);

function renderEntry(entry: CatalogueEntry, evidence: Evidence | undefined, position: string): string {
  const out: string[] = [];
  out.push(`━━ ${position}  ${entry.id}: ${entry.title}`);
  out.push('In PyTorch:', indent(entry.pytorch, '    '));
  out.push(wrap(entry.computes, 'Computes: '));
  out.push(wrap(entry.verdict, `Verdict (${entry.verdictKind}): `, '    '));
  if (evidence === undefined || evidence.facts.length === 0) {
    out.push(wrap(NO_LIVE_EVIDENCE, 'Evidence: ', '    '));
  } else {
    out.push(wrap(`${evidence.setup ?? ''}:`, 'Evidence, computed live on ', '    '));
    for (const fact of evidence.facts) {
      const mark = fact.agrees ? '✓' : '✗ CONTRADICTS THE VERDICT:';
      const detail = fact.detail === undefined ? '' : ` (${fact.detail})`;
      out.push(wrap(`${fact.measured}: ${formatValue(fact.value)}${detail}`, `  ${mark} `, '      '));
      out.push(wrap(fact.predicted, '      predicted: ', '        '));
    }
  }
  out.push(wrap(entry.claims.join(', '), 'Claims: ', '    '));
  return out.join('\n');
}

export function renderTerminal(entries: readonly CatalogueEntry[], evidence: readonly Evidence[]): string {
  const byId = new Map(evidence.map((e) => [e.entryId, e]));
  const live = entries.filter((e) => (byId.get(e.id)?.facts.length ?? 0) > 0);
  const facts = evidence.reduce((n, e) => n + e.facts.length, 0);
  const wrong = contradictions(evidence);
  const without = entries.filter((e) => !live.includes(e)).map((e) => e.id);
  const summary =
    `${entries.length} entries, ${live.length} with live evidence; ${facts} measurements, ` +
    (wrong === 0 ? 'all as their verdicts predict.' : `${wrong} CONTRADICTING their verdicts (the engine or the catalogue is wrong).`) +
    (without.length === 0 ? '' : ` Without live evidence: ${without.join(', ')}.`);
  return [
    wrap('regproof explain: each way the forum thread wrote an L1/L2 penalty, its verdict, and evidence computed live by the reference engine (float64, fixed seeds: the same numbers on every run).', ''),
    wrap(`"The thread's case" below is ${THREAD_SETUP}.`, ''),
    ...entries.map((entry, i) => renderEntry(entry, byId.get(entry.id), `${i + 1}/${entries.length}`)),
    wrap(summary, 'Summary: ', '    '),
  ].join('\n\n') + '\n';
}
