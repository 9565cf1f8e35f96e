import { writeFileSync } from 'node:fs';
import { ALL_CLAIMS } from '../../properties/index.ts';
import { loadBackend } from '../backends/load.ts';
import type { Claim } from '../runner/claim.ts';
import { configFromEnv, parseRuns, parseSeed, type RunConfig } from '../runner/config.ts';
import { loadExpectations, type Expectation } from '../runner/expect.ts';
import { buildReport, toJson, toJUnit, type Outcome, type ReportEntry } from '../runner/report.ts';
import { formatFailure, formatPolicy, runClaim } from '../runner/run.ts';
import { parseArgs, UsageError } from './args.ts';

const HELP = `usage: regproof verify [options]

Runs every claim against a backend and prints one row per claim.

backend (one of):
  --backend reference     the built-in Float64 engine (default)
  --backend torch         PyTorch 1.13 through adapters/torch_adapter.py (REGPROOF_TORCH_PYTHON
                          picks the interpreter; default /usr/bin/python3)
  --backend tfjs          TensorFlow.js (@tensorflow/tfjs, CPU, float32)
  --backend FILE          a module whose default export or createBackend() is a Backend
  --cmd "COMMAND"         any program speaking the JSON-lines protocol (docs/protocol.md);
                          split into arguments like a shell would, but never run by one

options:
  --runs N                generated cases per claim (default: REGPROOF_RUNS or 100)
  --seed S                the run seed; each claim's seed derives from it and the claim id
                          (default: REGPROOF_SEED or 20261125)
  --only IDS              comma-separated claim ids or id prefixes (a family such as 'l2.')
  --shard I/N             run the I-th of N disjoint slices of the claims (for parallel CI jobs)
  --expect FILE           known failures: {"expected": [{"claim": ID, "reason": WHY}]}
  --json FILE             write the report as JSON
  --junit FILE            write the report as JUnit XML

a backend that picks another valid subgradient at a kink (sign(0) = −1, say) is reported as a
policy difference with its consequence, apart from failures.

exit codes: 0 every claim passed, is not applicable, differs only in policy or failed as expected;
            1 a claim failed or an expectation is stale; 2 usage or backend error`;

export function selectClaims(claims: readonly Claim[], only: string | undefined): Claim[] {
  if (only === undefined) return [...claims];
  const wanted = only.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (wanted.length === 0) throw new UsageError('verify: --only needs at least one claim id');
  for (const w of wanted) {
    if (!claims.some((c) => c.id === w || c.id.startsWith(w))) throw new UsageError(`verify: no claim matches '${w}' (run 'regproof verify' to list them)`);
  }
  return claims.filter((c) => wanted.some((w) => c.id === w || c.id.startsWith(w)));
}

/** Claims sorted by id and dealt round-robin, so every shard gets a similar mix and the union is everything. */
export function shardClaims(claims: readonly Claim[], shard: string | undefined): Claim[] {
  if (shard === undefined) return [...claims];
  const m = /^(\d+)\/(\d+)$/.exec(shard);
  const [index, count] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(count >= 1 && index >= 1 && index <= count)) throw new UsageError(`verify: --shard must be I/N with 1 ≤ I ≤ N, got '${shard}'`);
  return [...claims].sort((a, b) => a.id.localeCompare(b.id)).filter((_, i) => i % count === index - 1);
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padLeft = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

const LABEL: Record<Outcome, string> = { pass: 'pass', fail: 'FAIL', 'not-applicable': 'n/a', 'expected-fail': 'xfail', 'stale-expectation': 'STALE', error: 'ERROR', 'policy-difference': 'policy' };

export function formatRow(r: ReportEntry, idWidth: number): string {
  return `${pad(r.id, idWidth)}  ${pad(LABEL[r.outcome], 7)}  ${padLeft(String(r.runs), 6)}  ${padLeft(String(r.seed), 11)}  ${padLeft(r.ms.toFixed(0), 7)} ms`;
}

function outcomeOf(verdict: ReportEntry['verdict'], expectation: Expectation | undefined): Outcome {
  if (expectation === undefined) return verdict;
  if (verdict === 'fail') return 'expected-fail';
  if (verdict === 'pass' || verdict === 'policy-difference') return 'stale-expectation';
  return verdict;
}

