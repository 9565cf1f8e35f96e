import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPS } from '../engine/ops.ts';
import { PENALTIES } from '../regularize/recipes.ts';
import { encodeJson } from './json.ts';
import {
  CaseError,
  parseCase,
  parseCaseJson,
  parseExprCase,
  parseExprResult,
  parseTrainCase,
  parseTrainResult,
  SCHEMA_MATCHES_TYPES,
} from './schema.ts';
import { expr, train } from './testdata/cases.ts';
import type { ExprCase } from './types.ts';

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CaseError);
    return (e as Error).message;
  }
  throw new Error('expected the parse to fail');
}

describe('case schema: valid cases', () => {
  it('reads NaN, ±Infinity and −0 through the JSON encoding, decoded or still encoded', () => {
    const special: ExprCase = { ...expr, inputs: { x: { shape: [4], data: [NaN, Infinity, -Infinity, -0], requiresGrad: true } }, graph: { op: 'sum', args: [{ op: 'input', name: 'x' }] } };
    const text = encodeJson(special);
    expect(parseCaseJson(text)).toEqual(special); // toEqual tells −0 from 0 and finds NaN equal to NaN
    expect(parseCase(JSON.parse(text))).toEqual(special);
  });

  it('accepts every optimizer kind of types.ts', () => {
    const adam = { kind: 'adam', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false } as const;
    expect(parseTrainCase({ ...train, optimizer: adam }).optimizer).toEqual(adam);
  });

  it('keeps the schema and the TypeScript types in agreement (a type-level check that fails to compile otherwise)', () => {
    expect(Object.values(SCHEMA_MATCHES_TYPES).every((v) => v === true)).toBe(true);
  });
});

