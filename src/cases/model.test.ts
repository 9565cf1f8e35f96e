import { describe, expect, it } from 'vitest';
import { outputSize, parameterShapes } from './model.ts';
import type { ModelSpec } from './types.ts';

describe('model parameters', () => {
  it('are named as nn.Sequential names them: an activation module takes an index, identity none', () => {
    // Sequential(Linear(3, 4), ReLU(), Linear(4, 2), Linear(2, 5), Tanh()): modules 0, 2, 3 are the Linears.
    const spec: ModelSpec = { inputSize: 3, layers: [{ outFeatures: 4, activation: 'relu' }, { outFeatures: 2, activation: 'identity' }, { outFeatures: 5, activation: 'tanh' }] };
    expect(parameterShapes(spec)).toEqual([
      { name: '0.weight', shape: [4, 3] },
      { name: '0.bias', shape: [4] },
      { name: '2.weight', shape: [2, 4] },
      { name: '2.bias', shape: [2] },
      { name: '3.weight', shape: [5, 2] },
      { name: '3.bias', shape: [5] },
    ]);
    expect(outputSize(spec)).toBe(5);
  });
});
