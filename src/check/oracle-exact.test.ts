import { describe, expect, it } from 'vitest';
import { OPS, fromData, type OpName } from '../engine/index.ts';
import type { ExprNode } from '../cases/types.ts';
import { ORACLE_OPS, engineFunction, engineJacobian, errorOf, measureEngineOps, measureGraph, opCases, oracleEvaluate, toBig, type GraphInputs } from './oracle.ts';

// Small, fast checks of the oracle (oracle.test.ts measures the engine op by op with it):
// small graphs whose exact values and derivatives are rationals worked out by hand.
const input = (name: string): ExprNode => ({ op: 'input', name });
const call = (op: OpName, args: ExprNode[], attrs?: Record<string, number>): ExprNode => (attrs ? { op, args, attrs } : { op, args });
const vector = (data: number[]): GraphInputs[string] => ({ shape: [data.length], data, requiresGrad: true });
// Small graphs whose exact values and derivatives are rationals worked out by hand.
const exactly = (t: { v: { toString(): string } }): string => t.v.toString();
const tracked = (x: number, e = 0) => ({ v: toBig(x), e });
const scalar = (x: number, e = 0) => ({ shape: [], data: [tracked(x, e)] });
const u = 2 ** -53;
const eta = 2 ** -1074;

describe('toBig beyond the normal range', () => {
  it('reads subnormals, powers of two and non-finite values exactly', () => {
    expect(toBig(3 * 2 ** -1074).toExponential(5)).toBe('1.48220e-323');
    expect(toBig(-(2 ** -1073)).toExponential(5)).toBe('-9.88131e-324');
    expect(toBig(2 ** -1022).toExponential(4)).toBe('2.2251e-308');
    expect(toBig(2 ** 60).toString()).toBe('1152921504606846976');
    expect(toBig(-1024.25).toString()).toBe('-1024.25');
    // Twice the same exponent reads the same (the powers of two are cached).
    expect(toBig(1.5).toString()).toBe('1.5');
    expect(toBig(1.75).toString()).toBe('1.75');
    expect(toBig(Infinity).toString()).toBe('Infinity');
    expect(toBig(NaN).isNaN()).toBe(true);
    expect(toBig(0).isZero()).toBe(true);
    // −0 reads as its shortest decimal, "0": an exact value has no sign of zero.
    expect(Object.is(toBig(-0).toNumber(), 0)).toBe(true);
  });
});