describe('case schema: errors point at the field', () => {
  // Each expected message is derived by hand from the mutation: the field's path, then the rule it breaks.
  it.each<[string, unknown, string]>([
    ['a learning rate that is a string', { ...train, optimizer: { ...train.optimizer, lr: 'abc' } }, 'optimizer.lr: expected a finite number ≥ 0, got "abc"'],
    ['a NaN learning rate', { ...train, optimizer: { ...train.optimizer, lr: 'NaN' } }, 'optimizer.lr: expected a finite number ≥ 0, got NaN'],
    ['a missing momentum', { ...train, optimizer: { ...train.optimizer, momentum: undefined } }, 'optimizer.momentum: expected a finite number ≥ 0, got nothing (the field is missing)'],
    ['five values for a [2, 3] weight', { ...train, init: { ...train.init, '0.weight': [1, 2, 3, 4, 5] } }, 'init.0.weight: 5 values for a parameter of shape [2, 3] (6 needed)'],
    ['an unknown parameter', { ...train, init: { ...train.init, '1.weight': [1] } }, "init.1.weight: the model has no parameter '1.weight' (it has 0.weight, 0.bias)"],
    ['a missing parameter', { ...train, init: { '0.weight': train.init['0.weight'] } }, "init: no initial values for parameter '0.bias' of shape [2]"],
    ['nesterov with dampening', { ...train, optimizer: { ...train.optimizer, dampening: 0.5 } }, 'optimizer.nesterov: nesterov needs momentum > 0 and dampening 0 (got momentum 0.9, dampening 0.5)'],
    ['an unknown optimizer', { ...train, optimizer: { kind: 'lbfgs' } }, 'optimizer.kind: unknown optimizer kind "lbfgs" (known:'],
    ['a data row of the wrong width', { ...train, data: { x: [[1, 2]], y: [[1, 2]] } }, 'data.x[0]: 2 values, but the model input size is 3'],
    ['fewer targets than inputs', { ...train, data: { x: [[1, 2, 3], [4, 5, 6]], y: [[1, 2]] } }, 'data.y: 1 target rows for 2 input rows'],
    ['a target row of the wrong width', { ...train, data: { x: [[1, 2, 3]], y: [[1]] } }, "data.y[0]: 1 values, but the last layer's outFeatures is 2"],
    ['an unknown recipe', { ...train, penalty: { ...train.penalty, recipe: 'l3' } }, 'penalty.recipe: unknown recipe "l3"'],
    ['a negative λ', { ...train, penalty: { ...train.penalty, lambda: -1 } }, 'penalty.lambda: expected a finite number ≥ 0, got -1'],
    ['the uninitialised leaf without its start', { ...train, penalty: { ...train.penalty, recipe: 'norm-uninit-leaf' } }, "penalty.start: recipe 'norm-uninit-leaf' needs the accumulator's arbitrary start value"],
    ['a start value for another recipe', { ...train, penalty: { ...train.penalty, start: 1 } }, "penalty.start: only recipe 'norm-uninit-leaf' takes a start value"],
    ['an unknown activation', { ...train, model: { ...train.model, layers: [{ outFeatures: 2, activation: 'gelu' }] } }, "model.layers[0].activation: expected 'relu', 'tanh' or 'identity', got \"gelu\""],
    ['zero steps', { ...train, steps: 0 }, 'steps: expected an integer ≥ 1, got 0'],
    ['an unknown field', { ...train, epochs: 3 }, 'epochs: unknown field (known: kind, version'],
    ['another case version', { ...train, version: 2 }, 'version: expected 1 (this regproof reads case format version 1), got 2'],
    ['a parameter in no group', { ...train, groups: [{ select: 'weights', weightDecay: 0 }] }, 'groups: parameters 0.bias are in no group'],
    ['a model with no layers', { ...train, model: { ...train.model, layers: [] } }, 'model.layers: a model needs at least one layer'],
    ['a data row that is not an array', { ...train, data: { x: [null], y: [[1, 2]] } }, 'data.x[0]: expected an array, got null'],
    ['the recipe "constructor", inherited by every object', { ...train, penalty: { ...train.penalty, recipe: 'constructor' } }, 'penalty.recipe: unknown recipe "constructor"'],
    ['initial values under "toString"', { ...train, init: { ...train.init, toString: [1] } }, 'init.toString: the name "toString" is reserved: every JavaScript object inherits a member of that name'],
    // 8 parameters, one example: per step 2·8 elements kept and 6·1·8 + 10·8 = 128 operations.
    ['a run past the budget', { ...train, steps: 1e9 }, 'the case is too large to run: it needs 1.60e+10 tensor elements (the budget is 2e+7) and 1.28e+11 operations (the budget is 2e+9)'],
    ['two groups for the weights', { ...train, groups: [{ select: 'weights', weightDecay: 0 }, { select: 'weights', weightDecay: 1 }, { select: 'biases', weightDecay: 0 }] }, 'groups[1].select: groups 0 and 1 both select the weights'],
  ])('training case: %s', (_what, value, message) => {
    expect(messageOf(() => parseTrainCase(value))).toContain(message);
  });

  it.each<[string, unknown, string]>([
    ['an unknown op', { ...expr, graph: { op: 'softmax', args: [] } }, 'graph.op: unknown op "softmax" (known: input, const, neg'],
    ['a unary op given two arguments', { ...expr, graph: { op: 'exp', args: [{ op: 'input', name: 'x' }, { op: 'input', name: 'y' }] } }, "graph.args: op 'exp' takes 1 argument, got 2"],
    ['pow without its exponent', { ...expr, graph: { op: 'sum', args: [{ op: 'pow', args: [{ op: 'input', name: 'x' }] }] } }, "graph.args[0].attrs.exponent: op 'pow' needs exponent to be a finite number, got nothing"],
    ['an attribute the op does not have', { ...expr, graph: { op: 'sum', args: [{ op: 'input', name: 'x' }], attrs: { dim: 0 } } }, "graph.attrs.dim: op 'sum' has no attribute 'dim' (known: axis, keepDim)"],
    ['norm with p = 3', { ...expr, graph: { op: 'norm', args: [{ op: 'input', name: 'x' }], attrs: { p: 3 } } }, "graph.attrs.p: op 'norm' needs p to be 1 or 2"],
    ['an unknown input', { ...expr, graph: { op: 'sum', args: [{ op: 'input', name: 'z' }] } }, "graph.args[0].name: no input named 'z' (inputs: x, y)"],
    ['shapes that do not broadcast', { ...expr, graph: { op: 'sum', args: [{ op: 'add', args: [{ op: 'input', name: 'x' }, { op: 'transpose', args: [{ op: 'input', name: 'x' }] }] }] } }, 'graph.args[0]: add: shapes [2, 3] and [3, 2] cannot be broadcast together'],
    ['a matmul of [2, 3] by [2, 3]', { ...expr, graph: { op: 'sum', args: [{ op: 'matmul', args: [{ op: 'input', name: 'x' }, { op: 'input', name: 'x' }] }] } }, 'graph.args[0]: matmul: inner dimensions differ: [2, 3] @ [2, 3]'],
    ['an axis past the last', { ...expr, graph: { op: 'sum', args: [{ op: 'input', name: 'x' }], attrs: { axis: 2 } } }, 'graph.attrs.axis: sum: axis 2 is out of range for a 2-D tensor'],
    ['a reshape to 4 elements', { ...expr, graph: { op: 'sum', args: [{ op: 'reshape', args: [{ op: 'input', name: 'x' }], attrs: { shape: [2, 2] } }] } }, 'graph.args[0].attrs.shape: reshape: cannot view shape [2, 3] (6 elements) as [2, 2]'],
    ['a six-element output without a seed', { ...expr, graph: { op: 'input', name: 'x' } }, 'seed: the output has shape [2, 3], not one element, so backward needs an upstream gradient of 6 values'],
    ['a seed of the wrong length', { ...expr, seed: [1, 2] }, 'seed: 2 values for an output of shape [] (1 needed)'],
    ['input data that do not fill the shape', { ...expr, inputs: { ...expr.inputs, y: { shape: [3], data: [1], requiresGrad: false } } }, 'inputs.y.data: 1 values for shape [3] (3 needed)'],
    ['an input named NaN', { ...expr, inputs: { NaN: { shape: [], data: [1], requiresGrad: false } }, graph: { op: 'const', value: 1 } }, 'inputs.NaN: the name "NaN" is reserved'],
    ['an input named toString', { ...expr, inputs: { toString: { shape: [], data: [1], requiresGrad: false } }, graph: { op: 'input', name: 'toString' } }, 'inputs.toString: the name "toString" is reserved: every JavaScript object inherits a member of that name'],
    ['a reshape without its shape', { ...expr, graph: { op: 'sum', args: [{ op: 'reshape', args: [{ op: 'input', name: 'x' }] }] } }, "graph.args[0].attrs.shape: op 'reshape' needs shape to be an array of integers ≥ −1 (one −1 is inferred), got nothing"],
    ['an op node that is an array', { ...expr, graph: { op: 'sum', args: [[1]] } }, "graph.args[0]: expected an op node (an object with 'op'), got an array of 1"],
    ['an op named "constructor"', { ...expr, graph: { op: 'constructor', args: [] } }, 'graph.op: unknown op "constructor"'],
    ['a field a node does not have', { ...expr, graph: { op: 'sum', args: [{ op: 'input', name: 'x', value: 1 }] } }, 'graph.args[0].value: unknown field (known: op, name)'],
    [
      'a product with a zero-size inner dimension, [3e4, 0] @ [0, 3e4]',
      { ...expr, inputs: { a: { shape: [3e4, 0], data: [], requiresGrad: false }, b: { shape: [0, 3e4], data: [], requiresGrad: false } }, graph: { op: 'sum', args: [{ op: 'matmul', args: [{ op: 'input', name: 'a' }, { op: 'input', name: 'b' }] }] } },
      'the case is too large to run: it needs 1.80e+9 tensor elements (the budget is 2e+7)',
    ],
    ['a second backward given as 3', { ...expr, backward: { times: 3, retainGraph: false } }, 'backward.times: expected 1 or 2, got 3'],
  ])('expression case: %s', (_what, value, message) => {
    expect(messageOf(() => parseExprCase(value))).toContain(message);
  });

  /** neg(neg(...neg(x)...)) with `depth` negations, built without recursion. */
  function chain(depth: number, leaf: unknown = { op: 'input', name: 'x' }): unknown {
    let node = leaf;
    for (let i = 0; i < depth; i++) node = { op: 'neg', args: [node] };
    return node;
  }

  it('validates a graph 100,000 ops deep without overflowing the stack, and finds a fault at the bottom', () => {
    const deep = { ...expr, inputs: { x: { shape: [], data: [1], requiresGrad: true } } };
    expect(parseExprCase({ ...deep, graph: chain(100_000) }).graph.op).toBe('neg');
    const message = messageOf(() => parseExprCase({ ...deep, graph: chain(100_000, { op: 'input', name: 'nope' }) }));
    expect(message).toMatch(/^invalid expression case: graph(\.args\[0\]){100000}\.name: no input named 'nope' \(inputs: x\)$/);
  });

  it('reports every problem, one per line', () => {
    const message = messageOf(() => parseTrainCase({ ...train, steps: -1, zeroGrad: 'yes' }));
    expect(message).toMatch(/^invalid training case \(2 problems\):\n {2}steps: .*\n {2}zeroGrad: expected true or false, got "yes"$/);
  });

  it('names the kind of case it expected', () => {
    expect(messageOf(() => parseCase({ kind: 'eval' }))).toBe('invalid case: kind: expected \'expr\' or \'train\', got "eval"');
    expect(messageOf(() => parseCaseJson('{"kind":'))).toMatch(/^invalid case: not JSON: /);
  });
});

