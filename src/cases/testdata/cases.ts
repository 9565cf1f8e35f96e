/** Small valid cases that the schema tests corrupt one field at a time. */
import type { ExprCase, TrainCase } from '../types.ts';

/** A one-layer model 3 → 2: 0.weight is [2, 3] (6 values), 0.bias is [2]. */
export const train: TrainCase = {
  kind: 'train',
  version: 1,
  model: { inputSize: 3, layers: [{ outFeatures: 2, activation: 'relu' }] },
  init: { '0.weight': [1, 2, 3, 4, 5, 6], '0.bias': [0, -0] },
  data: { x: [[1, 2, 3]], y: [[1, 2]] },
  loss: { kind: 'mse', reduction: 'mean' },
  penalty: { recipe: 'half-pow-sum', lambda: 0.5, select: 'all', sign: 'add' },
  optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, maximize: false, weightDecay: 0 },
  steps: 2,
  zeroGrad: true,
};

export const expr: ExprCase = {
  kind: 'expr',
  version: 1,
  inputs: { x: { shape: [2, 3], data: [1, 2, 3, 4, 5, 6], requiresGrad: true }, y: { shape: [3], data: [1, 1, 1], requiresGrad: false } },
  graph: { op: 'sum', args: [{ op: 'mul', args: [{ op: 'input', name: 'x' }, { op: 'input', name: 'y' }] }] },
};
