import { Decimal } from 'decimal.js';
import { describe, expect, it, vi } from 'vitest';
import type { ExprNode } from '../cases/types.ts';
import { ORACLE_OPS, oracleEvaluate, toBig, type GraphInputs, type OracleTensor } from './oracle.ts';

// The oracle's work counted in calls of decimal.js's pow (its BigNumber class shares Decimal's
// prototype), the most expensive operation it performs.
const power = (exponent: number): ExprNode => ({ op: 'pow', args: [{ op: 'input', name: 'x' }], attrs: { exponent } });
const inputs = (n: number): GraphInputs => ({ x: { shape: [n], data: Array.from({ length: n }, (_, i) => 1.5 + i), requiresGrad: true } });

/** Calls of Decimal's pow while the oracle evaluates `graph`, after one evaluation that warms toBig's cache of powers of two. */
function powCalls(graph: ExprNode, at: GraphInputs): number {
  oracleEvaluate(graph, at);
  const spy = vi.spyOn(Decimal.prototype, 'pow');
  try {
    oracleEvaluate(graph, at);
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

describe("oracleEvaluate's work", () => {
  it("computes pow's slope p·x^(p−1) once per element, not once per Jacobian row", () => {
    // n outputs, so n backward passes; one power per element forward and one for the slope.
    for (const n of [1, 2, 4, 6]) {
      for (const exponent of [0.5, -1, 1.5, 3]) expect(powCalls(power(exponent), inputs(n))).toBe(2 * n);
    }
  });

  it('keeps a slope per input and exponent: two pows of the same input with two exponents compute their own', () => {
    const x: ExprNode = { op: 'input', name: 'x' };
    const graph: ExprNode = { op: 'add', args: [{ op: 'pow', args: [x], attrs: { exponent: 0.5 } }, { op: 'pow', args: [x], attrs: { exponent: 1.5 } }] };
    expect(powCalls(graph, inputs(3))).toBe(2 * 2 * 3);
    const { jacobian } = oracleEvaluate(graph, inputs(3));
    // ∂/∂x of x^0.5 + x^1.5 at 1.5 is 0.5/√1.5 + 1.5·√1.5.
    expect(jacobian.x[0][0].v.toNumber()).toBeCloseTo(0.5 / Math.sqrt(1.5) + 1.5 * Math.sqrt(1.5), 14);
    expect(jacobian.x[0][1].v.isZero()).toBe(true);
  });

  it("gives pow's exported rule the slope of the operand and exponent it is called with", () => {
    const tensor = (values: number[]): OracleTensor => ({ shape: [values.length], data: values.map((x) => ({ v: toBig(x), e: 0 })) });
    const vjp = (x: number, exponent: number, y: OracleTensor) =>
      ORACLE_OPS.pow.vjp(tensor([1]), [tensor([x])], y, { exponent })[0].data[0].v.toNumber();
    // The same output object for every call, as a caller reusing one tensor would pass it:
    // d/dx x^p = p·x^(p−1) is 2·3 = 6, then 3·5² = 75, then 3·3² = 27.
    const y = tensor([0]);
    expect([vjp(3, 2, y), vjp(5, 3, y), vjp(3, 3, y)]).toEqual([6, 75, 27]);
  });
});
