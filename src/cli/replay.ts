/**
 * `regproof replay FILE`: sends the exact requests of a failing case (saved by `regproof verify`)
 * to a backend and to the reference engine, and prints both results and where they part, so a
 * library author can debug one case without regproof's generators or claims.
 */
import type { Backend } from '../backends/backend.ts';
import { loadBackend } from '../backends/load.ts';
import { referenceBackend } from '../backends/reference.ts';
import { encodeJson } from '../cases/json.ts';
import { readRequestFile } from '../runner/requests.ts';
import type { BackendRequest } from '../runner/instrument.ts';
import { parseArgs, UsageError } from './args.ts';

const HELP = `usage: regproof replay FILE [--backend NAME|MODULE | --cmd "COMMAND"]

Sends the requests in FILE (saved by 'regproof verify' under <failures dir>/requests/ for each
failing case) to the backend and to the reference engine, and prints both results and every value
where they differ, bit for bit (the claim's tolerance is not applied here).

The backend options are verify's (default: the reference).

exit codes: 0 the two agree on every request; 1 they differ somewhere; 2 usage or backend error`;

export interface Difference {
  path: string;
  backend: unknown;
  reference: unknown;
}

const show = (v: unknown) => (typeof v === 'number' ? encodeJson(v) : JSON.stringify(v) ?? 'undefined');

/** Every leaf where two results differ; numbers compare bit for bit (NaN equals NaN, −0 differs from 0). */
export function differences(a: unknown, b: unknown, path = ''): Difference[] {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) ? [] : [{ path, backend: a, reference: b }];
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [{ path: `${path}.length`, backend: a.length, reference: b.length }];
    return a.flatMap((x, i) => differences(x, b[i], `${path}[${i}]`));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`));
  }
  return Object.is(a, b) ? [] : [{ path, backend: a, reference: b }];
}

function describeDifference(d: Difference): string {
  const [x, y] = [d.backend, d.reference];
  const gap = typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y)
    ? ` (difference ${encodeJson(x - y)}, relative ${encodeJson(Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)))})`
    : '';
  return `${d.path}: ${show(x)} versus ${show(y)}${gap}`;
}

const SHOWN = 20;

async function send(backend: Backend, r: BackendRequest): Promise<{ result: unknown } | { failed: string }> {
  try {
    return { result: r.method === 'runExpr' ? await backend.runExpr(r.case) : await backend.runTrain(r.case) };
  } catch (e) {
    return { failed: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

export async function runReplay(argv: string[]): Promise<number> {
  const positional = argv.length > 0 && !argv[0].startsWith('-');
  const file = positional ? argv[0] : undefined;
  const rest = positional ? argv.slice(1) : argv;
  const args = parseArgs(rest, { values: ['backend', 'cmd'], switches: ['help'] }, 'replay');
  if (args.switches.has('help')) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (file === undefined) throw new UsageError('replay: give the request file to replay');
  const saved = readRequestFile(file);
  const backend = await loadBackend({ backend: args.values.get('backend'), cmd: args.values.get('cmd') });
  const reference = referenceBackend();
  const out = process.stdout;
  let differing = 0;
  let failed = 0;
  try {
    out.write(`regproof replay: ${file}, from claim ${saved.claim} on backend ${saved.backend}\n  it failed with: ${saved.message.split('\n')[0]}\n`);
    for (const [i, r] of saved.requests.entries()) {
      const [mine, theirs] = [await send(backend, r), await send(reference, r)];
      out.write(`\nrequest ${i + 1} of ${saved.requests.length}: ${r.method} ${encodeJson(r.case)}\n`);
      out.write(`  backend ${backend.name}: ${'result' in mine ? encodeJson(mine.result) : `failed: ${mine.failed}`}\n`);
      out.write(`  reference: ${'result' in theirs ? encodeJson(theirs.result) : `failed: ${theirs.failed}`}\n`);
      if (!('result' in mine && 'result' in theirs)) {
        failed++;
        continue;
      }
      const diff = differences(mine.result, theirs.result);
      if (diff.length > 0) differing++;
      out.write(diff.length === 0 ? '  identical, bit for bit\n' : `  ${diff.length} value${diff.length === 1 ? '' : 's'} differ:\n`);
      for (const d of diff.slice(0, SHOWN)) out.write(`    ${describeDifference(d)}\n`);
      if (diff.length > SHOWN) out.write(`    ... and ${diff.length - SHOWN} more\n`);
    }
  } finally {
    await backend.close?.();
  }
  out.write(`\n${saved.requests.length} requests: ${differing} differ, ${failed} could not be compared\n`);
  return failed > 0 ? 2 : differing > 0 ? 1 : 0;
}
