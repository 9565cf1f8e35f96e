/**
 * Training cases that drive one piece of a backend's training loop at a time: a Linear layer over
 * a batch, the MSE loss, and the optimizer's options, from given initial values.
 */
import fc from 'fast-check';
import type { Backend } from '../../src/backends/backend.ts';
import { arbitrariesFor } from '../../src/cases/arbitraries.ts';
import { parameterShapes } from '../../src/cases/model.ts';
import { CASE_VERSION, type Activation, type OptimizerSpec, type TrainCase } from '../../src/cases/types.ts';

export const reductionsOf = (backend: Backend): ('mean' | 'sum')[] => (['mean', 'sum'] as const).filter((r) => backend.capabilities.has(`loss:mse:${r}`));

/**
 * Parameters and data: eighths in [−2, 2] first (a failing case shrinks toward them), else a
 * number of the dtype at least 2^-20 in magnitude. Subnormal values are left out: an optimizer's
 * state built from them (Adam's m = (1 − β1)·g) carries an absolute rounding that its division by
 * eps amplifies a hundred-million-fold, a property of the dtype rather than of the rule.
 */
function valueArb(backend: Backend): fc.Arbitrary<number> {
  const A = arbitrariesFor(backend);
  const readable = fc.integer({ min: -16, max: 16 }).map((k) => k / 8);
  const any = fc.tuple(A.num(2 ** -20, 2), fc.boolean()).map(([m, neg]) => (neg ? -m : m));
  return fc.oneof({ withCrossShrink: true }, readable, any);
}

/** Linear layers (identity, or ReLU where the backend declares act:relu), a batch of 1–5 rows, one optimizer, `steps` steps. */
export function layerCaseArb<O extends OptimizerSpec>(
  backend: Backend,
  optimizer: fc.Arbitrary<O>,
  steps: number,
  reductions: ('mean' | 'sum')[],
): fc.Arbitrary<TrainCase<O>> {
  const A = arbitrariesFor(backend);
  const value = valueArb(backend);
  const activations: Activation[] = backend.capabilities.has('act:relu') ? ['identity', 'relu'] : ['identity'];
  const model = fc.record({
    inputSize: fc.integer({ min: 1, max: 4 }),
    layers: fc.array(fc.record({ outFeatures: fc.integer({ min: 1, max: 4 }), activation: fc.constantFrom(...activations) }), { minLength: 1, maxLength: 2 }),
  });
  return model.chain((spec) => {
    const out = spec.layers[spec.layers.length - 1].outFeatures;
    return fc
      .record({
        init: fc.record(Object.fromEntries(parameterShapes(spec).map(({ name, shape }) => [name, A.values(shape.reduce((a, b) => a * b, 1), value)]))),
        batch: fc.integer({ min: 1, max: 5 }),
        reduction: fc.constantFrom(...reductions),
        optimizer,
      })
      .chain(({ init, batch, reduction, optimizer: o }) =>
        fc.record({ x: A.matrix(batch, spec.inputSize, value), y: A.matrix(batch, out, value) }).map(
          (data): TrainCase<O> => {
            const loss = { kind: 'mse' as const, reduction };
            return { kind: 'train', version: CASE_VERSION, model: spec, init, data, loss, penalty: null, optimizer: o, steps, zeroGrad: true };
          },
        ),
      );
  });
}

/** A plain SGD step: what a case needs when the claim is about the gradients, not the update. */
export const plainSgdArb = (backend: Backend) =>
  arbitrariesFor(backend).lr.map((lr) => ({ kind: 'sgd' as const, lr, momentum: 0, dampening: 0, nesterov: false, maximize: false, weightDecay: 0 }));
