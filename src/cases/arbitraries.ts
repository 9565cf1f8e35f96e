/**
 * fast-check arbitraries for cases: models, parameters, data and optimizer settings. Every number
 * is drawn in the backend's dtype (arbitrariesFor), so a float32 backend is only ever fed values
 * float32 represents exactly and the expectations are computed at those very values. Made for a
 * backend, they draw only what its capabilities declare (src/backends/capabilities.ts): its
 * activations, loss reductions, optimizer options. Numbers shrink toward readable values (small
 * multiples of 1/8) and never to subnormals, so a gross bug shrinks to a counterexample that looks
 * gross.
 */
import fc from 'fast-check';
import type { Backend, Capability, Dtype } from '../backends/backend.ts';
import { ACT_RELU, ACT_TANH, LOSS_MSE_MEAN, LOSS_MSE_SUM, optionCapability, type OptimizerKind } from '../backends/capabilities.ts';
import { CASE_VERSION, type Activation, type ModelSpec, type OptimizerSpec, type SGDSpec, type TrainCase } from './types.ts';
import { doubleInRange } from './double.ts';
import { outputSize, parameterShapes } from './model.ts';

export type Reduction = TrainCase['loss']['reduction'];

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
  /** Whether the backend these arbitraries were made for declares a capability; true without a backend. */
  has(capability: Capability): boolean;
  /** Whether the backend supports an optimizer's option ('momentum', 'amsgrad', ...); SGD's unless a kind is given. */
  supports(option: string, kind?: OptimizerKind): boolean;
  /** A number in [min, max] that the dtype represents exactly (no NaN, no subnormal), shrinking toward multiples of 1/8. */
  num(min: number, max: number): fc.Arbitrary<number>;
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
  /** The activations the backend declares (identity always). */
  readonly activations: readonly Activation[];
  /** The loss reductions the backend declares; empty when it has none (then no training case can be made). */
  readonly reductions: readonly Reduction[];
  /** 1–3 Linear layers of width 1–8, each followed by a declared activation or none. */
  model(options?: { activations?: readonly Activation[]; maxWidth?: number }): fc.Arbitrary<ModelSpec>;
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

/** The smallest normal number of each dtype: generated values below it are flushed to zero. */
const SMALLEST_NORMAL: Record<Dtype, number> = { float64: 2 ** -1022, float32: 2 ** -126 };

/** Readable values are multiples of 1/READABLE: exact in both dtypes and easy to read in a counterexample. */
const READABLE = 8;

/**
 * What `make` made for a key, made on its first call: fast-check's arbitraries are immutable, so
 * one made once serves every later call with the same arguments, such as a case's chain that asks
 * for its parts again for each case it draws.
 */
function once<K, T>(made: { get(key: K): T | undefined; set(key: K, value: T): unknown }, key: K, make: () => T): T {
  let m = made.get(key);
  if (m === undefined) {
    m = make();
    made.set(key, m);
  }
  return m;
}

/** once, for arbitraries made from another one (the value arbitrary a caller gives). */
function onceFor<K extends object, T>(made: WeakMap<K, Map<string, T>>, owner: K, key: string, make: () => T): T {
  let forOwner = made.get(owner);
  if (forOwner === undefined) {
    forOwner = new Map();
    made.set(owner, forOwner);
  }
  return once(forOwner, key, make);
}

/** A number as a key, −0 apart from 0. */
const numberKey = (x: number) => (Object.is(x, -0) ? '-0' : String(x));

const f32 = new Float32Array(1);
const bits = new Int32Array(f32.buffer);

/** The float32 nearest x on the inward side (`inward` 1 rounds up, −1 down), so a float32 range stays within [min, max]. */
function float32Within(x: number, inward: 1 | -1): number {
  f32[0] = x;
  if (f32[0] === x || Math.sign(f32[0] - x) === inward) return f32[0];
  bits[0] += Math.sign(f32[0] || inward) * inward;
  return f32[0];
}

interface DrawnParts {
  batch: number;
  reduction: Reduction;
  optimizer: OptimizerSpec;
  steps: number;
}

