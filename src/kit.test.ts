/** The adapter kit is enough to write a backend: parse a case, build its model, answer in protocol JSON. */
import { describe, expect, it } from 'vitest';
import * as kit from './kit.ts';

const c = {
  kind: 'train', version: 1,
  model: { inputSize: 2, layers: [{ outFeatures: 1, activation: 'relu' }] },
  init: { '0.weight': [0.5, -0.25], '0.bias': [-0] },
  data: { x: [[1, 2]], y: [[1]] },
  loss: { kind: 'mse', reduction: 'mean' },
  penalty: null,
  optimizer: { kind: 'sgd', lr: 0.1, momentum: 0, dampening: 0, nesterov: false, maximize: false, weightDecay: 0 },
  steps: 1, zeroGrad: true,
};

describe('the adapter kit', () => {
  it('parses a case, builds its model with the case\'s parameters, and names the capabilities it uses', () => {
    const parsed = kit.parseCase(kit.decodeJson(kit.encodeJson(c)));
    if (parsed.kind !== 'train') throw new Error('expected a training case');
    const model = kit.buildModel(parsed.model);
    const named = [...model.namedParameters()];
    kit.loadParameters(named, parsed.init);
    expect(named.map(([name, p]) => [name, Array.from(p.data)])).toEqual([['0.weight', [0.5, -0.25]], ['0.bias', [-0]]]);
    expect([...kit.caseCapabilities(parsed)].sort()).toEqual(['act:relu', 'layer:linear', 'loss:mse:mean', 'optimizer:sgd']);
  });

  it('rejects a malformed case with a message that points at the field', () => {
    expect(() => kit.parseCase({ ...c, steps: -1 })).toThrow(/steps/);
  });

  it('validates a result against its case', () => {
    const parsed = kit.parseTrainCase(c);
    expect(() => kit.parseTrainResult({ losses: [], grads: [], params: [] }, parsed)).toThrow();
  });

  it('exports the errors a backend throws', () => {
    expect(new kit.CaseDeclined('too big')).toBeInstanceOf(Error);
    expect(new kit.BackendError('crashed').name).toBe('BackendError');
  });
});
