/** Results as a person reads them: what failed, each kind of failure with its case, and how to run it again. */
import { encodeJson } from '../cases/json.ts';
import type { ClaimFailure, ClaimResult } from './claim.ts';

/** How the run was started, so a printed command reproduces it on the same backend. */
export interface RerunContext {
  runSeed: number;
  runs?: number;
  /** The backend selection, shell-quoted: `--backend tfjs`, `--cmd 'python3 adapter.py'`. */
  backendArgs?: string;
  /** A whole rerun command, for a run that was not started by `regproof verify` (vitest, say). */
  command?: string;
}

/** Quotes one argument for a POSIX shell (only when it needs it). */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Policy differences as a person needs them: the choice, its consequence, and one case that shows it. */
export function formatPolicy(result: ClaimResult): string {
  return (result.policy ?? [])
    .map((n) => `policy difference in ${result.id} on backend ${result.backend}: ${n.what}\n  consequence: ${n.consequence}\n  example: ${encodeJson(n.example)}`)
    .join('\n');
}

export function notApplicableReason(result: ClaimResult): string {
  if (result.missing !== undefined) return `not applicable: the backend lacks ${result.missing.join(', ')}`;
  return `not applicable: the backend declined every case (${(result.declined?.reasons ?? []).map((r) => r.reason).join('; ')})`;
}

/** "N cases declined: reason", one line per reason. */
export function formatDeclined(result: ClaimResult): string {
  const d = result.declined;
  if (d === undefined) return '';
  const all = result.verdict === 'not-applicable' ? ' (every case it was sent, so the claim is not applicable)' : '';
  return [`${result.id}: ${d.count} case${d.count === 1 ? '' : 's'} declined by the backend${all}`, ...d.reasons.map((r) => `  ${r.count} declined: ${r.reason}`)].join('\n');
}

const indent = (text: string, by: string) => text.split('\n').join('\n' + by);

function formatKind(f: ClaimFailure, i: number, total: number, result: ClaimResult, context: RerunContext): string[] {
  const where = f.replayed ? 'a saved failure, replayed first' : f.shrunk === false ? 'not shrunk: past the limit on kinds shrunk one by one' : 'shrunk';
  const counted = f.count === undefined ? '' : `, ${f.count} of ${result.runs} generated cases`;
  const lines = [`  failure ${i + 1} of ${total} (${where}${counted}):`, `    reason: ${indent(f.message, '      ')}`];
  if (f.counterexample !== null) lines.push(`    ${f.shrunk === false ? 'case' : 'shrunk case'}: ${encodeJson(f.counterexample)}`);
  if (f.requestFile !== undefined) {
    lines.push(`    requests the backend received: ${f.requestFile}`);
    lines.push(`    replay them on the backend and the reference: npx regproof replay ${shellQuote(f.requestFile)} ${context.backendArgs ?? '--backend <yours>'}`);
  } else if (f.requests !== undefined && f.requests.length > 0) {
    lines.push(`    requests the backend received: ${f.requests.length}, in the JSON report (saving is off)`);
  }
  return lines;
}

function formatError(f: ClaimFailure): string[] {
  const request = f.requests?.[0];
  return [`  reason: ${indent(f.message, '    ')}`, ...(request ? [`  the request it failed on: ${request.method} ${encodeJson(request.case)}`] : [])];
}

/** A failure as a person needs it: what failed, each distinct kind with its case, and how to run it again. */
export function formatFailure(result: ClaimResult, run: number | RerunContext): string {
  const context = typeof run === 'number' ? { runSeed: run } : run;
  const failures = result.failures ?? (result.failure ? [result.failure] : []);
  if (failures.length === 0) return '';
  const head = result.verdict === 'error'
    ? `claim ${result.id} could not be judged: the backend ${result.backend} failed`
    : `claim ${result.id} failed on backend ${result.backend}${failures.length > 1 ? `: ${failures.length} distinct kinds of failure` : ''}`;
  const rerun = context.command !== undefined ? context.command
    : context.backendArgs === undefined
    ? `REGPROOF_SEED=${context.runSeed} npx regproof verify --only ${result.id}`
    : `npx regproof verify ${context.backendArgs} --runs ${context.runs ?? result.runs} --seed ${context.runSeed} --only ${result.id}`;
  return [
    head,
    `  ${result.statement}`,
    ...(result.verdict === 'error' ? formatError(failures[0]) : failures.flatMap((f, i) => formatKind(f, i, failures.length, result, context))),
    `  claim seed ${result.seed}, path "${failures[0].path}" (run seed ${context.runSeed})`,
    `  rerun: ${rerun}`,
  ].join('\n');
}
