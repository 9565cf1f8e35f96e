/** fast-check arbitraries for cases: models, parameters, data and optimizer settings. */
import fc from 'fast-check';
import { CASE_VERSION, type Activation, type ModelSpec, type SGDSpec, type TrainCase } from './types.ts';
import { outputSize, parameterShapes } from './model.ts';

export const activationArb: fc.Arbitrary<Activation> = fc.constantFrom('relu', 'tanh', 'identity');

/** 1–3 layers of width 1–8 with ReLU, Tanh or no activation. */
export const modelSpecArb: fc.Arbitrary<ModelSpec> = fc.record({
  inputSize: fc.integer({ min: 1, max: 8 }),
  layers: fc.array(fc.record({ outFeatures: fc.integer({ min: 1, max: 8 }), activation: activationArb }), { minLength: 1, maxLength: 3 }),
});

/** A value in [−2, 2]; exact zeros of both signs are generated on purpose, since they are the kinks. */
export const valueArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0) },
);

/**
 * Values whose squares stay in float64's normal range (or exact zeros): norm-based gradients
 * lose their accuracy when Σw² underflows, a real effect that claims on them state as a precondition.
 */
export const normalRangeValueArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(0, -0) },
  { weight: 8, arbitrary: fc.tuple(fc.double({ min: 1e-100, max: 2, noNaN: true }), fc.boolean()).map(([m, neg]) => (neg ? -m : m)) },
);

export const valuesArb = (length: number, value: fc.Arbitrary<number> = valueArb): fc.Arbitrary<number[]> =>
  fc.array(value, { minLength: length, maxLength: length });

export const matrixArb = (rows: number, cols: number): fc.Arbitrary<number[][]> =>
  fc.array(valuesArb(cols), { minLength: rows, maxLength: rows });

/** Initial values for every parameter of the spec, keyed by name. */
export function initArb(spec: ModelSpec, value: fc.Arbitrary<number> = valueArb): fc.Arbitrary<Record<string, number[]>> {
  const entries = parameterShapes(spec).map(({ name, shape }) => [name, valuesArb(shape.reduce((a, b) => a * b, 1), value)] as const);
  return fc.record(Object.fromEntries(entries));
}

/**
 * λ away from underflow: the 0.5·λ of the penalty must be exact for the bit-identity claims, and it
 * stops being exact for subnormal λ (a real effect, tested separately), so λ is 0 or at least 1e-6.
 */
export const lambdaArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 9, arbitrary: fc.double({ min: 1e-6, max: 2, noNaN: true }) },
);

export const positiveLambdaArb: fc.Arbitrary<number> = fc.double({ min: 1e-6, max: 2, noNaN: true });

export const lrArb: fc.Arbitrary<number> = fc.double({ min: 1e-4, max: 0.5, noNaN: true });

/** Every momentum/dampening/nesterov setting PyTorch accepts (nesterov needs momentum > 0 and dampening 0). */
export function sgdArb(options: { maximize?: fc.Arbitrary<boolean> } = {}): fc.Arbitrary<SGDSpec> {
  const momentum = fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.99, noNaN: true }));
  const dampening = fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true }));
  return fc
    .record({ lr: lrArb, momentum, dampening, maximize: options.maximize ?? fc.boolean() })
    .chain((o) =>
      (o.momentum > 0 && o.dampening === 0 ? fc.boolean() : fc.constant(false)).map(
        (nesterov): SGDSpec => ({ kind: 'sgd', ...o, nesterov, weightDecay: 0 }),
      ),
    );
}

export interface TrainCaseArbOptions {
  model?: fc.Arbitrary<ModelSpec>;
  optimizer?: fc.Arbitrary<SGDSpec>;
  steps?: fc.Arbitrary<number>;
  value?: fc.Arbitrary<number>;
}

/** A training case without a penalty: a model, its initial parameters, data, MSE, SGD and 1–20 steps. */
export function trainCaseArb(options: TrainCaseArbOptions = {}): fc.Arbitrary<TrainCase> {
  return (options.model ?? modelSpecArb).chain((model) =>
    fc.record({
      init: initArb(model, options.value),
      batch: fc.integer({ min: 1, max: 6 }),
      reduction: fc.constantFrom<'mean' | 'sum'>('mean', 'sum'),
      optimizer: options.optimizer ?? sgdArb(),
      steps: options.steps ?? fc.integer({ min: 1, max: 20 }),
    }).chain(({ init, batch, reduction, optimizer, steps }) =>
      fc.record({ x: matrixArb(batch, model.inputSize), y: matrixArb(batch, outputSize(model)) }).map(
        (data): TrainCase => ({
          kind: 'train',
          version: CASE_VERSION,
          model,
          init,
          data,
          loss: { kind: 'mse', reduction },
          penalty: null,
          optimizer,
          steps,
          zeroGrad: true,
        }),
      ),
    ),
  );
}
