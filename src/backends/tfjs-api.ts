/**
 * The part of TensorFlow.js's API that the tfjs backend calls, typed here rather than imported:
 * `import type * as TF from '@tensorflow/tfjs'` made tsc read about 560 of tfjs's declaration
 * files on every build, half of all it read. tfjs-api.test.ts checks at compile time that the real
 * module is a Tfjs over its own tensor and variable types, so a signature written wrong here fails
 * `npm test`. The backend sees tensors only as tfjs hands them out, through TfTensor's members.
 */

export interface TfTensor {
  readonly shape: number[];
  dataSync(): ArrayLike<number> & Iterable<number>;
}

export interface TfVariable extends TfTensor {
  readonly name: string;
}

export interface TfOptimizer<T> {
  applyGradients(grads: Record<string, T>): void;
  dispose(): void;
}

type Unary<T> = (x: T) => T;
type Binary<T> = (a: T | number, b: T | number) => T;
type Reduce<T> = (x: T, axis?: number, keepDims?: boolean) => T;

/** tfjs over its tensor type T and its variable type V. */
export interface Tfjs<T extends TfTensor = TfTensor, V extends T & TfVariable = T & TfVariable> {
  readonly version: { readonly tfjs: string };
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  env(): { getBool(flag: string): boolean; set(flag: string, value: boolean): void };
  tidy(fn: () => T | void): unknown;
  dispose(tensors: T[]): void;

  scalar(value: number, dtype?: 'float32'): T;
  tensor(values: number[], shape: number[], dtype: 'float32'): T;
  tensor2d(values: number[][], shape: undefined, dtype: 'float32'): T;
  variable(initial: T, trainable: boolean): V;

  neg: Unary<T>;
  exp: Unary<T>;
  log: Unary<T>;
  sqrt: Unary<T>;
  abs: Unary<T>;
  sign: Unary<T>;
  relu: Unary<T>;
  tanh: Unary<T>;
  square: Unary<T>;
  transpose: Unary<T>;
  pow(base: T, exponent: number): T;
  add: Binary<T>;
  sub: Binary<T>;
  mul: Binary<T>;
  div: Binary<T>;
  matMul(a: T, b: T, transposeA?: boolean, transposeB?: boolean): T;
  sum: Reduce<T>;
  mean: Reduce<T>;
  norm(x: T, ord?: number): T;
  reshape(x: T, shape: number[]): T;

  valueAndGrads(f: (...args: T[]) => T): (args: T[], dy?: T) => { value: T; grads: T[] };
  variableGrads(f: () => T, varList: V[]): { value: T; grads: Record<string, T> };
  readonly losses: {
    meanSquaredError(labels: T, predictions: T, weights: undefined, reduction: number): T;
  };
  readonly Reduction: { readonly SUM: number; readonly SUM_BY_NONZERO_WEIGHTS: number };
  readonly train: {
    sgd(learningRate: number): TfOptimizer<T>;
    momentum(learningRate: number, momentum: number, useNesterov: boolean): TfOptimizer<T>;
  };
}