describe('result schema', () => {
  it('checks an expression result against its case', () => {
    // expr's output is a scalar and only x ([2, 3]) requires grad.
    expect(parseExprResult({ value: { shape: [], data: [21] }, grads: { x: [1, 1, 1, 1, 1, 1] } }, expr).value.data).toEqual([21]);
    expect(messageOf(() => parseExprResult({ value: { shape: [1], data: [21] }, grads: { x: [1, 1, 1, 1, 1, 1] } }, expr))).toContain("value.shape: [1], but the case's output has shape []");
    expect(messageOf(() => parseExprResult({ value: { shape: [], data: [21] }, grads: { x: [1], y: null } }, expr))).toMatch(/grads\.y: 'y' is not an input that requires grad[\s\S]*grads\.x: 1 values for an input of shape \[2, 3\] \(6 needed\)/);
    expect(messageOf(() => parseExprResult({ value: { shape: [], data: [21] }, grads: {}, error: { kind: 'oops', message: '' } }))).toContain("error.kind: expected 'graph-released' or 'other', got \"oops\"");
  });

  it('rejects a gradient filed under "__proto__" instead of dropping it, and names inherited from Object', () => {
    const grads = JSON.parse('{"x": [1, 1, 1, 1, 1, 1], "__proto__": [2]}');
    expect(messageOf(() => parseExprResult({ value: { shape: [], data: [21] }, grads }, expr))).toBe('invalid expression result: grads.__proto__: the name "__proto__" is reserved: every JavaScript object inherits a member of that name');
    expect(messageOf(() => parseExprResult({ value: { shape: [], data: [21] }, grads: { x: [1, 1, 1, 1, 1, 1], hasOwnProperty: [1] } }, expr))).toContain('grads.hasOwnProperty: the name "hasOwnProperty" is reserved');
  });

  it('checks a training result against its case: one entry per step, every parameter at its size', () => {
    const step = { '0.weight': [0, 0, 0, 0, 0, 0], '0.bias': [0, 0] };
    expect(parseTrainResult({ losses: [1, 'NaN'], grads: [step, step], params: [step, step] }, train).losses[1]).toBeNaN();
    const message = messageOf(() => parseTrainResult({ losses: [1], grads: [step, { '0.weight': [0] }], params: [step, step] }, train));
    expect(message).toContain('losses: 1 entries for 2 steps');
    expect(message).toContain('grads[1].0.weight: 1 values for a parameter of shape [2, 3] (6 needed)');
    expect(message).toContain("grads[1]: no values for parameter '0.bias'");
  });
});

