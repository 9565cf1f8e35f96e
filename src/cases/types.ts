/**
 * The case protocol: plain data that any backend can run. An expression case asks for a value and
 * gradients of an op tree; a training case asks for a whole (short) training run.
 */
import type { OpName } from '../engine/index.ts';

export const CASE_VERSION = 1;

export interface TensorValue {
  shape: number[];
  data: number[];
}

export type ExprNode =
  | { op: 'input'; name: string }
  | { op: 'const'; value: number }
  | { op: OpName; args: ExprNode[]; attrs?: Record<string, number | boolean | number[] | null> };

export interface ExprCase {
  kind: 'expr';
  version: typeof CASE_VERSION;
  inputs: Record<string, TensorValue & { requiresGrad: boolean }>;
  graph: ExprNode;
  /** The upstream gradient; omitted for a one-element output (then 1). */
  seed?: number[];
  /** How many times to call backward, and whether the first call keeps the graph. */
  backward?: { times: 1 | 2; retainGraph: boolean };
}

export interface ExprResult {
  value: TensorValue;
  /** Gradient of each input that requires grad (null when backward never reached it). */
  grads: Record<string, number[] | null>;
  /** Set when backward failed; `kind` says why in a backend-independent way. */
  error?: { kind: 'graph-released' | 'other'; message: string };
}

export type Activation = 'relu' | 'tanh' | 'identity';

export interface ModelSpec {
  inputSize: number;
  /** Each layer is a Linear followed by its activation (identity adds no module). */
  layers: { outFeatures: number; activation: Activation }[];
}

/** Which parameters a penalty or a parameter group covers, by name: `*.weight` or `*.bias`. */
export type ParamSelect = 'all' | 'weights' | 'biases';

export interface PenaltySpec {
  recipe: string;
  lambda: number;
  select: ParamSelect;
  /** 'subtract' for an objective that is maximized. */
  sign: 'add' | 'subtract';
  /** The arbitrary start value of an accumulator leaf (the uninitialised-tensor recipe). */
  start?: number;
}

export interface SGDSpec {
  kind: 'sgd';
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  maximize: boolean;
  weightDecay: number;
}

/**
 * SGD with decoupled weight decay: p ← p·(1 − lr·weightDecay) before the SGD step, AdamW's
 * convention applied to SGD. PyTorch 1.13 has no such optimizer; it is the other side of the
 * decoupled-versus-coupled claims.
 */
export type SGDWSpec = Omit<SGDSpec, 'kind'> & { kind: 'sgdw' };

/** torch.optim.Adam; weightDecay is coupled (added to the gradient). betas are [β1, β2], each in [0, 1). */
export interface AdamSpec {
  kind: 'adam';
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/** torch.optim.AdamW; weightDecay is decoupled: p ← p·(1 − lr·weightDecay) before the Adam step. */
export type AdamWSpec = Omit<AdamSpec, 'kind'> & { kind: 'adamw' };

/** torch.optim.RMSprop; weightDecay is coupled. */
export interface RMSpropSpec {
  kind: 'rmsprop';
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

/** torch.optim.Adagrad (lr_decay, initial_accumulator_value); weightDecay is coupled. */
export interface AdagradSpec {
  kind: 'adagrad';
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

export type OptimizerSpec = SGDSpec | SGDWSpec | AdamSpec | AdamWSpec | RMSpropSpec | AdagradSpec;

export interface GroupSpec {
  select: Exclude<ParamSelect, 'all'>;
  weightDecay: number;
}

/** A training case; O narrows the optimizer for code that builds cases of one kind. */
export interface TrainCase<O extends OptimizerSpec = OptimizerSpec> {
  kind: 'train';
  version: typeof CASE_VERSION;
  model: ModelSpec;
  /** Initial values of every parameter, flattened row-major, keyed by PyTorch-style name. */
  init: Record<string, number[]>;
  data: { x: number[][]; y: number[][] };
  loss: { kind: 'mse'; reduction: 'mean' | 'sum' };
  penalty: PenaltySpec | null;
  optimizer: O;
  /** Parameter groups by name; absent means one group with the optimizer's options. */
  groups?: GroupSpec[];
  steps: number;
  /** false reproduces code that never zeroes the gradients, so they accumulate across steps. */
  zeroGrad: boolean;
}

export interface TrainResult {
  /** The total objective (data loss with the penalty) at each step, before the update. */
  losses: number[];
  /** The gradient each parameter held when the optimizer stepped, per step. */
  grads: Record<string, number[]>[];
  /** Every parameter after each step. */
  params: Record<string, number[]>[];
}
