import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CASE_VERSION, type ExprCase, type TrainCase } from '../cases/types.ts';
import { ARITH_PYTORCH, ARITH_REFERENCE, caseCapabilities, everyCapability, missingCapabilities, OPTIMIZER_OPTIONS } from './capabilities.ts';
import { referenceBackend } from './reference.ts';

const train: TrainCase = {
  kind: 'train',
  version: CASE_VERSION,
  model: { inputSize: 1, layers: [{ outFeatures: 2, activation: 'tanh' }, { outFeatures: 1, activation: 'identity' }] },
  init: { '0.weight': [1, 2], '0.bias': [0, 0], '2.weight': [1, 1], '2.bias': [0] },
  data: { x: [[1]], y: [[0]] },
  loss: { kind: 'mse', reduction: 'sum' },
  penalty: { recipe: 'l1', lambda: 0.5, select: 'all', sign: 'add' },
  optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, maximize: false, weightDecay: 0 },
  groups: [{ select: 'weights', weightDecay: 0.5 }, { select: 'biases', weightDecay: 0 }],
  steps: 1,
  zeroGrad: false,
};

const expr = (graph: ExprCase['graph'], backward?: ExprCase['backward']): ExprCase => ({
  kind: 'expr', version: CASE_VERSION, inputs: { w: { shape: [1], data: [1], requiresGrad: true } }, graph, backward,
});
const w = { op: 'input', name: 'w' } as const;

describe('caseCapabilities', () => {
  it('names every feature of a training case, and only the options switched on', () => {
    expect([...caseCapabilities(train)].sort()).toEqual(
      ['act:tanh', 'layer:linear', 'loss:mse:sum', 'optimizer:sgd', 'recipe:l1', 'sgd:momentum', 'sgd:nesterov', 'sgd:weightDecay', 'train:groups', 'train:noZeroGrad'].sort(),
    );
    const plain = { ...train, groups: undefined, penalty: null, zeroGrad: true, optimizer: { ...train.optimizer, momentum: 0, nesterov: false } };
    expect([...caseCapabilities(plain)].sort()).toEqual(['act:tanh', 'layer:linear', 'loss:mse:sum', 'optimizer:sgd']);
  });

  it('names the ops of an expression and the graph features its backward plan needs', () => {
    const saving = { op: 'sum', args: [{ op: 'tanh', args: [w] }] } as ExprCase['graph'];
    const plain = { op: 'sum', args: [{ op: 'neg', args: [w] }] } as ExprCase['graph'];
    expect([...caseCapabilities(expr(saving))].sort()).toEqual(['op:sum', 'op:tanh']);
    expect([...caseCapabilities(expr(saving, { times: 2, retainGraph: false }))].sort()).toEqual(['graph:accumulates', 'graph:releasesSaved', 'op:sum', 'op:tanh']);
    expect([...caseCapabilities(expr(plain, { times: 2, retainGraph: false }))].sort()).toEqual(['graph:accumulates', 'op:neg', 'op:sum']);
    expect([...caseCapabilities(expr(plain, { times: 2, retainGraph: true }))].sort()).toEqual(['graph:accumulates', 'graph:retainGraph', 'op:neg', 'op:sum']);
  });

  it('every option of every optimizer has a name the reference declares', () => {
    const reference = referenceBackend().capabilities;
    for (const [kind, options] of Object.entries(OPTIMIZER_OPTIONS)) for (const option of Object.keys(options)) expect(reference.has(`${kind}:${option}`)).toBe(true);
    expect(everyCapability().every((c) => reference.has(c))).toBe(true);
  });
});

describe('requirements', () => {
  it('an alternative is met by any one of its names; a plain name only by itself', () => {
    const caps = new Set(['op:mul', 'layer:linear']);
    expect(missingCapabilities(caps, ['op:square|op:pow|op:mul', 'layer:linear', 'op:sum', 'loss:mse:mean|loss:mse:sum'])).toEqual(['op:sum', 'loss:mse:mean|loss:mse:sum']);
  });
});

describe('docs/protocol.md', () => {
  it('names every capability other than the per-op and per-recipe ones, which it gives as patterns', () => {
    const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
    const named = [...everyCapability(), ARITH_REFERENCE, ARITH_PYTORCH].filter((c) => !c.startsWith('op:') && !c.startsWith('recipe:'));
    expect(named.filter((c) => !doc.includes(`\`${c}\``))).toEqual([]);
    expect(doc).toContain('`op:<name>`');
    expect(doc).toContain('`recipe:<id>`');
  });
});
