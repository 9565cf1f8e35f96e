/**
 * fast-check arbitraries for cases: models, parameters, data and optimizer settings. Every number
 * is drawn in the backend's dtype (arbitrariesFor), so a float32 backend is only ever fed values
 * float32 represents exactly and the expectations are computed at those very values.
 */
import fc from 'fast-check';
import type { Backend, Capability, Dtype } from '../backends/backend.ts';
import { CASE_VERSION, type Activation, type ModelSpec, type OptimizerSpec, type SGDSpec, type TrainCase } from './types.ts';
import { outputSize, parameterShapes } from './model.ts';

export const activationArb: fc.Arbitrary<Activation> = fc.constantFrom('relu', 'tanh', 'identity');

/** 1–3 layers of width 1–8 with ReLU, Tanh or no activation. */
export const modelSpecArb: fc.Arbitrary<ModelSpec> = fc.record({
  inputSize: fc.integer({ min: 1, max: 8 }),
  layers: fc.array(fc.record({ outFeatures: fc.integer({ min: 1, max: 8 }), activation: activationArb }), { minLength: 1, maxLength: 3 }),
});

export interface TrainCaseArbOptions<O extends OptimizerSpec> {
  model?: fc.Arbitrary<ModelSpec>;
  optimizer?: fc.Arbitrary<O>;
  steps?: fc.Arbitrary<number>;
  value?: fc.Arbitrary<number>;
  /** Also make whole parameter tensors exactly zero, one time in four: the singular point of norm. */
  zeroTensors?: boolean;
}

export interface Arbitraries {
  readonly dtype: Dtype;
  /** A number in [min, max] that the dtype represents exactly (no NaN). */
  num(min: number, max: number): fc.Arbitrary<number>;
  /** Whether the backend these arbitraries were made for supports an SGD option ('momentum', 'weightDecay', ...); true without a backend. */
  supports(option: string): boolean;
  /** The nearest number the dtype represents, for values a claim computes before feeding them. */
  round(x: number): number;
  /** A value in [−2, 2]; exact zeros of both signs are generated on purpose, since they are the kinks. */
  readonly value: fc.Arbitrary<number>;
  /**
   * Values whose squares stay in the dtype's normal range (or exact zeros): norm-based gradients
   * lose their accuracy when Σw² underflows, a real effect that claims on them state as a precondition.
   */
  readonly normalRangeValue: fc.Arbitrary<number>;
  /**
   * λ away from underflow: the 0.5·λ of the penalty must be exact for the bit-identity claims, and it
   * stops being exact for subnormal λ, so λ is 0 or at least 1e-6.
   */
  readonly lambda: fc.Arbitrary<number>;
  readonly positiveLambda: fc.Arbitrary<number>;
  readonly lr: fc.Arbitrary<number>;
  values(length: number, value?: fc.Arbitrary<number>): fc.Arbitrary<number[]>;
  matrix(rows: number, cols: number, value?: fc.Arbitrary<number>): fc.Arbitrary<number[][]>;
  /** Initial values for every parameter of the spec, keyed by name; with zeroTensors, some tensors are all zeros. */
  init(spec: ModelSpec, value?: fc.Arbitrary<number>, zeroTensors?: boolean): fc.Arbitrary<Record<string, number[]>>;
  /**
   * Every momentum/dampening/nesterov/maximize setting PyTorch accepts (nesterov needs momentum > 0
   * and dampening 0), limited to the options the backend supports when it was given one.
   */
  sgd(options?: { maximize?: fc.Arbitrary<boolean> }): fc.Arbitrary<SGDSpec>;
  /** A training case without a penalty: a model, its initial parameters, data, MSE, an optimizer (SGD unless given) and 1–20 steps. */
  trainCase(options?: TrainCaseArbOptions<SGDSpec>): fc.Arbitrary<TrainCase<SGDSpec>>;
  trainCase<O extends OptimizerSpec>(options: TrainCaseArbOptions<O> & { optimizer: fc.Arbitrary<O> }): fc.Arbitrary<TrainCase<O>>;
}

/** The smallest magnitude whose square is still a normal number, with margin for sums of up to 64 terms. */
const NORMAL_SQUARE_FLOOR: Record<Dtype, number> = { float64: 1e-100, float32: 1e-15 };

