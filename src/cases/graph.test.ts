/** The op tree's reader, shape inference and cost, node kind by node kind (schema.test.ts covers them through whole cases). */
import { describe, expect, it } from 'vitest';
import { budgetProblem, CASE_BUDGET, inferExprShapeAndCost, readGraph } from './graph.ts';
import type { ExprNode } from './types.ts';

const inputs = {
  x: { shape: [2, 3], data: [1, 2, 3, 4, 5, 6], requiresGrad: true },
  y: { shape: [3, 4], data: Array.from({ length: 12 }, (_, i) => i), requiresGrad: false },
  v: { shape: [3], data: [1, 2, 3], requiresGrad: false },
};
const x: ExprNode = { op: 'input', name: 'x' };
const y: ExprNode = { op: 'input', name: 'y' };
const v: ExprNode = { op: 'input', name: 'v' };

function infer(node: ExprNode) {
  const problems: string[] = [];
  const out = inferExprShapeAndCost(node, inputs, ['graph'], (path, message) => problems.push(`${path.join('.')}: ${message}`));
  return { out, problems };
}

describe('shape inference', () => {
  it.each<[string, ExprNode, number[], boolean]>([
    ['a constant', { op: 'const', value: 2 }, [], false],
    ['an input that does not require grad', v, [3], false],
    ['broadcasting add', { op: 'add', args: [x, v] }, [2, 3], true],
    ['a product of inputs without grad', { op: 'mul', args: [v, { op: 'const', value: 2 }] }, [3], false],
    ['matmul', { op: 'matmul', args: [x, y] }, [2, 4], true],
    ['sum over the last axis, kept', { op: 'sum', args: [x], attrs: { axis: -1, keepDim: true } }, [2, 1], true],
    ['mean over axis 0', { op: 'mean', args: [x], attrs: { axis: 0 } }, [3], true],
    ['sum over everything, kept', { op: 'sum', args: [x], attrs: { axis: null, keepDim: true } }, [1, 1], true],
    ['norm', { op: 'norm', args: [x], attrs: { p: 1 } }, [], true],
    ['reshape with an inferred dimension', { op: 'reshape', args: [x], attrs: { shape: [3, -1] } }, [3, 2], true],
    ['transpose', { op: 'transpose', args: [x] }, [3, 2], true],
    ['an elementwise op', { op: 'tanh', args: [x] }, [2, 3], true],
  ])('%s', (_what, node, shape, requiresGrad) => {
    const { out, problems } = infer(node);
    expect(problems).toEqual([]);
    expect([out!.shape, out!.requiresGrad]).toEqual([shape, requiresGrad]);
  });

  it.each<[string, ExprNode, string]>([
    ['mean of an empty tensor', { op: 'mean', args: [{ op: 'reshape', args: [x], attrs: { shape: [0, -1] } }] }, 'graph.args.0.attrs.shape: reshape: cannot view shape [2, 3] (6 elements) as [0, -1]'],
    ['an axis below the first', { op: 'sum', args: [x], attrs: { axis: -3 } }, 'graph.attrs.axis: sum: axis -3 is out of range for a 2-D tensor'],
    ['a matmul of a vector', { op: 'matmul', args: [v, y] }, 'graph: matmul: both operands must be 2-D, got [3] and [3, 4]'],
    ['a transpose of a vector', { op: 'transpose', args: [v] }, 'graph: transpose: needs a 2-D tensor, got shape [3]'],
    ['two inferred dimensions', { op: 'reshape', args: [x], attrs: { shape: [-1, -1] } }, 'graph.attrs.shape: reshape: cannot view shape [2, 3] (6 elements) as [-1, -1]'],
  ])('reports %s where it is', (_what, node, problem) => {
    const { out, problems } = infer(node);
    expect(out).toBeNull();
    expect(problems).toEqual([problem]);
  });
});