describe('oracleEvaluate on small graphs', () => {
  const x23 = { x: { shape: [2, 3], data: [1, 2, 3, 4, 5, 6], requiresGrad: true } };
  const value = (graph: ExprNode, inputs: GraphInputs) => {
    const r = oracleEvaluate(graph, inputs).value;
    return { shape: r.shape, data: r.data.map(exactly) };
  };

  it('reduces along an axis, a negative axis, or all, with or without the kept dimension', () => {
    expect(value(call('sum', [input('x')], { axis: 0 }), x23)).toEqual({ shape: [3], data: ['5', '7', '9'] });
    expect(value(call('sum', [input('x')], { axis: -1 }), x23)).toEqual({ shape: [2], data: ['6', '15'] });
    expect(value(call('sum', [input('x')], { axis: 1, keepDim: 1 as unknown as number }), x23)).toEqual({ shape: [2, 1], data: ['6', '15'] });
    expect(value(call('sum', [input('x')]), x23)).toEqual({ shape: [], data: ['21'] });
    expect(value({ op: 'sum', args: [input('x')], attrs: { axis: null, keepDim: true } }, x23)).toEqual({ shape: [1, 1], data: ['21'] });
    expect(value(call('mean', [input('x')], { axis: 1 }), x23)).toEqual({ shape: [2], data: ['2', '5'] });
    expect(value(call('mean', [input('x')]), x23)).toEqual({ shape: [], data: ['3.5'] });
  });

  it('reshapes with an inferred dimension and transposes', () => {
    expect(value({ op: 'reshape', args: [input('x')], attrs: { shape: [-1, 2] } }, x23)).toEqual({ shape: [3, 2], data: ['1', '2', '3', '4', '5', '6'] });
    expect(value(call('transpose', [input('x')]), x23)).toEqual({ shape: [3, 2], data: ['1', '4', '2', '5', '3', '6'] });
    // [[1, 2, 3], [4, 5, 6]]·[[1], [0], [-1]] = [[-2], [-2]].
    const w = { shape: [3, 1], data: [1, 0, -1], requiresGrad: false };
    expect(value(call('matmul', [input('x'), input('w')]), { ...x23, w })).toEqual({ shape: [2, 1], data: ['-2', '-2'] });
    // [[1, 2]]·[[3, 4], [5, 6]] = [[1·3 + 2·5, 1·4 + 2·6]].
    const m = { a: { shape: [1, 2], data: [1, 2], requiresGrad: false }, b: { shape: [2, 2], data: [3, 4, 5, 6], requiresGrad: false } };
    expect(value(call('matmul', [input('a'), input('b')]), m)).toEqual({ shape: [1, 2], data: ['13', '16'] });
  });

  it('differentiates a reduction back onto every element of its group', () => {
    // d(mean over axis 1)[r]/dx[r][c] = 1/3 for the elements of row r, 0 for the others.
    const { jacobian } = oracleEvaluate(call('mean', [input('x')], { axis: 1 }), { x: { shape: [2, 2], data: [1, 2, 3, 4], requiresGrad: true } });
    expect(jacobian.x.map((row) => row.map(exactly))).toEqual([['0.5', '0.5', '0', '0'], ['0', '0', '0.5', '0.5']]);
    const sum0 = oracleEvaluate(call('sum', [input('x')], { axis: 0 }), x23).jacobian.x.map((row) => row.map(exactly));
    expect(sum0).toEqual([['1', '0', '0', '1', '0', '0'], ['0', '1', '0', '0', '1', '0'], ['0', '0', '1', '0', '0', '1']]);
  });

  it('sums a broadcast operand\'s gradient back onto its shape', () => {
    // sum(x·y) with x = [[1, 2], [3, 4]] and y = [10, 20] broadcast over the rows.
    const inputs = { x: { shape: [2, 2], data: [1, 2, 3, 4], requiresGrad: true }, y: { shape: [2], data: [10, 20], requiresGrad: true } };
    const { jacobian } = oracleEvaluate(call('sum', [call('mul', [input('x'), input('y')])]), inputs);
    expect(jacobian.y[0].map(exactly)).toEqual(['4', '6']);
    expect(jacobian.x[0].map(exactly)).toEqual(['10', '20', '10', '20']);
  });

  it('broadcasts either operand, and names the op whose shapes do not broadcast', () => {
    const inputs = { a: { shape: [2, 1], data: [1, 2], requiresGrad: true }, b: { shape: [3], data: [10, 20, 30], requiresGrad: true } };
    // [2, 1] against [3]: the result is [2, 3], a[i]·b[j] at (i, j).
    expect(value(call('mul', [input('a'), input('b')]), inputs)).toEqual({ shape: [2, 3], data: ['10', '20', '30', '20', '40', '60'] });
    expect(value(call('sub', [input('b'), input('a')]), inputs)).toEqual({ shape: [2, 3], data: ['9', '19', '29', '8', '18', '28'] });
    const { jacobian } = oracleEvaluate(call('sum', [call('add', [input('b'), input('a')])]), inputs);
    expect([jacobian.a[0].map(exactly), jacobian.b[0].map(exactly)]).toEqual([['3', '3'], ['2', '2', '2']]);
    const clash = { a: vector([1, 2]), b: vector([1, 2, 3]) };
    for (const op of ['add', 'sub', 'mul', 'div'] as const) {
      expect(() => oracleEvaluate(call(op, [input('a'), input('b')]), clash)).toThrow(`${op}: shapes [2] and [3] cannot be broadcast together`);
    }
  });

  it('reduces along the middle axis of three', () => {
    // x[i][j][k] = 4i + 2j + k + 1; summing over j pairs 4i + k + 1 with 4i + k + 3.
    const x = { x: { shape: [2, 2, 2], data: [1, 2, 3, 4, 5, 6, 7, 8], requiresGrad: true } };
    expect(value(call('sum', [input('x')], { axis: 1 }), x)).toEqual({ shape: [2, 2], data: ['4', '6', '12', '14'] });
    const { jacobian } = oracleEvaluate(call('sum', [input('x')], { axis: 1 }), x);
    expect(jacobian.x[1].map(exactly)).toEqual(['0', '1', '0', '1', '0', '0', '0', '0']);
    expect(jacobian.x[2].map(exactly)).toEqual(['0', '0', '0', '0', '1', '0', '1', '0']);
  });

  it('moves gradients back through reshape and transpose', () => {
    const t = oracleEvaluate(call('transpose', [input('x')]), x23).jacobian.x.map((row) => row.map(exactly).indexOf('1'));
    // Output element (j, i) of the [3, 2] transpose is input element (i, j), at 3i + j.
    expect(t).toEqual([0, 3, 1, 4, 2, 5]);
    const r = oracleEvaluate({ op: 'reshape', args: [input('x')], attrs: { shape: [3, 2] } }, x23).jacobian.x.map((row) => row.map(exactly).indexOf('1'));
    expect(r).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('gives the 2-norm a zero gradient at the zero tensor', () => {
    const { value: v, jacobian } = oracleEvaluate(call('norm', [input('x')], { p: 2 }), { x: vector([0, 0]) });
    expect(v.data).toEqual([tracked(0)]);
    expect(jacobian.x).toEqual([[tracked(0), tracked(0)]]);
    expect(oracleEvaluate(call('norm', [input('x')], { p: 2 }), { x: vector([3, -4]) }).value).toMatchObject({ shape: [] });
    expect(oracleEvaluate(call('norm', [input('x')], { p: 2 }), { x: vector([3, -4]) }).value.data.map(exactly)).toEqual(['5']);
    expect(oracleEvaluate(call('norm', [input('x')], { p: 1 }), { x: vector([3, -4]) }).value.data.map(exactly)).toEqual(['7']);
  });

  it('gives up on the 2-norm\'s gradient where an operand that is 0 may be computed as nonzero', () => {
    // exp(c) − exp(c) is exactly 0, but the engine's value may be off by an ulp of exp(c): the
    // norm's gradient x/‖x‖ may then be anything of size 1: no finite bound (NaN, from 0·∞,
    // means the same).
    const w: ExprNode = call('sub', [call('exp', [input('c')]), call('exp', [input('c')])]);
    const { jacobian } = oracleEvaluate(call('norm', [w], { p: 2 }), { c: vector([1, 2]) });
    expect(jacobian.c[0].map((t) => Number.isFinite(t.e))).toEqual([false, false]);
  });

  it('follows each op\'s derivative at simple points', () => {
    const at = (graph: ExprNode, data: number[]) => oracleEvaluate(graph, { x: vector(data) });
    const diagonal = (graph: ExprNode, data: number[]) => at(graph, data).jacobian.x.map((row, i) => exactly(row[i]));
    expect(diagonal(call('sqrt', [input('x')]), [4])).toEqual(['0.25']);
    expect(diagonal(call('log', [input('x')]), [4])).toEqual(['0.25']);
    expect(diagonal(call('square', [input('x')]), [3, -0.5])).toEqual(['6', '-1']);
    expect(at(call('square', [input('x')]), [3, -0.5]).value.data.map(exactly)).toEqual(['9', '0.25']);
    expect(diagonal(call('neg', [input('x')]), [3])).toEqual(['-1']);
    expect(diagonal(call('abs', [input('x')]), [-2, 3])).toEqual(['-1', '1']);
    expect(diagonal(call('relu', [input('x')]), [-1, 2])).toEqual(['0', '1']);
    expect(diagonal(call('sign', [input('x')]), [-1, 2])).toEqual(['0', '0']);
    expect(diagonal(call('pow', [input('x')], { exponent: 3 }), [2])).toEqual(['12']);
    expect(diagonal(call('pow', [input('x')], { exponent: -1 }), [2])).toEqual(['-0.25']);
    expect(diagonal(call('pow', [input('x')], { exponent: 0 }), [2, 0])).toEqual(['0', '0']);
    expect(at(call('pow', [input('x')], { exponent: 0 }), [2]).value.data[0]).toEqual(tracked(1));
    expect(at(call('sign', [input('x')]), [-3, 0, 2]).value.data.map(exactly)).toEqual(['-1', '0', '1']);
    expect(at(call('relu', [input('x')]), [-3, 2]).value.data.map(exactly)).toEqual(['0', '2']);
    // exp' = exp and tanh' = 1 − tanh², read off the value.
    const e = at(call('exp', [input('x')]), [1]);
    expect(exactly(e.jacobian.x[0][0])).toBe(exactly(e.value.data[0]));
    const t = at(call('tanh', [input('x')]), [0.5]);
    expect(t.jacobian.x[0][0].v.toString()).toBe(toBig(1).minus(t.value.data[0].v.pow(2)).toString());
    // ‖(3, 4)‖ = 5: the 2-norm's gradient is x/5, the 1-norm's the signs.
    expect(at(call('norm', [input('x')], { p: 2 }), [3, -4]).jacobian.x[0].map(exactly)).toEqual(['0.6', '-0.8']);
    expect(at(call('norm', [input('x')], { p: 1 }), [3, -4, 0]).jacobian.x[0].map(exactly)).toEqual(['1', '-1', '0']);
  });

  it('differentiates both operands of add, sub, mul and div', () => {
    const both = (op: OpName) => {
      const { jacobian } = oracleEvaluate(call(op, [input('a'), input('b')]), { a: vector([1]), b: vector([4]) });
      return [exactly(jacobian.a[0][0]), exactly(jacobian.b[0][0])];
    };
    expect(both('add')).toEqual(['1', '1']);
    expect(both('sub')).toEqual(['1', '-1']);
    expect(both('mul')).toEqual(['4', '1']);
    expect(both('div')).toEqual(['0.25', '-0.0625']);
    // matmul: ∂(a·b)/∂a = bᵀ, ∂/∂b = aᵀ for a row times a column.
    const { jacobian } = oracleEvaluate(call('matmul', [input('a'), input('b')]), { a: { shape: [1, 2], data: [1, 2], requiresGrad: true }, b: { shape: [2, 1], data: [3, 5], requiresGrad: true } });
    expect([jacobian.a[0].map(exactly), jacobian.b[0].map(exactly)]).toEqual([['3', '5'], ['1', '2']]);
  });

  it('adds the contributions of an input used twice, and gives 0 for one not used', () => {
    const inputs = { x: vector([3]), y: vector([7]), z: { shape: [1], data: [1], requiresGrad: false } };
    const { jacobian, value } = oracleEvaluate(call('add', [call('mul', [input('x'), input('x')]), { op: 'const', value: 0.5 }]), inputs);
    expect(exactly(value.data[0])).toBe('9.5');
    expect(exactly(jacobian.x[0][0])).toBe('6');
    // Each part, 1·3, is one rounding of 3; their sum in any order adds (2 − 1) roundings of Σ(|part| + e).
    const part = 3 * u + eta;
    expect(jacobian.x[0][0].e).toBe(2 * part + (u * (2 * (3 + part)) + eta));
    expect(jacobian.y[0][0]).toEqual(tracked(0));
    expect(Object.keys(jacobian).sort()).toEqual(['x', 'y']);
    // The graph may be just an input: the identity.
    expect(oracleEvaluate(input('x'), { x: vector([3, 4]) }).jacobian.x.map((row) => row.map(exactly))).toEqual([['1', '0'], ['0', '1']]);
  });

  it('adds the roundings of summing an input\'s contributions on top of their own errors', () => {
    // w = exp(c) − exp(c) is 0 with an error E; each x·w contributes 0 ± E' to ∂/∂x. Three of
    // them, summed in any order, are off by up to 3E' plus two roundings of a sum of size 3E'.
    const w: ExprNode = call('sub', [call('exp', [input('c')]), call('exp', [input('c')])]);
    const inputs = { x: vector([2]), c: { shape: [1], data: [1], requiresGrad: false } };
    const term = () => call('mul', [input('x'), w]);
    const once = oracleEvaluate(term(), inputs).jacobian.x[0][0];
    const thrice = oracleEvaluate(call('add', [call('add', [term(), term()]), term()]), inputs).jacobian.x[0][0];
    expect(once.v.isZero() && thrice.v.isZero()).toBe(true);
    expect(once.e).toBeGreaterThan(0);
    expect(thrice.e).toBe(3 * once.e + 2 * (u * (3 * once.e) + eta));
  });

  it('sums an empty tensor to an exact 0', () => {
    const { value, jacobian } = oracleEvaluate(call('sum', [input('x')]), { x: { shape: [0], data: [], requiresGrad: true } });
    expect(value.data).toEqual([tracked(0)]);
    expect(jacobian.x).toEqual([[]]);
  });

  it('names an unknown input or op', () => {
    expect(() => oracleEvaluate(input('w'), { x: vector([1]) })).toThrow("oracle: unknown input 'w'");
    expect(() => oracleEvaluate(call('cosh' as OpName, [input('x')]), { x: vector([1]) })).toThrow("oracle: unknown op 'cosh'");
  });
});

describe('error bounds', () => {
  const op = (name: OpName, attrs?: unknown) => (...xs: ReturnType<typeof scalar>[]) => ORACLE_OPS[name].forward(xs, attrs).data[0];

  it('adds one rounding, u·|v| + η, to exact operands, and none to an exact zero', () => {
    expect(op('add')(scalar(1), scalar(2)).e).toBe(3 * u + eta);
    expect(op('mul')(scalar(0), scalar(5)).e).toBe(0);
    expect(op('sub')(scalar(2), scalar(2)).e).toBe(0);
    // An operand's error carries through sub and neg: 1 ± 2^-40 becomes 0 ± 2^-40, plus η.
    expect(op('sub')(scalar(1, 2 ** -40), scalar(1)).e).toBe(2 ** -40 + u * 2 ** -40 + eta);
    expect(op('neg')(scalar(1, 2 ** -40)).e).toBe(2 ** -40);
  });

  it('propagates both operands\' errors through add, sub, mul and div', () => {
    const a = scalar(2, 2 ** -30);
    const b = scalar(4, 2 ** -40);
    // add and sub: e_a + e_b, then one rounding of a result of magnitude |v| + e_a + e_b.
    const sumErr = 2 ** -30 + 2 ** -40;
    expect(op('add')(a, b).e).toBe(sumErr + u * (6 + sumErr) + eta);
    expect(op('sub')(a, b).e).toBe(sumErr + u * (2 + sumErr) + eta);
    // mul: |a|·e_b + |b|·e_a + e_a·e_b.
    const productErr = 2 * 2 ** -40 + 4 * 2 ** -30 + 2 ** -70;
    expect(op('mul')(a, b).e).toBe(productErr + u * (8 + productErr) + eta);
    // div: (e_a + |a/b|·e_b)/(|b| − e_b), also when only the divisor carries an error.
    const quotientErr = (2 ** -30 + 0.5 * 2 ** -40) / (4 - 2 ** -40);
    expect(op('div')(a, b).e).toBe(quotientErr + u * (0.5 + quotientErr) + eta);
    const dividendOnly = 2 ** -30 / 4;
    expect(op('div')(a, scalar(4)).e).toBe(dividendOnly + u * (0.5 + dividendOnly) + eta);
    const divisorOnly = (0.5 * 2 ** -40) / (4 - 2 ** -40);
    expect(op('div')(scalar(2), b).e).toBe(divisorOnly + u * (0.5 + divisorOnly) + eta);
  });

  it('charges the library functions their stated error, and η alone below the double range', () => {
    // exp: 2u relative; exp(−800) ≈ 3.6e-348 is below every double, so only η remains.
    expect(op('exp')(scalar(1)).e).toBe(2 * u * Math.E + eta);
    expect(op('exp')(scalar(-800)).e).toBe(eta);
    // A correctly rounded op likewise: 2^-540·2^-540 = 2^-1080 is below every double.
    expect(op('mul')(scalar(2 ** -540), scalar(2 ** -540)).e).toBe(eta);
    expect(op('log')(scalar(Math.E ** 2)).e).toBeCloseTo(2 * u * 2, 30);
    const t = Math.tanh(0.5);
    expect(op('tanh')(scalar(0.5)).e).toBeGreaterThan(5.5 * u * t * (1 - 1e-15));
    expect(op('tanh')(scalar(0.5)).e).toBeLessThan(5.5 * u * t * (1 + 1e-15) + eta);
  });

  it('bounds sqrt and pow right at the edge of their domain', () => {
    // sqrt(4) with e = 4: 4/(sqrt(4) + sqrt(0)) = 2, then a rounding of 2 + 2.
    expect(op('sqrt')(scalar(4, 4)).e).toBe(2 + 4 * u + eta);
    // x¹ with e ≥ x is still bounded: |1·t⁰|·e.
    expect(op('pow', { exponent: 1 })(scalar(1, 2)).e).toBe(2 + 3 * 2 * u + eta);
  });

  it('gives up past the double range', () => {
    // The exact value is in range, but within its error bound the engine may overflow.
    expect(op('add')(scalar(1e308, 0.5e308), scalar(0)).e).toBe(Infinity);
    expect(op('add')(scalar(1e307, 0.5e307), scalar(0)).e).toBeLessThan(Infinity);
    expect(op('add')(scalar(Number.MAX_VALUE), scalar(Number.MAX_VALUE)).e).toBe(Infinity);
    expect(op('mul')(scalar(1e300), scalar(1e10)).e).toBe(Infinity);
    expect(op('exp')(scalar(800)).e).toBe(Infinity);
  });

  it('is unbounded where the operand\'s error reaches a pole or the edge of the domain', () => {
    expect(op('div')(scalar(1), scalar(1e-20, 1e-20)).e).toBe(Infinity);
    expect(op('div')(scalar(1), scalar(2e-20, 1e-20)).e).toBeLessThan(Infinity);
    expect(op('div')(scalar(1), scalar(1e-20, 2e-20)).e).toBe(Infinity);
    expect(op('log')(scalar(1e-20, 1e-20)).e).toBe(Infinity);
    expect(op('log')(scalar(2e-20, 1e-20)).e).toBeCloseTo(Math.log(2), 10);
    expect(op('sqrt')(scalar(1e-20, 2e-20)).e).toBe(Infinity);
    // sqrt(4) − sqrt(4 − 4e-10) ≈ 1e-10.
    expect(op('sqrt')(scalar(4, 4e-10)).e).toBeCloseTo(1e-10, 15);
    expect(op('pow', { exponent: 0.5 })(scalar(1e-20, 1e-20)).e).toBe(Infinity);
    expect(op('pow', { exponent: -1 })(scalar(2, 1)).e).toBeCloseTo(1, 10);
    // p < 1 looks at the near side: |p|·(x − e)^(p − 1)·e, and gives up where x − e ≤ 0.
    expect(op('pow', { exponent: -1 })(scalar(4, 2)).e).toBeCloseTo(0.5, 10);
    expect(op('pow', { exponent: 0.5 })(scalar(4, 3)).e).toBeCloseTo(1.5, 10);
    expect(op('pow', { exponent: -1 })(scalar(1, 2)).e).toBe(Infinity);
    // Exact operands at 0: sqrt(0) and 0^0.5 are computed exactly.
    expect(op('pow', { exponent: 0.5 })(scalar(0)).e).toBe(0);
    expect(op('sqrt')(scalar(0)).e).toBe(0);
    // p ≥ 1 looks at the far side: |3·t²|·e at t = 2 + 1e-3.
    expect(op('pow', { exponent: 3 })(scalar(2, 1e-3)).e).toBeCloseTo(3 * 2.001 ** 2 * 1e-3, 12);
    expect(op('pow', { exponent: 0 })(scalar(2, 1)).e).toBe(0);
  });

  it('follows the derivative bound of tanh and exp', () => {
    // tanh' ≤ 1 near 0; far out it is ≤ 4·exp(−2(|x| − e)).
    expect(op('tanh')(scalar(0, 1e-10)).e).toBeCloseTo(1e-10, 20);
    // At 3 ± 1 the interval stays 2 away from 0: 4·exp(−4)·1.
    expect(op('tanh')(scalar(3, 1)).e).toBeCloseTo(4 * Math.exp(-4), 12);
    expect(op('tanh')(scalar(-20, 1e-10)).e).toBeLessThan(4 * Math.exp(-40) * 1e-10 + 6 * u);
    expect(op('tanh')(scalar(-20, 1e-10)).e).toBeGreaterThan(4 * Math.exp(-40) * 1e-10);
    expect(op('exp')(scalar(0, 1e-10)).e).toBeCloseTo(Math.expm1(1e-10), 15);
  });

  it('lets sign and the slopes of relu and abs flip within the operand\'s error', () => {
    expect(op('sign')(scalar(1e-20, 1e-20))).toEqual(tracked(1, 2));
    expect(op('sign')(scalar(1e-20, 1e-21))).toEqual(tracked(1, 0));
    expect(op('sign')(scalar(0))).toEqual(tracked(0, 0));
    expect(op('sign')(scalar(NaN)).v.isNaN()).toBe(true);
    const slope = (name: OpName, x: number, e: number) => ORACLE_OPS[name].vjp({ shape: [], data: [tracked(1)] }, [scalar(x, e)], scalar(0), undefined)[0].data[0];
    expect(slope('relu', 1e-20, 1e-20)).toEqual(tracked(1, 1));
    expect(slope('relu', -1e-20, 1e-21)).toEqual(tracked(0, 0));
    expect(slope('relu', 0, 0)).toEqual(tracked(0, 0));
    expect(slope('abs', -1e-20, 1e-20)).toEqual(tracked(-1, 2));
    // 0·∞ in a product the engine does exactly is unbounded, not NaN.
    const g = { shape: [], data: [tracked(0, Infinity)] };
    expect(ORACLE_OPS.abs.vjp(g, [scalar(0)], scalar(0), undefined)[0].data[0].e).toBe(Infinity);
  });
});

describe('the engine on a graph', () => {
  it('rounds every op\'s result to float32 when asked, leaving the inputs as given', () => {
    const graph = call('add', [input('x'), { op: 'const', value: 0.1 }]);
    const x = fromData([1], [1], { requiresGrad: true });
    expect(engineFunction(graph, ['x'], 'float32')(x).data[0]).toBe(Math.fround(1 + Math.fround(0.1)));
    expect(engineFunction(graph, ['x'])(x).data[0]).toBe(1 + 0.1);
    expect(engineFunction(input('x'), ['x'], 'float32')(fromData([0.1], [1])).data[0]).toBe(0.1);
    const out = engineFunction(call('mul', [input('x'), input('x')]), ['x'], 'float32')(x);
    out.backward();
    expect(x.grad!.data[0]).toBe(2);
    expect(() => engineFunction(input('w'), ['x'])(x)).toThrow("engineFunction: unknown input 'w'");
    expect(() => engineFunction(call('cosh' as OpName, [input('x')]), ['x'])(x)).toThrow("graph: unknown op 'cosh'");
  });

  it('keeps an infinite value infinite when it rounds to float32 (Math.fround(∞) − ∞ would be NaN)', () => {
    const grow = engineFunction(call('exp', [input('x')]), ['x'], 'float32');
    expect(grow(fromData([1000, -1000, 1], [3])).data).toEqual(new Float64Array([Infinity, 0, Math.fround(Math.E)]));
  });

  it('gives one Jacobian row per output element, each from a fresh gradient', () => {
    const inputs = { x: vector([3, -2]), c: { shape: [2], data: [1, 1], requiresGrad: false } };
    const { value, jacobian } = engineJacobian(call('mul', [input('x'), input('x')]), inputs);
    expect(Array.from(value)).toEqual([9, 4]);
    expect(jacobian.x.map((row) => Array.from(row, (v) => v + 0))).toEqual([[6, 0], [0, -4]]);
    expect(Object.keys(jacobian)).toEqual(['x']);
    // An input that requires grad but is not used gets zeros; no input requiring grad, no rows.
    expect(engineJacobian(input('c'), { ...inputs, y: vector([5]) }).jacobian.y.map((row) => Array.from(row))).toEqual([[0], [0]]);
    expect(engineJacobian(input('c'), { c: inputs.c }).jacobian).toEqual({});
  });
});

describe('errorOf and measureGraph', () => {
  it('treats NaN and infinities as equal only to themselves', () => {
    expect(errorOf(NaN, tracked(NaN))).toBe(0);
    expect(errorOf(NaN, tracked(1))).toBe(Infinity);
    expect(errorOf(1, tracked(NaN))).toBe(Infinity);
    expect(errorOf(Infinity, tracked(Infinity))).toBe(0);
    expect(errorOf(-Infinity, tracked(Infinity))).toBe(Infinity);
    expect(errorOf(1, tracked(Infinity))).toBe(Infinity);
    expect(errorOf(Infinity, tracked(1))).toBe(Infinity);
    expect(errorOf(1.5, tracked(1.25))).toBe(0.25);
  });

  it('labels each value and gradient and gives the condition number', () => {
    // x·y at (2, 3): Σ|x_k·∂f/∂x_k| = 2·3 + 3·2 = 12 against |f| = 6: κ = 2, computed exactly.
    const m = measureGraph(call('mul', [input('x'), input('y')]), { x: vector([2]), y: vector([-3]) });
    expect(m.values).toEqual([{ what: 'value[0]', engine: -6, exact: -6, ulps: 0, ulpDistance: 0, error: 0, bound: 6 * u + eta, condition: 2, errorOverCondition: 0 }]);
    expect(m.gradients.map((g) => [g.what, g.engine, g.exact])).toEqual([['∂value[0]/∂x[0]', -3, -3], ['∂value[0]/∂y[0]', 2, 2]]);
    // An engine value off by one ulp of 1: ulps 1, one double apart; the error over u·Σ|x·f'| = 2^-52/(2^-53·1) = 2.
    const off = measureGraph(input('x'), { x: vector([1]) }, { value: Float64Array.of(1 + 2 ** -52), jacobian: { x: [Float64Array.of(1)] } });
    expect(off.values[0]).toMatchObject({ ulps: 1, ulpDistance: 1, error: 2 ** -52, errorOverCondition: 2 });
    // At x = 2, one ulp of 2 is 2^-51, against u·|2·1| = 2^-52: again 2.
    const off2 = measureGraph(input('x'), { x: vector([2]) }, { value: Float64Array.of(2 + 2 ** -51), jacobian: { x: [Float64Array.of(1)] } });
    expect(off2.values[0]).toMatchObject({ ulps: 1, error: 2 ** -51, errorOverCondition: 2 });
    // A constant depends on no input: condition 0/|c| = 0, and an exact result explains itself (0, not 0/0).
    const constant = measureGraph({ op: 'const', value: 0.5 }, { x: vector([3]) });
    expect(constant.values[0]).toMatchObject({ engine: 0.5, error: 0, condition: 0, errorOverCondition: 0 });
  });
});

describe('the op table\'s cases and their measurement', () => {
  it('covers every op, on inputs that fit their shapes, the ops\' domains and their kinks', () => {
    const cases = opCases();
    expect([...new Set(cases.map((c) => c.op))].sort()).toEqual(Object.keys(OPS).sort());
    const size = (shape: number[]) => shape.reduce((n, d) => n * d, 1);
    for (const c of cases) {
      expect(c.graph.op, c.op).toBe(c.op);
      for (const v of Object.values(c.inputs)) {
        expect([v.data.length > 0, v.data.length === size(v.shape), v.requiresGrad], c.op).toEqual([true, true, true]);
      }
    }
    const attrsOf = (c: (typeof cases)[number]) => (c.graph as { attrs?: Record<string, unknown> }).attrs;
    const attrs = (op: OpName) => cases.filter((c) => c.op === op).map(attrsOf);
    // pow's derivative bound takes the far side for p ≥ 1 and the near side below.
    expect(attrs('pow')).toEqual([{ exponent: 0.5 }, { exponent: 3 }, { exponent: -1 }, { exponent: 1.5 }]);
    expect(attrs('sum')).toEqual([undefined, { axis: 0 }]);
    expect(attrs('mean')).toEqual([{ axis: 1 }]);
    expect(attrs('norm')).toEqual([{ p: 2 }, { p: 2 }, { p: 1 }]);
    expect(attrs('reshape')).toEqual([{ shape: [3, 2] }]);
    const data = (c: (typeof cases)[number]) => Object.values(c.inputs).flatMap((v) => v.data);
    // The kinks (0, and the zero tensor for the 2-norm), the domains of log, sqrt and x^0.5, x^1.5.
    for (const op of ['abs', 'sign', 'relu'] as const) expect(data(cases.find((c) => c.op === op)!), op).toContain(0);
    // exp into both tails (exp(−20) ≈ 2e-9, exp(12.5) ≈ 3e5), tanh into both saturated tails, where
    // its gradient 1 − y² cancels.
    const range = (op: OpName) => {
      const xs = data(cases.find((c) => c.op === op)!);
      return [Math.min(...xs), Math.max(...xs)];
    };
    expect(range('exp')[0]).toBeLessThanOrEqual(-20);
    expect(range('exp')[1]).toBeGreaterThanOrEqual(12.5);
    expect(range('tanh')[0]).toBeLessThanOrEqual(-4);
    expect(range('tanh')[1]).toBeGreaterThanOrEqual(4);
    expect(cases.some((c) => c.op === 'norm' && data(c).every((x) => x === 0))).toBe(true);
    const positive = cases.filter((c) => ['log', 'sqrt'].includes(c.op) || (c.op === 'pow' && !Number.isInteger(attrsOf(c)?.exponent)));
    expect(positive.length).toBe(4);
    for (const c of positive) expect(data(c).every((x) => x > 0), c.op).toBe(true);
    // Each graph evaluates in the oracle (its inputs are the ones it names), broadcasting included.
    const shapes = cases.map((c) => oracleEvaluate(c.graph, c.inputs).value.shape);
    expect(shapes[cases.findIndex((c) => c.op === 'matmul')]).toEqual([3, 2]);
    expect(shapes[cases.findIndex((c) => c.op === 'mul' && c.inputs.x.shape.length === 2)]).toEqual([3, 2]);
  });

  it('reports per op its cases, the worst ulps of values and gradients, and the worst error over bound', () => {
    const two = (op: OpName, x: number[], y: number[]) => ({ op, graph: call(op, [input('x'), input('y')]), inputs: { x: vector(x), y: vector(y) } });
    // 1 + 1.5·2^-53 rounds up to 1 + 2^-52: off by 2^-54, a quarter ulp of the result, against a
    // bound of u·(1 + 2^-52) (the rounding of the result's magnitude as a double, η lost).
    // 0/3 is exact, and ∂(x/y)/∂x = 1/3 rounds to fl(1/3) = (1 − 2^-54)/3: off by 2^-54/3, a
    // third of its ulp 2^-54, against a bound of u·fl(1/3) + η: a ratio of 1/2 to within 2^-53.
    const rows = measureEngineOps([two('add', [1], [1.5 * u]), two('div', [0], [3]), two('add', [1, 2], [0, 0])]);
    expect(rows.map((r) => [r.op, r.cases, r.maxValueUlps, r.maxGradientUlps])).toEqual([['add', 2, 0.25, 0], ['div', 1, 0, expect.closeTo(1 / 3, 12)]]);
    expect(rows[0].worstErrorOverBound).toBe(0.5 / (1 + 2 ** -52));
    expect(rows[1].worstErrorOverBound).toBeCloseTo(0.5, 12);
  });
});