describe('docs/ops.md', () => {
  const page = readFileSync(new URL('../../docs/ops.md', import.meta.url), 'utf8');

  it('lists every op of the engine with the engine\'s "saves tensors" flag, and no other op', () => {
    const rows = [...page.matchAll(/^\| `(\w+)` \|.*\| (yes|no) \|$/gm)].map(([, op, saves]) => [op, saves === 'yes'] as const);
    const engine = Object.entries(OPS).map(([op, def]) => [op, def.savesTensors] as const);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(engine));
    expect(rows.length).toBe(engine.length);
  });

  it('describes every penalty recipe and no other', () => {
    const recipes = [...page.matchAll(/^ {2}\| `([\w-]+)` \|/gm)].map(([, id]) => id);
    expect(recipes.sort()).toEqual(Object.keys(PENALTIES).sort());
  });
});

describe('case schema: each rule at its edge', () => {
  const sgd = train.optimizer;
  const accepts = (value: unknown) => expect(() => parseTrainCase(value)).not.toThrow();

  it('accepts the edge of every number rule, and rejects one step past it', () => {
    accepts({ ...train, optimizer: { ...sgd, lr: 0, weightDecay: 0 } });
    accepts({ ...train, optimizer: { kind: 'adam', lr: 1, betas: [0, 0.5], eps: 0, weightDecay: 0, amsgrad: false, maximize: true } });
    accepts({ ...train, steps: 1 });
    expect(messageOf(() => parseTrainCase({ ...train, optimizer: { ...sgd, lr: 'Infinity' } }))).toContain('optimizer.lr: expected a finite number ≥ 0, got Infinity');
    expect(messageOf(() => parseTrainCase({ ...train, optimizer: { ...sgd, dampening: '-Infinity' } }))).toContain('optimizer.dampening: expected a finite number, got -Infinity');
    expect(messageOf(() => parseTrainCase({ ...train, steps: 1.5 }))).toBe('invalid training case: steps: expected an integer ≥ 1, got 1.5');
    const adam = { kind: 'adam', lr: 1, betas: [0.9, 1], eps: 0, weightDecay: 0, amsgrad: false, maximize: false };
    expect(messageOf(() => parseTrainCase({ ...train, optimizer: adam }))).toBe('invalid training case: optimizer.betas[1]: expected a number in [0, 1), got 1');
    expect(messageOf(() => parseTrainCase({ ...train, optimizer: { ...adam, betas: [-0.5, 0] } }))).toBe('invalid training case: optimizer.betas[0]: expected a number in [0, 1), got -0.5');
    expect(messageOf(() => parseTrainCase({ ...train, optimizer: { ...adam, betas: 0.9 } }))).toBe('invalid training case: optimizer.betas: expected a pair [β1, β2], got 0.9');
  });

  it('nesterov needs a positive momentum', () => {
    expect(messageOf(() => parseTrainCase({ ...train, optimizer: { ...sgd, momentum: 0 } }))).toBe('invalid training case: optimizer.nesterov: nesterov needs momentum > 0 and dampening 0 (got momentum 0, dampening 0)');
    accepts({ ...train, optimizer: { ...sgd, kind: 'sgdw', nesterov: false, dampening: -1 } });
  });

  it('names a shape\'s bad dimension, an optimizer that is not an object, and every optimizer kind', () => {
    const x = { shape: [2, 3], data: [1, 2, 3, 4, 5, 6], requiresGrad: true };
    expect(messageOf(() => parseExprCase({ ...expr, inputs: { ...expr.inputs, x: { ...x, shape: [-1, 3] } } }))).toContain('inputs.x.shape[0]: expected an integer ≥ 0 (a dimension), got -1');
    expect(messageOf(() => parseExprCase({ ...expr, inputs: { ...expr.inputs, x: { ...x, shape: [0.5] } } }))).toContain('inputs.x.shape[0]: expected an integer ≥ 0 (a dimension), got 0.5');
    expect(messageOf(() => parseTrainCase({ ...train, optimizer: 5 }))).toBe("invalid training case: optimizer: expected an optimizer spec (an object with 'kind'), got 5");
    expect(messageOf(() => parseTrainCase({ ...train, optimizer: { kind: 'lbfgs' } }))).toBe("invalid training case: optimizer.kind: unknown optimizer kind \"lbfgs\" (known: 'sgd', 'sgdw', 'adam', 'adamw', 'rmsprop', 'adagrad')");
    expect(messageOf(() => parseTrainCase({ ...train, loss: 'mse' }))).toBe('invalid training case: loss: expected an object, got "mse"');
    expect(messageOf(() => parseTrainCase({ ...train, penalty: { ...train.penalty, start: 1, recipe: 'norm-uninit-leaf', extra: 1, more: 2 } }))).toBe(
      'invalid training case (2 problems):\n  penalty.extra: unknown field (known: recipe, lambda, select, sign, start)\n  penalty.more: unknown field (known: recipe, lambda, select, sign, start)',
    );
  });

  it('counts a training run\'s elements up to the budget and no further', () => {
    // 8 parameters; per step 2·8 elements, and the data 16 rows of 3 + 2 values: 16·1,249,995 + 16·5 = 2e7.
    const rows = (n: number, width: number) => Array.from({ length: n }, () => new Array<number>(width).fill(0));
    const at = (batch: number, steps: number) => ({ ...train, data: { x: rows(batch, 3), y: rows(batch, 2) }, steps });
    accepts(at(16, 1_249_995));
    expect(messageOf(() => parseTrainCase(at(17, 1_249_995)))).toBe('invalid training case: the case is too large to run: it needs 2.00e+7 tensor elements (the budget is 2e+7)');
    // Operations: steps·(6·batch·8 + 10·8) = 1e6·(6·40·8 + 80) = 2e9, with 16e6 + 200 elements.
    accepts(at(40, 1_000_000));
    expect(messageOf(() => parseTrainCase(at(40, 1_000_001)))).toBe('invalid training case: the case is too large to run: it needs 2.00e+9 operations (the budget is 2e+9)');
  });

  it('checks the batch and the groups', () => {
    expect(messageOf(() => parseTrainCase({ ...train, data: { x: [], y: [] } }))).toBe('invalid training case: data.x: the batch is empty (one row per example is needed)');
    accepts({ ...train, groups: [{ select: 'biases', weightDecay: 1 }, { select: 'weights', weightDecay: 0 }] });
    expect(messageOf(() => parseTrainCase({ ...train, groups: [{ select: 'biases', weightDecay: 0 }] }))).toBe('invalid training case: groups: parameters 0.weight are in no group (give the weights a group too)');
    expect(messageOf(() => parseTrainCase({ ...train, groups: [{ select: 'weights', weightDecay: 0 }] }))).toBe('invalid training case: groups: parameters 0.bias are in no group (give the biases a group too)');
    expect(messageOf(() => parseTrainCase({ ...train, groups: [{ select: 'biases', weightDecay: 0 }, { select: 'biases', weightDecay: 0 }, { select: 'weights', weightDecay: 0 }] }))).toBe(
      'invalid training case: groups[1].select: groups 0 and 1 both select the biases, and a parameter can be in only one group',
    );
  });

  it('checks the cross-field rules only once the fields are well-formed', () => {
    expect(messageOf(() => parseTrainCase({ ...train, steps: 0, init: {} }))).toBe('invalid training case: steps: expected an integer ≥ 1, got 0');
    expect(messageOf(() => parseExprCase({ ...expr, seed: 'x', graph: { op: 'input', name: 'nope' } }))).toBe('invalid expression case: seed: expected an array, got "x"');
  });

  it('needs a seed only for an output of more than one element that requires grad', () => {
    const y = { op: 'input', name: 'y' };
    expect(parseExprCase({ ...expr, graph: y }).graph).toEqual(y);
    expect(parseExprCase({ ...expr, graph: { op: 'input', name: 'x' }, seed: [1, 2, 3, 4, 5, 6] }).seed).toEqual([1, 2, 3, 4, 5, 6]);
    expect(messageOf(() => parseExprCase({ ...expr, graph: y, seed: [1] }))).toBe('invalid expression case: seed: 1 values for an output of shape [3] (3 needed)');
  });

  it('names the case it expected, whatever arrives', () => {
    expect(messageOf(() => parseCase(5))).toBe('invalid case: expected a case object, got 5');
    expect(messageOf(() => parseCase(null))).toBe('invalid case: expected a case object, got null');
    expect(messageOf(() => parseCase({}))).toBe("invalid case: kind: expected 'expr' or 'train', got nothing (the field is missing)");
    expect(parseCase(expr).kind).toBe('expr');
    expect(parseCase(train).kind).toBe('train');
    expect(messageOf(() => parseExprCase({ ...expr, kind: 'train' }))).toBe('invalid expression case: kind: expected \'expr\', got "train"');
  });

  it('finds a "__proto__" key at the top, in an array and deep down', () => {
    const reserved = 'the name "__proto__" is reserved: every JavaScript object inherits a member of that name';
    expect(messageOf(() => parseTrainCase(JSON.parse('{"__proto__": 1}')))).toBe(`invalid training case: __proto__: ${reserved}`);
    const step = JSON.stringify(train.init);
    const result = JSON.parse(`{"losses": [1, 2], "grads": [${step}, {"__proto__": [1]}], "params": [${step}, ${step}]}`);
    expect(messageOf(() => parseTrainResult(result, train))).toBe(`invalid training result: grads[1].__proto__: ${reserved}`);
    const deep = JSON.parse(`{"kind": "expr", "graph": {"op": "neg", "args": [{"op": "neg", "args": [{"__proto__": 0}]}]}}`);
    expect(messageOf(() => parseExprCase(deep))).toBe(`invalid expression case: graph.args[0].args[0].__proto__: ${reserved}`);
  });
});

