import { describe, expect, it } from 'vitest';
import { GradcheckError, describeFailure, formatReport, label, multiIndex, type ElementCheck, type GradcheckReport } from './report.ts';

const element = (over: Partial<ElementCheck>): ElementCheck => ({
  output: 'output[0]',
  input: 'x[1]',
  analytical: 2,
  numerical: 2.5,
  errorEstimate: 0.0123,
  noiseFloor: 0,
  tolerance: 0.001234,
  relativeError: 0.2,
  status: 'fail',
  step: 2 ** -11,
  ...over,
});

const report = (over: Partial<GradcheckReport>): GradcheckReport => ({
  verdict: 'pass',
  mode: 'full',
  method: 'richardson',
  dtype: 'float64',
  rtol: 5.5e-12,
  evaluations: 12,
  detached: false,
  elements: [],
  failures: [],
  notCheckable: [],
  nonFinite: [],
  reentrancy: [],
  zeroGradient: [],
  ...over,
});

describe('labels', () => {
  it('writes a flat index as a row-major multi-index', () => {
    // In shape [2, 3, 4], 23 = 1·12 + 2·4 + 3.
    expect(multiIndex([2, 3, 4], 23)).toBe('[1, 2, 3]');
    expect(multiIndex([2, 3, 4], 5)).toBe('[0, 1, 1]');
    expect(multiIndex([7], 6)).toBe('[6]');
    expect(multiIndex([], 0)).toBe('');
    expect(label('w', [3, 2], 3)).toBe('w[1, 1]');
    expect(label('loss', [], 0)).toBe('loss');
  });
});

describe('describeFailure', () => {
  const fail = element({});
  const words = 'output[0] with respect to x[1]: numerical 2.5 (error estimate 0.012), analytical 2, relative error 0.200 (tolerance 0.00123, richardson, float64)';

  it('names the first failure with both values, the error and the tolerance', () => {
    expect(describeFailure(report({ failures: [fail] }))).toBe(`gradcheck: ${words}`);
    const three = describeFailure(report({ failures: [fail, element({ output: 'b' }), element({ output: 'c' })], method: 'central', dtype: 'float32' }));
    expect(three).toBe(`gradcheck: ${words.replace('richardson, float64', 'central, float32')}\n  and 2 more mismatched element(s)`);
  });

  it('points fast mode at full mode to locate the element', () => {
    expect(describeFailure(report({ failures: [fail], mode: 'fast' }))).toBe(
      `gradcheck: ${words}\n  (fast mode checks directions; run mode "full" to locate the element)`,
    );
  });

  it('adds reentrancy and failing zero-gradient findings, not singular ones', () => {
    const text = describeFailure(
      report({
        reentrancy: ['x[0]: 1 then 2'],
        zeroGradient: [
          { input: 'x', value: 0, kind: 'singular', reason: '0·∞ at sqrt(0)' },
          { input: 'y', value: 3, kind: 'fail', reason: 'backward gave 3 for a zero gradient' },
        ],
      }),
    );
    expect(text).toBe('gradcheck: reentrancy: x[0]: 1 then 2\ngradcheck: zero upstream gradient: y is 3: backward gave 3 for a zero gradient');
    expect(describeFailure(report({}))).toBe('');
  });
});

describe('formatReport', () => {
  it('counts what passed, failed, could not be checked and was not finite', () => {
    const nonFinite = element({ status: 'nonfinite', output: 'o[1]', input: 'x[0]', reason: 'numerical: NaN' });
    const notCheckable = element({ status: 'not-checkable', output: 'o[2]', input: 'x[0]', reason: 'a kink' });
    const fail = element({});
    const pass = element({ status: 'pass' });
    const text = formatReport(
      report({
        verdict: 'fail',
        mode: 'fast',
        method: 'central',
        dtype: 'float32',
        rtol: 2.8e-4,
        evaluations: 40,
        detached: true,
        elements: [pass, pass, fail, nonFinite, notCheckable],
        failures: [fail],
        notCheckable: [notCheckable],
        nonFinite: [nonFinite],
        reentrancy: ['x[0]: 1 then 2'],
        zeroGradient: [
          { input: 'x', value: 0, kind: 'singular', reason: 'r1' },
          { input: 'y', value: 3, kind: 'fail', reason: 'r2' },
        ],
      }),
    );
    expect(text.split('\n')).toEqual([
      'gradcheck fail: fast mode, central, float32, rtol 0.00028, 40 evaluations: 2 passed, 1 failed, 1 not checkable, 1 not finite',
      '  the output has no graph back to the inputs: every analytical gradient is 0',
      '  FAIL output[0] with respect to x[1]: numerical 2.5 (error estimate 0.012), analytical 2, relative error 0.200 (tolerance 0.00123, central, float32)',
      '  NOT FINITE o[1] with respect to x[0]: numerical: NaN',
      '  NOT CHECKABLE o[2] with respect to x[0]: a kink',
      '  REENTRANCY x[0]: 1 then 2',
      '  ZERO UPSTREAM singular x = 0: r1',
      '  ZERO UPSTREAM FAIL y = 3: r2',
    ]);
  });

  it('is one line for a clean pass', () => {
    const pass = element({ status: 'pass' });
    expect(formatReport(report({ elements: [pass] }))).toBe(
      'gradcheck pass: full mode, richardson, float64, rtol 5.5e-12, 12 evaluations: 1 passed, 0 failed, 0 not checkable, 0 not finite',
    );
  });
});

describe('GradcheckError', () => {
  it('carries its name, message and report', () => {
    const r = report({ verdict: 'fail' });
    const e = new GradcheckError('gradcheck: x', r);
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.message, e.report]).toEqual(['GradcheckError', 'gradcheck: x', r]);
  });
});
