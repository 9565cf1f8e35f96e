import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../backends/reference.ts';
import { buildReport, escapeXml, toJUnit, type ReportEntry } from './report.ts';
import { runClaim } from './run.ts';
import { intClaim } from './testdata/claims.ts';

const parser = new new JSDOM('').window.DOMParser();
const parse = (xml: string) => parser.parseFromString(xml, 'application/xml');
const wellFormed = (xml: string) => parse(xml).getElementsByTagName('parsererror').length === 0;

const HOSTILE = 'adapter said \uFFFE\uFFFF \u0000\u0001\u001b[31m, a lone \uD800 and \uDC00, <b>&amp;</b> "quoted" \'too\'\r\n\tand a pair 😀 that stays';

describe('JUnit', () => {
  it('is well-formed XML whatever a backend puts in its message', async () => {
    const claim = intClaim('synthetic.hostile', () => {
      throw new Error(HOSTILE);
    });
    const result = await runClaim(claim, referenceBackend(), { runs: 3, seed: 1 });
    const report = buildReport(referenceBackend({ name: `hostile \uFFFE name` }), 1, 3, [{ ...result, outcome: 'fail' }], undefined, { errors: [`close() failed: ${HOSTILE}`] });
    const xml = toJUnit(report);
    expect(wellFormed(xml)).toBe(true);
    const doc = parse(xml);
    const failure = doc.getElementsByTagName('failure')[0];
    // Nothing lost silently: forbidden characters are shown by code point, the rest survive.
    expect(failure.getAttribute('message')).toMatch(/^adapter said \\u\{FFFE\}/);
    expect(failure.textContent).toContain('adapter said \\u{FFFE}\\u{FFFF} \\u{0}\\u{1}\\u{1B}[31m, a lone \\u{D800} and \\u{DC00}, <b>&amp;</b> "quoted" \'too\'');
    expect(failure.textContent).toContain('\tand a pair 😀 that stays');
    expect(doc.getElementsByTagName('error')[0].textContent).toMatch(/^close\(\) failed: adapter said/);
    expect(doc.getElementsByTagName('testsuite')[0].getAttribute('errors')).toBe('1');
  });

  it('the escaping is what makes it well-formed', () => {
    expect(wellFormed(`<a m="${HOSTILE}">${HOSTILE}</a>`)).toBe(false);
    expect(wellFormed(`<a m="${escapeXml(HOSTILE, true)}">${escapeXml(HOSTILE)}</a>`)).toBe(true);
  });
});

describe('policy differences', () => {
  const note = { what: 'sign(0) = 1', consequence: 'zeros move', example: { x: 0 } };
  const withPolicy = intClaim('synthetic.policy-and-fail', (x, _v, observe) => {
    observe?.policy(note);
    if (x > 10) throw new Error(`fails at ${x}`);
  });

  it('are counted the same whatever the outcome of the claim that met them', async () => {
    const failing = await runClaim(withPolicy, referenceBackend(), { runs: 30, seed: 2 });
    expect(failing.verdict).toBe('fail');
    expect(failing.policy).toEqual([note]);
    const entries: ReportEntry[] = [{ ...failing, outcome: 'fail' }];
    const report = buildReport(referenceBackend(), 2, 30, entries);
    expect(report.policyDifferences).toBe(1);
    expect(toJUnit(report)).toMatch(/<system-out>policy difference in synthetic\.policy-and-fail on backend reference: sign\(0\) = 1/);
  });
});