describe('result schema: every check against the case', () => {
  it('an expression result needs an entry, maybe null, for each input that requires grad', () => {
    const value = { shape: [], data: [21] };
    expect(parseExprResult({ value, grads: { x: null } }, expr).grads).toEqual({ x: null });
    expect(messageOf(() => parseExprResult({ value, grads: {} }, expr))).toBe("invalid expression result: grads: no entry for input 'x' (null when backward never reached it)");
    expect(messageOf(() => parseExprResult({ value: { shape: [2], data: [21] }, grads: { x: null } }, expr))).toBe('invalid expression result: value.data: 1 values for shape [2] (2 needed)');
  });

  it('a training result names a parameter the model lacks, and counts params by step', () => {
    const step = { '0.weight': [0, 0, 0, 0, 0, 0], '0.bias': [0, 0] };
    const message = messageOf(() => parseTrainResult({ losses: [1, 2], grads: [step, step], params: [step, { ...step, '1.bias': [0] }, step] }, train));
    expect(message).toBe("invalid training result (2 problems):\n  params: 3 entries for 2 steps\n  params[1].1.bias: the model has no parameter '1.bias'");
    expect(parseTrainResult({ losses: [], grads: [], params: [] }).losses).toEqual([]);
  });
});

describe('case schema: each field named when wrong', () => {
  it.each<[string, unknown, string]>([
    ['a case that is null', null, 'invalid training case: expected an object, got null'],
    ['a case that is a number', 5, 'invalid training case: expected an object, got 5'],
    ['another kind', { ...train, kind: 'expr' }, 'invalid training case: kind: expected \'train\', got "expr"'],
    ['initial values that are not an object', { ...train, init: 5 }, 'invalid training case: init: expected an object of initial values by parameter name, got 5'],
    ['another loss', { ...train, loss: { kind: 'mae', reduction: 'sum' } }, 'invalid training case: loss.kind: expected \'mse\', got "mae"'],
    ['a recipe that is not a string', { ...train, penalty: { ...train.penalty, recipe: 5 } }, 'invalid training case: penalty.recipe: expected a recipe id, got 5'],
    ['an unknown recipe', { ...train, penalty: { ...train.penalty, recipe: 'l3' } }, `invalid training case: penalty.recipe: unknown recipe "l3" (known: ${Object.keys(PENALTIES).join(', ')})`],
  ])('training case: %s', (_what, value, message) => {
    expect(messageOf(() => parseTrainCase(value))).toBe(message);
  });

  it('accepts every selection, sign and reduction', () => {
    for (const select of ['all', 'weights', 'biases']) {
      for (const sign of ['add', 'subtract']) expect(parseTrainCase({ ...train, penalty: { ...train.penalty, select, sign } }).penalty).toEqual({ ...train.penalty, select, sign });
    }
    expect(parseTrainCase({ ...train, loss: { kind: 'mse', reduction: 'sum' } }).loss.reduction).toBe('sum');
  });

  it('names every parameter in no group', () => {
    const model = { inputSize: 3, layers: [{ outFeatures: 2, activation: 'identity' }, { outFeatures: 1, activation: 'identity' }] };
    const init = { '0.weight': [1, 2, 3, 4, 5, 6], '0.bias': [0, 0], '1.weight': [1, 2], '1.bias': [0] };
    const c = { ...train, model, init, data: { x: [[1, 2, 3]], y: [[1]] }, groups: [{ select: 'weights', weightDecay: 0 }] };
    expect(messageOf(() => parseTrainCase(c))).toBe('invalid training case: groups: parameters 0.bias, 1.bias are in no group (give the biases a group too)');
  });

  it.each<[string, unknown, string]>([
    ['inputs that are not an object', { ...expr, inputs: 5 }, 'invalid expression case: inputs: expected an object of named input tensors, got 5'],
    ['a tensor value that is not a number', { ...expr, inputs: { ...expr.inputs, y: { shape: [3], data: [1, 'abc', 1], requiresGrad: false } } }, 'invalid expression case: inputs.y.data[1]: expected a number (NaN, ±Infinity and −0 as "NaN", "Infinity", "-Infinity", "-0"), got "abc"'],
    ['a product past the budget', { ...expr, inputs: { a: { shape: [3e4, 0], data: [], requiresGrad: false }, b: { shape: [0, 3e4], data: [], requiresGrad: false } }, graph: { op: 'sum', args: [{ op: 'matmul', args: [{ op: 'input', name: 'a' }, { op: 'input', name: 'b' }] }] } }, 'invalid expression case: the case is too large to run: it needs 1.80e+9 tensor elements (the budget is 2e+7)'],
  ])('expression case: %s', (_what, value, message) => {
    expect(messageOf(() => parseExprCase(value))).toBe(message);
  });

  it('accepts a second backward', () => {
    for (const times of [1, 2]) expect(parseExprCase({ ...expr, backward: { times, retainGraph: true } }).backward).toEqual({ times, retainGraph: true });
  });
});

