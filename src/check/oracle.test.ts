import { describe, expect, it } from 'vitest';
import { OPS, Random, type OpDef, type OpName } from '../engine/index.ts';
import type { ExprNode } from '../cases/types.ts';
import { LIBRARY_ERROR, ORACLE_DIGITS, ORACLE_OPS, engineJacobian, errorOf, measureEngineOps, measureGraph, oracleEvaluate, toBig, toDouble, type GraphInputs } from './oracle.ts';

const input = (name: string): ExprNode => ({ op: 'input', name });
const call = (op: OpName, args: ExprNode[], attrs?: Record<string, number>): ExprNode => (attrs ? { op, args, attrs } : { op, args });
const vector = (data: number[]): GraphInputs[string] => ({ shape: [data.length], data, requiresGrad: true });

describe('conversions', () => {
  it('reads a double exactly, not as its shortest decimal', () => {
    // The double nearest 0.1 is 3602879701896397·2^-55 = 0.1000000000000000055511151231257827021181583404541015625,
    // here to 50 digits.
    expect(ORACLE_DIGITS).toBeGreaterThanOrEqual(50);
    expect(toBig(0.1).toString()).toBe('0.1000000000000000055511151231257827021181583404541');
    expect(toBig(-0.1).toString()).toBe('-0.1000000000000000055511151231257827021181583404541');
    expect(toBig(5e-324).toExponential(5)).toBe('4.94066e-324');
    expect([0.1, -2.5, 1e300, 5e-324, Number.MAX_VALUE].map((x) => toDouble(toBig(x)))).toEqual([0.1, -2.5, 1e300, 5e-324, Number.MAX_VALUE]);
  });

  it('measures an error against the exact value, not its rounding (0.1·3 is a tie)', () => {
    // 3·0.1 (as doubles) lies exactly halfway between two doubles; the engine rounds to even,
    // 0.30000000000000004, and is off by half an ulp, 2^-55.
    const exact = { v: toBig(0.1).times(3), e: 0 } as Parameters<typeof errorOf>[1];
    expect(errorOf(0.1 * 3, exact)).toBeCloseTo(2 ** -55, 60);
  });
});