export async function runVerify(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['backend', 'cmd', 'runs', 'seed', 'only', 'shard', 'expect', 'json', 'junit'], switches: ['help'] }, 'verify');
  if (args.switches.has('help')) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const parse = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw new UsageError(`verify: ${(e as Error).message}`);
    }
  };
  const env = parse(() => configFromEnv());
  const config: RunConfig = {
    runs: args.values.has('runs') ? parse(() => parseRuns(args.values.get('runs')!, '--runs')) : env.runs,
    seed: args.values.has('seed') ? parse(() => parseSeed(args.values.get('seed')!, '--seed')) : env.seed,
  };
  const claims = shardClaims(selectClaims(ALL_CLAIMS, args.values.get('only')), args.values.get('shard'));
  const expectations = args.values.has('expect') ? parse(() => loadExpectations(args.values.get('expect')!, ALL_CLAIMS.map((c) => c.id))) : [];
  const backend = await loadBackend({ backend: args.values.get('backend'), cmd: args.values.get('cmd') });

  const out = process.stdout;
  const progress = out.isTTY === true;
  out.write(`regproof verify: backend ${backend.name} ${backend.version} (${backend.dtype}), ${claims.length} claims, ${config.runs} runs each, run seed ${config.seed}${args.values.has('shard') ? `, shard ${args.values.get('shard')}` : ''}\n\n`);
  const idWidth = Math.max(5, ...claims.map((c) => c.id.length));
  out.write(`${pad('claim', idWidth)}  ${pad('verdict', 7)}  ${padLeft('runs', 6)}  ${padLeft('seed', 11)}  ${padLeft('time', 10)}\n`);
  const results: ReportEntry[] = [];
  try {
    for (const [i, claim] of claims.entries()) {
      if (progress) out.write(`[${i + 1}/${claims.length}] ${claim.id} ...\r`);
      const result = await runClaim(claim, backend, config);
      const expectation = expectations.find((e) => e.claim === claim.id);
      const entry: ReportEntry = { ...result, outcome: outcomeOf(result.verdict, expectation), ...(expectation ? { expectation } : {}) };
      results.push(entry);
      if (progress) out.write('\x1b[2K');
      out.write(formatRow(entry, idWidth) + '\n');
    }
  } finally {
    await backend.close?.();
  }

  for (const r of results) {
    if (r.policy !== undefined) out.write('\n' + formatPolicy(r) + '\n');
    if (r.illConditioned !== undefined) out.write(`\n${r.id}: ${r.illConditioned.count} of ${r.runs} cases set aside as ill-conditioned (neither passed nor failed), e.g. ${r.illConditioned.example}\n`);
    if (r.outcome === 'fail' || r.outcome === 'error') out.write('\n' + formatFailure(r, config.seed) + '\n');
    if (r.outcome === 'expected-fail') out.write(`\nexpected failure ${r.id}: ${r.expectation!.reason}\n  observed: ${r.failure!.message.split('\n')[0]}\n`);
    if (r.outcome === 'stale-expectation') out.write(`\nstale expectation ${r.id}: expected to fail (${r.expectation!.reason}) but it ${r.verdict === 'pass' ? 'passed' : r.verdict}; remove the entry\n`);
  }
  const report = buildReport(backend, config.seed, config.runs, results, args.values.get('shard'));
  if (args.values.has('json')) writeFileSync(args.values.get('json')!, toJson(report));
  if (args.values.has('junit')) writeFileSync(args.values.get('junit')!, toJUnit(report));
  const s = report.summary;
  const total = results.reduce((acc, r) => acc + r.ms, 0) / 1000;
  out.write(`\n${s.pass} passed, ${s.fail} failed, ${s['not-applicable']} not applicable, ${s['policy-difference']} policy differences, ${s['expected-fail']} expected failures, ${s['stale-expectation']} stale expectations, ${s.error} backend errors (${total.toFixed(1)} s)\n`);
  if (s.error > 0) return 2;
  return s.fail > 0 || s['stale-expectation'] > 0 ? 1 : 0;
}
