/** Machine-readable reports of a verify run: JSON for tools, JUnit XML for CI dashboards. */
import type { Backend } from '../backends/backend.ts';
import { encodeJson } from '../cases/json.ts';
import type { ClaimResult } from './claim.ts';
import type { Expectation } from './expect.ts';
import { formatFailure, formatPolicy } from './run.ts';

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
  summary: Record<Outcome, number>;
}

export function buildReport(backend: Backend, runSeed: number, runs: number, results: ReportEntry[], shard?: string): VerifyReport {
  const summary: Record<Outcome, number> = { pass: 0, fail: 0, 'not-applicable': 0, 'expected-fail': 0, 'stale-expectation': 0, error: 0, 'policy-difference': 0 };
  for (const r of results) summary[r.outcome]++;
  return { tool: 'regproof', backend: { name: backend.name, version: backend.version, dtype: backend.dtype }, runSeed, runs, ...(shard ? { shard } : {}), results, summary };
}

export function toJson(report: VerifyReport): string {
  return encodeJson(report, 2) + '\n';
}

const escapeXml = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

export function toJUnit(report: VerifyReport): string {
  const suite = `regproof (${report.backend.name})`;
  const failures = report.summary.fail + report.summary['stale-expectation'];
  const skipped = report.summary['not-applicable'] + report.summary['expected-fail'];
  const errors = report.summary.error;
  const time = (ms: number) => (ms / 1000).toFixed(3);
  const cases = report.results.map((r) => {
    const head = `    <testcase classname="${escapeXml(r.id.split('.')[0])}" name="${escapeXml(r.id)}" time="${time(r.ms)}">`;
    let body = '';
    if (r.outcome === 'fail') body = `\n      <failure message="${escapeXml(r.failure!.message.split('\n')[0])}">${escapeXml(formatFailure(r, report.runSeed))}</failure>\n    `;
    else if (r.outcome === 'error') body = `\n      <error message="${escapeXml(r.failure!.message.split('\n')[0])}">${escapeXml(formatFailure(r, report.runSeed))}</error>\n    `;
    else if (r.outcome === 'policy-difference') body = `\n      <system-out>${escapeXml(formatPolicy(r))}</system-out>\n    `;
    else if (r.outcome === 'stale-expectation') body = `\n      <failure message="stale expectation">${escapeXml(`expected to fail (${r.expectation!.reason}) but it passed: remove the entry`)}</failure>\n    `;
    else if (r.outcome === 'not-applicable') body = `\n      <skipped message="${escapeXml(`not applicable: the backend lacks ${(r.missing ?? []).join(', ')}`)}"/>\n    `;
    else if (r.outcome === 'expected-fail') body = `\n      <skipped message="${escapeXml(`expected failure: ${r.expectation!.reason}`)}"/>\n    `;
    return `${head}${body}</testcase>`;
  });
  const total = report.results.reduce((acc, r) => acc + r.ms, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="regproof" tests="${report.results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time(total)}">`,
    `  <testsuite name="${escapeXml(suite)}" tests="${report.results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time(total)}">`,
    `    <properties><property name="runSeed" value="${report.runSeed}"/><property name="runs" value="${report.runs}"/></properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