describe('cost', () => {
  it('counts each tensor and its gradient, a matmul as m·n·k, a reduction by its input', () => {
    // Inputs 2·(6 + 12 + 3) = 42 elements; the [2, 4] product adds 2·8 and 8·3 = 24 operations;
    // its sum adds 2·1 elements and 8 operations (the size of what it reads).
    const { out } = infer({ op: 'sum', args: [{ op: 'matmul', args: [x, y] }] });
    expect(out!.cost).toEqual({ elements: 42 + 16 + 2, flops: 24 + 8 });
  });

  it('counts a zero inner dimension as one', () => {
    const empty = { a: { shape: [4, 0], data: [], requiresGrad: false }, b: { shape: [0, 5], data: [], requiresGrad: false } };
    const out = inferExprShapeAndCost({ op: 'matmul', args: [{ op: 'input', name: 'a' }, { op: 'input', name: 'b' }] }, empty, [], () => {});
    expect(out!.cost).toEqual({ elements: 40, flops: 20 });
  });

  it('is within the budget up to its edge, and past it names what is too large', () => {
    expect(budgetProblem({ ...CASE_BUDGET })).toBeNull();
    expect(budgetProblem({ elements: CASE_BUDGET.elements + 1, flops: 0 })).toBe('the case is too large to run: it needs 2.00e+7 tensor elements (the budget is 2e+7)');
    expect(budgetProblem({ elements: 0, flops: 3e9 })).toBe('the case is too large to run: it needs 3.00e+9 operations (the budget is 2e+9)');
  });
});

describe('reading a graph', () => {
  function read(value: unknown) {
    const problems: string[] = [];
    const node = readGraph(value, (path, message) => problems.push(`${path.join('.')}: ${message}`));
    return { node, problems };
  }

  it('copies the tree with the special numbers decoded', () => {
    const { node, problems } = read({ op: 'pow', args: [{ op: 'const', value: '-0' }], attrs: { exponent: '-0' } });
    expect(problems).toEqual([]);
    const pow = node as { attrs: Record<string, unknown>; args: ExprNode[] };
    expect(Object.is(pow.attrs.exponent, -0)).toBe(true);
    expect(Object.is((pow.args[0] as { value: number }).value, -0)).toBe(true);
  });

  it.each<[string, unknown, string[]]>([
    ['args that are not an array', { op: 'neg', args: 'x' }, ['args: expected an array, got "x"']],
    ['attrs that are not an object', { op: 'sum', args: [{ op: 'const', value: 1 }], attrs: [1] }, ['attrs: expected an object of attributes, got an array of 1']],
    ['an attribute of the wrong kind', { op: 'sum', args: [{ op: 'const', value: 1 }], attrs: { axis: 'x' } }, ['attrs.axis: expected a number, true, false, an array of numbers or null, got "x"']],
    ['an array attribute holding a string', { op: 'reshape', args: [{ op: 'const', value: 1 }], attrs: { shape: [1, 'a'] } }, ['attrs.shape: expected a number, true, false, an array of numbers or null, got an array of 2']],
    ['a constant that is not a number', { op: 'const', value: 'one' }, ['value: expected a number (NaN, ±Infinity and −0 as "NaN", "Infinity", "-Infinity", "-0"), got "one"']],
    ['an input name that is not an identifier', { op: 'input', name: '1x' }, ['name: an input name must be an identifier (letters, digits, _), got "1x"']],
    ['an input name that is not a string', { op: 'input', name: 3 }, ['name: expected a name, got 3']],
    ['an op that is not a string', { op: 7, args: [] }, ['op: unknown op 7 (known: input, const, neg, exp, log, sqrt, abs, sign, relu, tanh, square, pow, add, sub, mul, div, matmul, sum, mean, norm, reshape, transpose)']],
    ['null', null, [": expected an op node (an object with 'op'), got null"]],
    ['two faults in two branches, in order', { op: 'add', args: [{ op: 'const' }, { op: 'input' }] }, ['args.0.value: expected a number (NaN, ±Infinity and −0 as "NaN", "Infinity", "-Infinity", "-0"), got nothing (the field is missing)', 'args.1.name: expected a name, got nothing (the field is missing)']],
  ])('%s', (_what, value, problems) => {
    const out = read(value);
    expect(out.node).toBeNull();
    expect(out.problems).toEqual(problems);
  });
});