describe('result schema: every field named when wrong', () => {
  const value = { shape: [], data: [21] };

  it.each<[string, unknown, string]>([
    ['gradients that are not an object', { value, grads: 5 }, 'invalid expression result: grads: expected an object of gradients by input name, got 5'],
    ['an error message that is not a string', { value, grads: {}, error: { kind: 'other', message: 5 } }, 'invalid expression result: error.message: expected a message, got 5'],
  ])('%s', (_what, result, message) => {
    expect(messageOf(() => parseExprResult(result))).toBe(message);
  });

  it('reads a result without its case, and checks one against a case with two gradients', () => {
    expect(parseExprResult({ value, grads: {} }).grads).toEqual({});
    const two = { ...expr, inputs: { ...expr.inputs, y: { ...expr.inputs.y, requiresGrad: true } } };
    expect(parseExprResult({ value, grads: { x: null, y: [1, 1, 1] } }, two).grads).toEqual({ x: null, y: [1, 1, 1] });
  });

  it('reports the case\'s own graph problem rather than failing', () => {
    const broken = { ...expr, graph: { op: 'input', name: 'z' } } as ExprCase;
    expect(messageOf(() => parseExprResult({ value, grads: { x: null } }, broken))).toBe("invalid expression result: graph.name: no input named 'z' (inputs: x, y)");
  });

  it('names a snapshot that is not an object of values', () => {
    expect(messageOf(() => parseTrainResult({ losses: [], grads: [], params: [5] }))).toBe('invalid training result: params[0]: expected an object of values by parameter name, got 5');
  });
});

describe('case schema: cross-field checks wait for the fields', () => {
  it('a tensor that does not fill its shape hides the seed check', () => {
    const c = { ...expr, inputs: { ...expr.inputs, y: { shape: [3], data: [1], requiresGrad: false } }, graph: { op: 'input', name: 'x' } };
    expect(messageOf(() => parseExprCase(c))).toBe('invalid expression case: inputs.y.data: 1 values for shape [3] (3 needed)');
  });
});
