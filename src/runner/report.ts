/** Machine-readable reports of a verify run: JSON for tools, JUnit XML for CI dashboards. */
import { encodeJson } from '../cases/json.ts';
import type { ClaimResult } from './claim.ts';
import type { Expectation } from './expect.ts';
import { formatDeclined, formatFailure, formatPolicy, notApplicableReason } from './format.ts';

export type Outcome = 'pass' | 'fail' | 'not-applicable' | 'expected-fail' | 'stale-expectation' | 'error' | 'policy-difference';

export interface ReportEntry extends ClaimResult {
  outcome: Outcome;
  expectation?: Expectation;
}

export interface VerifyReport {
  tool: 'regproof';
  backend: { name: string; version: string; dtype: string };
  runSeed: number;
  runs: number;
  shard?: string;
  results: ReportEntry[];
  /** Claims per outcome. */
  summary: Record<Outcome, number>;
  /** Policy notes over every claim, whatever its outcome: the number the summary line prints. */
  policyDifferences: number;
  /** Failures of the run itself rather than of one claim: the backend did not load, close() failed. */
  errors: string[];
  warnings: string[];
  /** How the backend was chosen (`--backend X`, `--cmd '…'`), for the rerun commands. */
  backendArgs?: string;
}

export function buildReport(
  backend: { name: string; version: string; dtype: string },
  runSeed: number,
  runs: number,
  results: ReportEntry[],
  shard?: string,
  run: { errors?: string[]; warnings?: string[]; backendArgs?: string } = {},
): VerifyReport {
  const summary: Record<Outcome, number> = { pass: 0, fail: 0, 'not-applicable': 0, 'expected-fail': 0, 'stale-expectation': 0, error: 0, 'policy-difference': 0 };
  for (const r of results) summary[r.outcome]++;
  const policyDifferences = results.reduce((n, r) => n + (r.policy?.length ?? 0), 0);
  return {
    tool: 'regproof',
    backend: { name: backend.name, version: backend.version, dtype: backend.dtype },
    runSeed,
    runs,
    ...(shard ? { shard } : {}),
    results,
    summary,
    policyDifferences,
    errors: run.errors ?? [],
    warnings: run.warnings ?? [],
    ...(run.backendArgs !== undefined ? { backendArgs: run.backendArgs } : {}),
  };
}

export function toJson(report: VerifyReport): string {
  return encodeJson(report, 2) + '\n';
}

/**
 * Text as XML 1.0 allows it: markup escaped, and every character the format forbids (controls
 * other than tab, newline and carriage return, lone surrogates, U+FFFE, U+FFFF) shown as \u{…},
 * since an adapter's message can contain anything and one bad character voids the whole file.
 */
export function escapeXml(s: string, attribute = false): string {
  const text = s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`)
    .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
  // A parser normalises whitespace in attributes; character references keep it.
  return attribute ? text.replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`) : text;
}

const attr = (s: string) => escapeXml(s, true);

function caseBody(r: ReportEntry, report: VerifyReport): string {
  const notes = [formatPolicy(r), formatDeclined(r), ...(r.warnings ?? []).map((w) => `warning: ${w}`)].filter((s) => s !== '').join('\n');
  const out = notes === '' ? '' : `\n      <system-out>${escapeXml(notes)}</system-out>`;
  const detail = () => escapeXml(formatFailure(r, { runSeed: report.runSeed, runs: report.runs, backendArgs: report.backendArgs }));
  const first = () => attr((r.failure?.message ?? '').split('\n')[0]);
  switch (r.outcome) {
    case 'fail':
      return `\n      <failure message="${first()}">${detail()}</failure>${out}\n    `;
    case 'error':
      return `\n      <error message="${first()}">${detail()}</error>${out}\n    `;
    case 'stale-expectation':
      return `\n      <failure message="stale expectation">${escapeXml(`expected to fail (${r.expectation!.reason}) but it passed: remove the entry`)}</failure>${out}\n    `;
    case 'not-applicable':
      return `\n      <skipped message="${attr(notApplicableReason(r))}"/>${out}\n    `;
    case 'expected-fail':
      return `\n      <skipped message="${attr(`expected failure: ${r.expectation!.reason}`)}"/>${out}\n    `;
    default:
      return out === '' ? '' : `${out}\n    `;
  }
}

export function toJUnit(report: VerifyReport): string {
  const suite = `regproof (${report.backend.name})`;
  const failures = report.summary.fail + report.summary['stale-expectation'];
  const skipped = report.summary['not-applicable'] + report.summary['expected-fail'];
  const errors = report.summary.error + report.errors.length;
  const tests = report.results.length + report.errors.length;
  const time = (ms: number) => (ms / 1000).toFixed(3);
  const cases = report.results.map((r) => `    <testcase classname="${attr(r.id.split('.')[0])}" name="${attr(r.id)}" time="${time(r.ms)}">${caseBody(r, report)}</testcase>`);
  const runErrors = report.errors.map((e, i) => `    <testcase classname="regproof" name="run error ${i + 1}" time="0.000">\n      <error message="${attr(e.split('\n')[0])}">${escapeXml(e)}</error>\n    </testcase>`);
  const total = report.results.reduce((acc, r) => acc + r.ms, 0);
  const counts = `tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time(total)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="regproof" ${counts}>`,
    `  <testsuite name="${attr(suite)}" ${counts}>`,
    `    <properties><property name="runSeed" value="${report.runSeed}"/><property name="runs" value="${report.runs}"/></properties>`,
    ...cases,
    ...runErrors,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
