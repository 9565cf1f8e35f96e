/** The op tree's reader, shape inference and cost, node kind by node kind (schema.test.ts covers them through whole cases). */
import { describe, expect, it } from 'vitest';
import { budgetProblem, CASE_BUDGET, inferExprShape, inferExprShapeAndCost, inputNameProblem, OP_SIGNATURES, readGraph, readNumber } from './graph.ts';
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

describe('leaves', () => {
  it('reads the four special spellings as numbers, and nothing else that is not a number', () => {
    const spellings: [string, number][] = [['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity], ['-0', -0]];
    for (const [text, x] of spellings) expect(Object.is(readNumber(text), x)).toBe(true);
    expect(readNumber(1.5)).toBe(1.5);
    expect([readNumber('1'), readNumber('nan'), readNumber(null), readNumber(true)]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it.each<[unknown, string | null]>([
    ['x_1', null],
    ['_', null],
    ['NaN', 'the name "NaN" is reserved: it spells a number in the JSON encoding'],
    ['Infinity', 'the name "Infinity" is reserved: it spells a number in the JSON encoding'],
    ['valueOf', 'the name "valueOf" is reserved: every JavaScript object inherits a member of that name'],
    ['a-b', 'an input name must be an identifier (letters, digits, _), got "a-b"'],
    ['x ', 'an input name must be an identifier (letters, digits, _), got "x "'],
    ['', 'an input name must be an identifier (letters, digits, _), got ""'],
    [null, 'expected a name, got null'],
  ])('input name %j: %s', (name, problem) => {
    expect(inputNameProblem(name)).toBe(problem);
  });
});

describe('reading a graph: fields, arity, attributes', () => {
  function read(value: unknown) {
    const problems: string[] = [];
    const node = readGraph(value, (path, message) => problems.push(`${path.join('.')}: ${message}`));
    return { node, problems };
  }
  const one = { op: 'const', value: 1 };

  it.each<[string, unknown, string[]]>([
    ['a field an op node does not have', { op: 'neg', args: [one], value: 1 }, ['value: unknown field (known: op, args, attrs)']],
    ['an attribute of an op that takes none', { op: 'neg', args: [one], attrs: { p: 1 } }, ["attrs.p: op 'neg' has no attribute 'p' (it takes none)"]],
    ['a binary op given one argument', { op: 'add', args: [one] }, ["args: op 'add' takes 2 arguments, got 1"]],
    ['an exponent that is no number, reported once', { op: 'pow', args: [one], attrs: { exponent: 'x' } }, ['attrs.exponent: expected a number, true, false, an array of numbers or null, got "x"']],
    ['a NaN exponent', { op: 'pow', args: [one], attrs: { exponent: 'NaN' } }, ["attrs.exponent: op 'pow' needs exponent to be a finite number, got NaN"]],
    ['keepDim given as 1', { op: 'sum', args: [one], attrs: { keepDim: 1 } }, ["attrs.keepDim: op 'sum' needs keepDim to be true or false, got 1"]],
    ['a fractional axis', { op: 'mean', args: [one], attrs: { axis: 0.5 } }, ["attrs.axis: op 'mean' needs axis to be an integer or null (null reduces every element), got 0.5"]],
    ['a reshape to −2', { op: 'reshape', args: [one], attrs: { shape: [-2] } }, ["attrs.shape: op 'reshape' needs shape to be an array of integers ≥ −1 (one −1 is inferred), got an array of 1"]],
    ['a fault inside the second argument', { op: 'mul', args: [one, { op: 'neg', args: [{ op: 'nope' }] }] }, ['args.1.args.0.op: unknown op "nope" (known: input, const, neg, exp, log, sqrt, abs, sign, relu, tanh, square, pow, add, sub, mul, div, matmul, sum, mean, norm, reshape, transpose)']],
  ])('%s', (_what, value, problems) => {
    const out = read(value);
    expect(out.problems).toEqual(problems);
    expect(out.node).toBeNull();
  });

  it('copies attributes when given and adds none when absent, keeping the order of the arguments', () => {
    const input = { op: 'sub', args: [{ op: 'input', name: 'x' }, { op: 'norm', args: [one], attrs: { p: 1 } }] };
    const { node, problems } = read(input);
    expect(problems).toEqual([]);
    expect(node).toStrictEqual({ op: 'sub', args: [{ op: 'input', name: 'x' }, { op: 'norm', args: [one], attrs: { p: 1 } }] });
    const reshape = read({ op: 'reshape', args: [one], attrs: { shape: [1, '-0', -1], axisless: undefined } });
    expect(reshape.problems).toEqual(["attrs.axisless: op 'reshape' has no attribute 'axisless' (known: shape)"]);
    expect(read({ op: 'sum', args: [one], attrs: { axis: null, keepDim: false } }).node).toStrictEqual({ op: 'sum', args: [one], attrs: { axis: null, keepDim: false } });
  });
});

describe('shape inference: every rule', () => {
  const withEmpty = { ...inputs, e: { shape: [0], data: [], requiresGrad: false } };
  const e: ExprNode = { op: 'input', name: 'e' };
  function inferIn(node: ExprNode, given: typeof withEmpty | Record<string, never> = withEmpty) {
    const problems: string[] = [];
    const out = inferExprShapeAndCost(node, given, ['graph'], (path, message) => problems.push(`${path.join('.')}: ${message}`));
    return { out, problems };
  }

  it.each<[string, ExprNode, number[]]>([
    ['a sum over everything', { op: 'sum', args: [x] }, []],
    ['a sum of an empty tensor', { op: 'sum', args: [e] }, []],
    ['a sum over the last axis by a negative index', { op: 'sum', args: [x], attrs: { axis: -1 } }, [2]],
    ['a mean over axis 1, kept', { op: 'mean', args: [x], attrs: { axis: 1, keepDim: true } }, [2, 1]],
    ['a mean over axis -2, kept', { op: 'mean', args: [x], attrs: { axis: -2, keepDim: true } }, [1, 3]],
    ['a reshape to a flat vector', { op: 'reshape', args: [x], attrs: { shape: [-1] } }, [6]],
    ['a reshape without an inferred dimension', { op: 'reshape', args: [x], attrs: { shape: [3, 1, 2] } }, [3, 1, 2]],
    ['a reshape of an empty tensor', { op: 'reshape', args: [e], attrs: { shape: [2, 0] } }, [2, 0]],
    ['a power', { op: 'pow', args: [y], attrs: { exponent: 2 } }, [3, 4]],
  ])('%s', (_what, node, shape) => {
    const { out, problems } = inferIn(node);
    expect(problems).toEqual([]);
    expect(out!.shape).toEqual(shape);
  });

  it.each<[string, ExprNode, string]>([
    ['the mean of an empty tensor', { op: 'mean', args: [e] }, 'graph: mean: the tensor is empty'],
    ['an axis past the last', { op: 'mean', args: [x], attrs: { axis: 2 } }, 'graph.attrs.axis: mean: axis 2 is out of range for a 2-D tensor'],
    ['shapes that do not broadcast', { op: 'div', args: [x, y] }, 'graph: div: shapes [2, 3] and [3, 4] cannot be broadcast together (dimension 0 is 2 versus 3)'],
    ['a matmul with differing inner dimensions', { op: 'matmul', args: [x, x] }, 'graph: matmul: inner dimensions differ: [2, 3] @ [2, 3]'],
    ['a matmul by a vector', { op: 'matmul', args: [x, v] }, 'graph: matmul: both operands must be 2-D, got [2, 3] and [3]'],
    ['a reshape that does not divide', { op: 'reshape', args: [x], attrs: { shape: [4, -1] } }, 'graph.attrs.shape: reshape: cannot view shape [2, 3] (6 elements) as [4, -1]'],
    ['an inferred dimension beside a zero', { op: 'reshape', args: [e], attrs: { shape: [0, -1] } }, 'graph.attrs.shape: reshape: cannot view shape [0] (0 elements) as [0, -1]'],
    ['a reshape to fewer elements', { op: 'reshape', args: [x], attrs: { shape: [5] } }, 'graph.attrs.shape: reshape: cannot view shape [2, 3] (6 elements) as [5]'],
    ['a transpose of a 3-D tensor', { op: 'transpose', args: [{ op: 'reshape', args: [x], attrs: { shape: [1, 2, 3] } }] }, 'graph: transpose: needs a 2-D tensor, got shape [1, 2, 3]'],
    ['an unknown input', { op: 'neg', args: [{ op: 'input', name: 'w' }] }, "graph.args.0.name: no input named 'w' (inputs: x, y, v, e)"],
  ])('reports %s', (_what, node, problem) => {
    const { out, problems } = inferIn(node);
    expect(problems).toEqual([problem]);
    expect(out).toBeNull();
  });

  it('names the lack of inputs', () => {
    expect(inferIn({ op: 'input', name: 'x' }, {}).problems).toEqual(["graph.name: no input named 'x' (the case has no inputs)"]);
  });

  it('gives null, silently, for a node the reader would have rejected', () => {
    for (const node of [
      { op: 'add', args: [x] },
      { op: 'pow', args: [x] },
      { op: 'norm', args: [x], attrs: { p: 3 } },
      { op: 'neg', args: [{ op: 'neg', args: [] }] },
    ] as ExprNode[]) {
      expect(inferIn(node)).toEqual({ out: null, problems: [] });
    }
  });

  it('counts an elementwise op, a broadcast and a reduction by the largest tensor it reads or writes', () => {
    // Inputs 2·(6 + 12 + 3 + 0) = 42 elements. add(x, v): output [2, 3], 2·6 elements, 6 operations;
    // then its sum over axis 0: output [3], 2·3 elements, 6 operations (it reads 6).
    const out = inferIn({ op: 'sum', args: [{ op: 'add', args: [v, x] }], attrs: { axis: 0 } }).out!;
    expect(out.shape).toEqual([3]);
    expect(out.cost).toEqual({ elements: 42 + 12 + 6, flops: 6 + 6 });
    // A [2, 0] tensor plus a [1, 1] one writes nothing but reads one element.
    const z = { a: { shape: [2, 0], data: [], requiresGrad: false }, b: { shape: [1, 1], data: [0], requiresGrad: true } };
    const sum = inferExprShapeAndCost({ op: 'add', args: [{ op: 'input', name: 'a' }, { op: 'input', name: 'b' }] }, z, [], () => {});
    expect(sum).toEqual({ shape: [2, 0], requiresGrad: true, cost: { elements: 2, flops: 1 } });
  });

  it('is over the budget one past its edge, in either measure or both', () => {
    expect(budgetProblem({ elements: 0, flops: CASE_BUDGET.flops })).toBeNull();
    expect(budgetProblem({ elements: 0, flops: CASE_BUDGET.flops + 1 })).toBe('the case is too large to run: it needs 2.00e+9 operations (the budget is 2e+9)');
    expect(budgetProblem({ elements: 2.5e7, flops: 2.5e9 })).toBe('the case is too large to run: it needs 2.50e+7 tensor elements (the budget is 2e+7) and 2.50e+9 operations (the budget is 2e+9)');
  });
});

describe('every op, read then inferred', () => {
  // By hand: x is [2, 3], y is [3, 4] and v is [3]; binary ops get (v, x), which broadcasts to [2, 3].
  const cases: Record<keyof typeof OP_SIGNATURES, [ExprNode[], Record<string, unknown> | undefined, number[]]> = {
    neg: [[x], undefined, [2, 3]], exp: [[x], undefined, [2, 3]], log: [[x], undefined, [2, 3]], sqrt: [[x], undefined, [2, 3]],
    abs: [[x], undefined, [2, 3]], sign: [[x], undefined, [2, 3]], relu: [[x], undefined, [2, 3]], tanh: [[x], undefined, [2, 3]],
    square: [[x], undefined, [2, 3]], pow: [[x], { exponent: 3 }, [2, 3]],
    add: [[v, x], undefined, [2, 3]], sub: [[v, x], undefined, [2, 3]], mul: [[v, x], undefined, [2, 3]], div: [[v, x], undefined, [2, 3]],
    matmul: [[x, y], undefined, [2, 4]], sum: [[x], undefined, []], mean: [[x], {}, []], norm: [[x], undefined, []],
    reshape: [[x], { shape: [6] }, [6]], transpose: [[x], undefined, [3, 2]],
  };

  it.each(Object.entries(cases))('%s', (op, [args, attrs, shape]) => {
    const problems: unknown[] = [];
    const node = readGraph(attrs === undefined ? { op, args } : { op, args, attrs }, (...p) => problems.push(p));
    expect(problems).toEqual([]);
    expect(inferExprShape(node!, inputs, [], (...p) => problems.push(p))).toStrictEqual({ shape, requiresGrad: true });
  });

  it('inferExprShape gives null after reporting', () => {
    const problems: string[] = [];
    expect(inferExprShape({ op: 'add', args: [x, { op: 'input', name: 'w' }] }, inputs, ['g'], (path, m) => problems.push(`${path.join('.')}: ${m}`))).toBeNull();
    expect(problems).toEqual(["g.args.1.name: no input named 'w' (inputs: x, y, v)"]);
  });

  const known = 'known: input, const, neg, exp, log, sqrt, abs, sign, relu, tanh, square, pow, add, sub, mul, div, matmul, sum, mean, norm, reshape, transpose';
  it.each<[string, unknown, string[]]>([
    ['an op given as an array', { op: ['neg'], args: [x] }, [`op: unknown op an array of 1 (${known})`]],
    ['a unary op given two arguments', { op: 'neg', args: [x, x] }, ["args: op 'neg' takes 1 argument, got 2"]],
    ['attributes given as a number', { op: 'sum', args: [x], attrs: 5 }, ['attrs: expected an object of attributes, got 5']],
    ['an attribute of an op with two', { op: 'sum', args: [x], attrs: { p: 1 } }, ["attrs.p: op 'sum' has no attribute 'p' (known: axis, keepDim)"]],
    ['norm with p = 3', { op: 'norm', args: [x], attrs: { p: 3 } }, ["attrs.p: op 'norm' needs p to be 1 or 2 (2 when absent), got 3"]],
    ['a reshape without a shape', { op: 'reshape', args: [x], attrs: {} }, ["attrs.shape: op 'reshape' needs shape to be an array of integers ≥ −1 (one −1 is inferred), got nothing (the field is missing)"]],
    ['a reshape to [3, −2]', { op: 'reshape', args: [x], attrs: { shape: [3, -2] } }, ["attrs.shape: op 'reshape' needs shape to be an array of integers ≥ −1 (one −1 is inferred), got an array of 2"]],
  ])('reports %s', (_what, value, problems) => {
    const found: string[] = [];
    expect(readGraph(value, (path, m) => found.push(`${path.join('.')}: ${m}`))).toBeNull();
    expect(found).toEqual(problems);
  });

  it('reads norm with p = 2 or none', () => {
    for (const attrs of [{ p: 2 }, {}]) expect(readGraph({ op: 'norm', args: [x], attrs }, () => expect.unreachable())).toStrictEqual({ op: 'norm', args: [x], attrs });
  });
});