describe('the engine op by op', () => {
  const measured = measureEngineOps();

  it('covers every op of the engine', () => {
    expect(measured.map((m) => m.op).sort()).toEqual(Object.keys(OPS).sort());
    expect(Object.keys(ORACLE_OPS).sort()).toEqual(Object.keys(OPS).sort());
  });

  it('keeps every value and derivative within its running error bound', () => {
    for (const m of measured) expect(m.worstErrorOverBound, m.op).toBeLessThanOrEqual(1);
  });

  it('rounds the correctly rounded ops to within half an ulp', () => {
    // IEEE 754 rounds +, −, ×, ÷ and sqrt correctly; neg, abs, relu, sign, reshape and
    // transpose are exact.
    const single: OpName[] = ['neg', 'abs', 'relu', 'sign', 'add', 'sub', 'square', 'div', 'sqrt', 'reshape', 'transpose'];
    for (const m of measured.filter((r) => single.includes(r.op))) expect(m.maxValueUlps, m.op).toBeLessThanOrEqual(0.5);
  });

  it('finds exp, log, pow and tanh within their stated errors on 50 random inputs each', () => {
    const rng = new Random(7);
    const worst: Record<string, number> = { exp: 0, log: 0, pow: 0, tanh: 0 };
    for (let i = 0; i < 50; i++) {
      const x = rng.uniform(-30, 30);
      const cases: [keyof typeof LIBRARY_ERROR, number, Record<string, number> | undefined][] = [
        ['exp', x, undefined],
        ['log', Math.abs(x) + 1e-3, undefined],
        ['tanh', x / 30, undefined],
        ['pow', Math.abs(x) + 1e-3, { exponent: [0.5, -1, 1.5, 3][i % 4] }],
      ];
      for (const [op, arg, attrs] of cases) {
        // An ulp is at least u·|y|, so LIBRARY_ERROR·u relative is at most LIBRARY_ERROR ulps.
        worst[op] = Math.max(worst[op], measureGraph(call(op, [input('x')], attrs), { x: vector([arg]) }).values[0].ulps / LIBRARY_ERROR[op]);
      }
    }
    for (const op of Object.keys(worst)) expect(worst[op], op).toBeLessThanOrEqual(1);
  });

  it('finds tanh beyond one ulp, within its derived 5.5u', () => {
    // The worst of 40,000 samples (see LIBRARY_ERROR): 2.1 ulps at x = 0.22341109082468588.
    const m = measureGraph(call('tanh', [input('x')]), { x: vector([0.22341109082468588]) });
    expect(m.values[0].ulps).toBeGreaterThan(2);
    expect(m.values[0].error).toBeLessThanOrEqual(m.values[0].bound);
  });

  it('explains the tanh gradient\'s many ulps at large |x| by the 1 − y² cancellation', () => {
    // tanh'(x) = 1 − y² with y = tanh(x) rounded: at x = 9, y = 1 − 3e-8 carries an error of
    // u, and 1 − y² magnifies it to about 2u/(1 − y²) ≈ 7e-9 relative: millions of ulps, all
    // within the bound (PyTorch computes it the same way).
    const m = measureGraph(call('tanh', [input('x')]), { x: vector([9]) });
    expect(m.gradients[0].ulps).toBeGreaterThan(1e5);
    expect(m.gradients[0].error).toBeLessThanOrEqual(m.gradients[0].bound);
  });

  it('follows PyTorch at kinks: abs, relu and norm give 0 at 0', () => {
    const zeros = { x: vector([0, -0, 0]) };
    for (const graph of [call('abs', [input('x')]), call('relu', [input('x')]), call('norm', [input('x')], { p: 2 }), call('norm', [input('x')], { p: 1 })]) {
      const { jacobian } = oracleEvaluate(call('sum', [graph]), zeros);
      expect(jacobian.x[0].map((t) => [t.v.toNumber(), t.e])).toEqual([[0, 0], [0, 0], [0, 0]]);
    }
  });

  it('uses PyTorch\'s −g·((a/b)/b) for the divisor, which stays in range where b·b overflows', () => {
    // a/b with b = 1e160: ∂/∂b = −a/b² = −1e-320 (subnormal, representable); b·b = Infinity.
    const { jacobian } = oracleEvaluate(call('div', [input('a'), input('b')]), { a: vector([1]), b: vector([1e160]) });
    const db = jacobian.b[0][0];
    expect(db.v.toNumber() / -1e-320).toBeCloseTo(1, 2);
    expect(db.e).toBeLessThan(1e-322);
  });
});

describe('composed graphs', () => {
  it('reports the error relative to the condition number', () => {
    // a − b at a = 1 + 2^-30, b = 1: computed exactly (Sterbenz), so the error is 0 however
    // ill-conditioned; its condition number is (|a| + |b|)/|a − b| = (2 + 2^-30)·2^30.
    const m = measureGraph(call('sum', [call('sub', [input('a'), input('b')])]), { a: vector([1 + 2 ** -30]), b: vector([1]) });
    expect(m.values[0].condition).toBe((2 + 2 ** -30) * 2 ** 30);
    expect(m.values[0].error).toBe(0);
    // (x + 1) − 1 at x = 1e-10 is perfectly conditioned (κ = 1) but the graph is unstable:
    // 1 + x loses the last 36 bits of x, an error of up to u·(1 + x) ≈ 1.1e-16 against
    // u·|x·f'| = 1.1e-26, so the error is far beyond what conditioning explains, and within
    // the running bound, which sees the intermediate 1 + x.
    const unstable = measureGraph(call('sub', [call('add', [input('x'), { op: 'const', value: 1 }]), { op: 'const', value: 1 }]), { x: vector([1e-10]) });
    expect(unstable.values[0].condition).toBe(1);
    expect(unstable.values[0].errorOverCondition).toBeGreaterThan(1e8);
    expect(unstable.values[0].error).toBeLessThanOrEqual(unstable.values[0].bound);
  });

  it('catches an engine op that is off by a relative 1e-12', () => {
    const table = OPS as Record<string, OpDef<any>>;
    const exp = table.exp;
    table.exp = { ...exp, forward: (inputs, attrs) => { const r = exp.forward(inputs, attrs); return { ...r, data: r.data.map((v) => v * (1 + 1e-12)) }; } };
    try {
      const graph = call('sum', [call('exp', [input('x')])]);
      const inputs = { x: vector([0.5, -1.25]) };
      const m = measureGraph(graph, inputs, engineJacobian(graph, inputs));
      expect(m.values[0].error).toBeGreaterThan(m.values[0].bound);
    } finally {
      table.exp = exp;
    }
  });
});
