import type { Tensor, Variable } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Tfjs } from './tfjs-api.ts';

type Real = typeof import('@tensorflow/tfjs');
type Declared = Tfjs<Tensor, Variable>;
// Compile time: tsc --noEmit fails here when tfjs-api.ts declares a member that the real module
// lacks or types differently. One exception: tfjs declares momentum's applyGradients over variables
// (NamedVariableMap) where sgd's takes tensors, though both take the tensors that variableGrads
// returns, as tfjs's own examples pass them (tfjs.test.ts trains with momentum), so it is left out.
type Checked = Omit<Declared, 'train'> & { train: Pick<Declared['train'], 'sgd'> };
const conforms = (tf: Real): Checked => tf;

describe('tfjs-api', () => {
  it('is a view of the real module: every member it declares is there', async () => {
    const api = conforms(await import('@tensorflow/tfjs'));
    const declared = ['version', 'setBackend', 'ready', 'env', 'tidy', 'dispose', 'scalar', 'tensor', 'tensor2d', 'variable', 'neg', 'exp', 'log', 'sqrt', 'abs', 'sign', 'relu', 'tanh', 'square', 'transpose', 'pow', 'add', 'sub', 'mul', 'div', 'matMul', 'sum', 'mean', 'norm', 'reshape', 'valueAndGrads', 'variableGrads', 'losses', 'Reduction', 'train'] as const;
    for (const name of declared) expect(api[name], name).toBeDefined();
    expect(typeof api.train.sgd).toBe('function');
    expect(typeof (api as unknown as Declared).train.momentum).toBe('function');
    expect(typeof api.losses.meanSquaredError).toBe('function');
  });
});
