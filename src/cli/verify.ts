import { ALL_CLAIMS } from '../../properties/index.ts';
import { referenceBackend } from '../backends/reference.ts';
import type { Backend } from '../backends/backend.ts';
import type { Claim, ClaimResult } from '../runner/claim.ts';
import { configFromEnv, parseRuns, parseSeed, type RunConfig } from '../runner/config.ts';
import { formatFailure, runClaim } from '../runner/run.ts';
import { parseArgs, UsageError } from './args.ts';

const HELP = `usage: regproof verify [options]

Runs every claim against a backend and prints one row per claim.

options:
  --backend reference   the backend to verify (default: reference, the built-in Float64 engine)
  --runs N              generated cases per claim (default: REGPROOF_RUNS or 100)
  --seed S              the run seed; each claim's seed derives from it and the claim id
                        (default: REGPROOF_SEED or 20261125)
  --only IDS            comma-separated claim ids or id prefixes (a family such as 'l2.')

exit codes: 0 every claim passed or is not applicable, 1 a claim failed, 2 usage or backend error`;

export function selectClaims(claims: readonly Claim[], only: string | undefined): Claim[] {
  if (only === undefined) return [...claims];
  const wanted = only.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (wanted.length === 0) throw new UsageError('verify: --only needs at least one claim id');
  for (const w of wanted) {
    if (!claims.some((c) => c.id === w || c.id.startsWith(w))) throw new UsageError(`verify: no claim matches '${w}' (run 'regproof verify' to list them)`);
  }
  return claims.filter((c) => wanted.some((w) => c.id === w || c.id.startsWith(w)));
}

function makeBackend(name: string): Backend {
  if (name === 'reference') return referenceBackend();
  throw new UsageError(`verify: unknown backend '${name}' (available: reference)`);
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padLeft = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

export function formatRow(r: ClaimResult, idWidth: number): string {
  const verdict = r.verdict === 'not-applicable' ? 'n/a' : r.verdict;
  return `${pad(r.id, idWidth)}  ${pad(verdict, 7)}  ${padLeft(String(r.runs), 6)}  ${padLeft(String(r.seed), 11)}  ${padLeft(r.ms.toFixed(0), 7)} ms`;
}

export async function runVerify(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['backend', 'runs', 'seed', 'only'], switches: ['help'] }, 'verify');
  if (args.switches.has('help')) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const env = configFromEnv();
  const config: RunConfig = {
    runs: args.values.has('runs') ? parseRuns(args.values.get('runs')!, '--runs') : env.runs,
    seed: args.values.has('seed') ? parseSeed(args.values.get('seed')!, '--seed') : env.seed,
  };
  const claims = selectClaims(ALL_CLAIMS, args.values.get('only'));
  const backend = makeBackend(args.values.get('backend') ?? 'reference');
  const out = process.stdout;
  out.write(`regproof verify: backend ${backend.name} ${backend.version} (${backend.dtype}), ${claims.length} claims, ${config.runs} runs each, run seed ${config.seed}\n\n`);
  const idWidth = Math.max(5, ...claims.map((c) => c.id.length));
  out.write(`${pad('claim', idWidth)}  ${pad('verdict', 7)}  ${padLeft('runs', 6)}  ${padLeft('seed', 11)}  ${padLeft('time', 10)}\n`);
  const results: ClaimResult[] = [];
  try {
    for (const claim of claims) {
      const result = await runClaim(claim, backend, config);
      results.push(result);
      out.write(formatRow(result, idWidth) + '\n');
    }
  } finally {
    await backend.close?.();
  }
  const failed = results.filter((r) => r.verdict === 'fail');
  for (const r of failed) out.write('\n' + formatFailure(r, config.seed) + '\n');
  const count = (v: ClaimResult['verdict']) => results.filter((r) => r.verdict === v).length;
  const total = results.reduce((acc, r) => acc + r.ms, 0) / 1000;
  out.write(`\n${count('pass')} passed, ${count('fail')} failed, ${count('not-applicable')} not applicable (${total.toFixed(1)} s)\n`);
  return failed.length > 0 ? 1 : 0;
}