function build(dtype: Dtype, capabilities: ReadonlySet<Capability> | null): Arbitraries {
  const has = (capability: Capability) => capabilities === null || capabilities.has(capability);
  const supports = (option: string, kind: OptimizerKind = 'sgd') => has(optionCapability(kind, option));
  const full = (min: number, max: number): fc.Arbitrary<number> =>
    (dtype === 'float64'
      ? doubleInRange(min, max)
      : fc.float({ min: float32Within(min, 1), max: float32Within(max, -1), noNaN: true, noDefaultInfinity: true })
    ).map((x) => (Math.abs(x) < SMALLEST_NORMAL[dtype] && min <= 0 && max >= 0 ? x * 0 : x));
  const nums = new Map<string, fc.Arbitrary<number>>();
  const num = (min: number, max: number): fc.Arbitrary<number> =>
    once(nums, `${numberKey(min)} ${numberKey(max)}`, () => {
      const lo = Math.ceil(min * READABLE);
      const hi = Math.floor(max * READABLE);
      if (lo > hi) return full(min, max);
      // The readable branch comes first and withCrossShrink tries it first when shrinking, so a
      // failure that any simple value shows is reported with one.
      const readable = fc.integer({ min: lo, max: hi }).map((k) => k / READABLE);
      return fc.oneof({ withCrossShrink: true }, { weight: 1, arbitrary: readable }, { weight: 3, arbitrary: full(min, max) });
    });
  const value = fc.oneof({ withCrossShrink: true }, { weight: 8, arbitrary: num(-2, 2) }, { weight: 1, arbitrary: fc.constantFrom(0, -0) });
  const normalRangeValue = fc.oneof(
    { withCrossShrink: true },
    { weight: 8, arbitrary: fc.record({ magnitude: num(NORMAL_SQUARE_FLOOR[dtype], 2), negative: fc.boolean() }).map(({ magnitude, negative }) => (negative ? -magnitude : magnitude)) },
    { weight: 1, arbitrary: fc.constantFrom(0, -0) },
  );
  const positiveLambda = num(1e-6, 2);
  const lambda = fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 9, arbitrary: positiveLambda });
  const lr = num(1e-4, 0.5);
  const activations: Activation[] = ['identity', ...(has(ACT_RELU) ? ['relu' as const] : []), ...(has(ACT_TANH) ? ['tanh' as const] : [])];
  const reductions: Reduction[] = [...(has(LOSS_MSE_MEAN) ? ['mean' as const] : []), ...(has(LOSS_MSE_SUM) ? ['sum' as const] : [])];
  const model = (options: { activations?: readonly Activation[]; maxWidth?: number } = {}): fc.Arbitrary<ModelSpec> => {
    const allowed = (options.activations ?? activations).filter((a) => activations.includes(a));
    const width = fc.integer({ min: 1, max: options.maxWidth ?? 8 });
    // fc.record draws a boolean per object that gives it a null prototype about half the time. Each
    // record below is copied into a plain object, so that the code reading cases meets one hidden
    // class per kind of object instead of two; a copy draws nothing, so the cases are the same.
    const layer = fc.record({ outFeatures: width, activation: fc.constantFrom(...allowed) }).map(({ outFeatures, activation }) => ({ outFeatures, activation }));
    return fc.record({ inputSize: width, layers: fc.array(layer, { minLength: 1, maxLength: 3 }) }).map(({ inputSize, layers }) => ({ inputSize, layers }));
  };
  const valuesMade = new WeakMap<fc.Arbitrary<number>, Map<string, fc.Arbitrary<number[]>>>();
  const values = (length: number, v: fc.Arbitrary<number> = value) =>
    onceFor(valuesMade, v, String(length), () => fc.array(v, { minLength: length, maxLength: length }));
  const matricesMade = new WeakMap<fc.Arbitrary<number>, Map<string, fc.Arbitrary<number[][]>>>();
  const matrix = (rows: number, cols: number, v: fc.Arbitrary<number> = value) =>
    onceFor(matricesMade, v, `${rows} ${cols}`, () => fc.array(values(cols, v), { minLength: rows, maxLength: rows }));
  const initsMade = new WeakMap<fc.Arbitrary<number>, Map<string, fc.Arbitrary<Record<string, number[]>>>>();
  const init = (spec: ModelSpec, v: fc.Arbitrary<number> = value, zeroTensors = false) => {
    const shapes = parameterShapes(spec);
    const make = () =>
      fc
        .record(
          Object.fromEntries(
            shapes.map(({ name, shape }) => {
              const n = shape.reduce((a, b) => a * b, 1);
              const zeros = fc.constant(new Array<number>(n).fill(0));
              return [name, zeroTensors ? fc.oneof({ weight: 3, arbitrary: values(n, v) }, { weight: 1, arbitrary: zeros }) : values(n, v)];
            }),
          ),
        )
        .map((params) => ({ ...params }));
    // A constant gives the same array each time: the zero tensors' arbitrary is made afresh for
    // each spec, as it always was, so that no two cases share a zero tensor.
    return zeroTensors ? make() : onceFor(initsMade, v, shapes.map(({ name, shape }) => `${name}:${shape.join('x')}`).join(' '), make);
  };
  let defaultSgd: fc.Arbitrary<SGDSpec> | undefined;
  const sgd = (options: { maximize?: fc.Arbitrary<boolean> } = {}): fc.Arbitrary<SGDSpec> =>
    options.maximize === undefined ? (defaultSgd ??= makeSgd(options)) : makeSgd(options);
  const makeSgd = (options: { maximize?: fc.Arbitrary<boolean> }): fc.Arbitrary<SGDSpec> =>
    fc
      .record({
        lr,
        momentum: supports('momentum') ? fc.oneof(fc.constant(0), num(0, 0.99)) : fc.constant(0),
        dampening: supports('dampening') ? fc.oneof(fc.constant(0), num(0, 1)) : fc.constant(0),
        maximize: options.maximize ?? (supports('maximize') ? fc.boolean() : fc.constant(false)),
      })
      .chain((o) =>
        (o.momentum > 0 && o.dampening === 0 && supports('nesterov') ? fc.boolean() : fc.constant(false)).map(
          (nesterov): SGDSpec => ({ kind: 'sgd', ...o, nesterov, weightDecay: 0 }),
        ),
      );
  const trainCase = (options: TrainCaseArbOptions<OptimizerSpec> = {}): fc.Arbitrary<TrainCase> => {
    if (reductions.length === 0) throw new RangeError('trainCase: the backend declares no loss reduction (loss:mse:mean or loss:mse:sum)');
    // Made once, not in the chains: the parts a case draws besides its model, initial values and data.
    const parts: { [K in keyof DrawnParts]: fc.Arbitrary<DrawnParts[K]> } = {
      batch: fc.integer({ min: 1, max: 6 }),
      reduction: fc.constantFrom(...reductions),
      optimizer: options.optimizer ?? sgd(),
      steps: options.steps ?? fc.integer({ min: 1, max: 20 }),
    };
    const withParts = new WeakMap<fc.Arbitrary<Record<string, number[]>>, fc.Arbitrary<{ init: Record<string, number[]> } & DrawnParts>>();
    const data = new Map<string, fc.Arbitrary<TrainCase['data']>>();
    return (options.model ?? model()).chain((spec) => {
      const inits = init(spec, options.value, options.zeroTensors);
      return once(withParts, inits, () => fc.record({ init: inits, ...parts })).chain(({ init: initial, batch, reduction, optimizer, steps }) =>
        once(data, `${batch} ${spec.inputSize} ${outputSize(spec)}`, () => fc.record({ x: matrix(batch, spec.inputSize), y: matrix(batch, outputSize(spec)) })).map(
          ({ x, y }): TrainCase => ({
            kind: 'train', version: CASE_VERSION, model: spec, init: initial, data: { x, y }, loss: { kind: 'mse', reduction }, penalty: null, optimizer, steps, zeroGrad: true,
          }),
        ),
      );
    });
  };
  const round = dtype === 'float64' ? (x: number) => x : Math.fround;
  return {
    dtype, has, supports, num, round, value, normalRangeValue, lambda, positiveLambda, lr, activations, reductions,
    model, values, matrix, init, sgd, trainCase: trainCase as Arbitraries['trainCase'],
  };
}

const BY_DTYPE: Record<Dtype, Arbitraries> = { float64: build('float64', null), float32: build('float32', null) };
const BY_CAPABILITIES = new WeakMap<ReadonlySet<Capability>, Partial<Record<Dtype, Arbitraries>>>();

/**
 * The arbitraries for a dtype (drawing from every capability), or for a backend: then only from
 * what it declares, so a backend without, say, dampening is still checked on everything else.
 */
export function arbitrariesFor(target: Dtype | Pick<Backend, 'dtype' | 'capabilities'>): Arbitraries {
  const dtype = typeof target === 'string' ? target : target.dtype;
  if (BY_DTYPE[dtype] === undefined) throw new RangeError(`arbitrariesFor: unknown dtype '${String(dtype)}'`);
  if (typeof target === 'string') return BY_DTYPE[dtype];
  // Made once per capability set: some claims ask for them in a chain, once per case.
  const forSet = once(BY_CAPABILITIES, target.capabilities, (): Partial<Record<Dtype, Arbitraries>> => ({}));
  return (forSet[dtype] ??= build(dtype, target.capabilities));
}

const f64 = BY_DTYPE.float64;
export const modelSpecArb = f64.model();
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