function build(dtype: Dtype, capabilities: ReadonlySet<Capability> | null): Arbitraries {
  const supports = (option: string) => capabilities === null || capabilities.has(`sgd:${option}`);
  const num = (min: number, max: number): fc.Arbitrary<number> =>
    dtype === 'float64'
      ? fc.double({ min, max, noNaN: true, noDefaultInfinity: true })
      : fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true });
  const value = fc.oneof({ weight: 8, arbitrary: num(-2, 2) }, { weight: 1, arbitrary: fc.constantFrom(0, -0) });
  const normalRangeValue = fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(0, -0) },
    { weight: 8, arbitrary: fc.tuple(num(NORMAL_SQUARE_FLOOR[dtype], 2), fc.boolean()).map(([m, neg]) => (neg ? -m : m)) },
  );
  const positiveLambda = num(1e-6, 2);
  const lambda = fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 9, arbitrary: positiveLambda });
  const lr = num(1e-4, 0.5);
  const values = (length: number, v: fc.Arbitrary<number> = value) => fc.array(v, { minLength: length, maxLength: length });
  const matrix = (rows: number, cols: number, v: fc.Arbitrary<number> = value) => fc.array(values(cols, v), { minLength: rows, maxLength: rows });
  const init = (spec: ModelSpec, v: fc.Arbitrary<number> = value, zeroTensors = false) =>
    fc.record(
      Object.fromEntries(
        parameterShapes(spec).map(({ name, shape }) => {
          const n = shape.reduce((a, b) => a * b, 1);
          return [name, zeroTensors ? fc.oneof({ weight: 3, arbitrary: values(n, v) }, { weight: 1, arbitrary: fc.constant(new Array<number>(n).fill(0)) }) : values(n, v)];
        }),
      ),
    );
  const sgd = (options: { maximize?: fc.Arbitrary<boolean> } = {}): fc.Arbitrary<SGDSpec> =>
    fc
      .record({
        lr,
        momentum: supports('momentum') ? fc.oneof(fc.constant(0), num(0, 0.99)) : fc.constant(0),
        dampening: supports('dampening') ? fc.oneof(fc.constant(0), num(0, 1)) : fc.constant(0),
        maximize: options.maximize ?? (supports('maximize') ? fc.boolean() : fc.constant(false)),
      })
      .chain((o) => (o.momentum > 0 && o.dampening === 0 && supports('nesterov') ? fc.boolean() : fc.constant(false)).map((nesterov): SGDSpec => ({ kind: 'sgd', ...o, nesterov, weightDecay: 0 })));
  const trainCase = (options: TrainCaseArbOptions<OptimizerSpec> = {}): fc.Arbitrary<TrainCase> =>
    (options.model ?? modelSpecArb).chain((model) =>
      fc
        .record({
          init: init(model, options.value, options.zeroTensors),
          batch: fc.integer({ min: 1, max: 6 }),
          reduction: fc.constantFrom<'mean' | 'sum'>('mean', 'sum'),
          optimizer: options.optimizer ?? sgd(),
          steps: options.steps ?? fc.integer({ min: 1, max: 20 }),
        })
        .chain(({ init: initial, batch, reduction, optimizer, steps }) =>
          fc.record({ x: matrix(batch, model.inputSize), y: matrix(batch, outputSize(model)) }).map(
            (data): TrainCase => ({ kind: 'train', version: CASE_VERSION, model, init: initial, data, loss: { kind: 'mse', reduction }, penalty: null, optimizer, steps, zeroGrad: true }),
          ),
        ),
    );
  const round = dtype === 'float64' ? (x: number) => x : Math.fround;
  return { dtype, num, supports, round, value, normalRangeValue, lambda, positiveLambda, lr, values, matrix, init, sgd, trainCase: trainCase as Arbitraries['trainCase'] };
}

const BY_DTYPE: Record<Dtype, Arbitraries> = { float64: build('float64', null), float32: build('float32', null) };

/**
 * The arbitraries for a dtype, or for a backend: then also SGD settings limited to the options it
 * supports, so a backend without, say, dampening is still checked on everything else.
 */
export function arbitrariesFor(target: Dtype | Pick<Backend, 'dtype' | 'capabilities'>): Arbitraries {
  const dtype = typeof target === 'string' ? target : target.dtype;
  if (BY_DTYPE[dtype] === undefined) throw new RangeError(`arbitrariesFor: unknown dtype '${String(dtype)}'`);
  return typeof target === 'string' ? BY_DTYPE[dtype] : build(dtype, target.capabilities);
}

const f64 = BY_DTYPE.float64;
export const valueArb = f64.value;
export const normalRangeValueArb = f64.normalRangeValue;
export const lambdaArb = f64.lambda;
export const positiveLambdaArb = f64.positiveLambda;
export const lrArb = f64.lr;
export const valuesArb = f64.values;
export const matrixArb = f64.matrix;
export const initArb = f64.init;
export const sgdArb = f64.sgd;
export const trainCaseArb = f64.trainCase;
