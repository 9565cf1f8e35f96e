/**
 * The fixed training cases the teaching output runs, and the measurements it takes of them.
 * The network and sizes are the thread's own full example (N = 10, D_in = 5, H = 5, D_out = 1,
 * ReLU); the learning rate is larger than the thread's 1e-4 so that 40 steps visibly move the
 * weights. Every value comes from a fixed seed, so the output is the same on every run.
 */
import { buildModel, loadParameters, runTraining, type ReferenceOverrides } from '../backends/reference.ts';
import { Random, noGrad, tensor } from '../engine/index.ts';
import { mseLoss } from '../nn/index.ts';
import { CASE_VERSION, type ModelSpec, type PenaltySpec, type SGDSpec, type TrainCase, type TrainResult } from '../cases/types.ts';

/** The thread's full example uses lmbd = 0.9. */
export const LAMBDA = 0.9;
const LR = 0.1;
export const STEPS = 40;
const SAMPLES = 10;
const DATA_SEED = 1;

const THREAD_MODEL: ModelSpec = {
  inputSize: 5,
  layers: [
    { outFeatures: 5, activation: 'relu' },
    { outFeatures: 1, activation: 'identity' },
  ],
};

/** How the evidence names the case below; THREAD_SETUP spells it out once. */
export const THREAD_CASE = "the thread's case";

export const THREAD_SETUP =
  `the thread's network Linear(5→5)·ReLU·Linear(5→1) with PyTorch's initialisation (seed 0), ${SAMPLES} samples of ` +
  `standard normal data (seed ${DATA_SEED}), MSELoss('mean'), SGD lr ${LR}, λ ${LAMBDA}, ${STEPS} steps`;

export function sgd(options: Partial<Omit<SGDSpec, 'kind'>> = {}): SGDSpec {
  return { kind: 'sgd', lr: LR, momentum: 0, dampening: 0, nesterov: false, maximize: false, weightDecay: 0, ...options };
}

/** The thread's network with its PyTorch initialisation, seeded normal data, plain SGD and no penalty. */
export function threadCase(): TrainCase {
  const init = Object.fromEntries([...buildModel(THREAD_MODEL).namedParameters()].map(([name, p]) => [name, Array.from(p.data)]));
  const rng = new Random(DATA_SEED);
  const x = Array.from({ length: SAMPLES }, () => Array.from({ length: THREAD_MODEL.inputSize }, () => rng.normal()));
  const y = Array.from({ length: SAMPLES }, () => [rng.normal()]);
  return {
    kind: 'train',
    version: CASE_VERSION,
    model: THREAD_MODEL,
    init,
    data: { x, y },
    loss: { kind: 'mse', reduction: 'mean' },
    penalty: null,
    optimizer: sgd(),
    steps: STEPS,
    zeroGrad: true,
  };
}

export function withPenalty(c: TrainCase, recipe: string, extra: Partial<PenaltySpec> = {}): TrainCase {
  return { ...c, penalty: { recipe, lambda: LAMBDA, select: 'all', sign: 'add', ...extra } };
}

export function withDecay(c: TrainCase, weightDecay: number): TrainCase {
  return { ...c, penalty: null, optimizer: { ...c.optimizer, weightDecay } };
}

/**
 * Pure L2 descent: Linear(2→1) with weight (0.6, 0.8), bias 0 and one sample x = 0, y = 0, so the
 * data loss and its gradient are exactly 0 and only the penalty λ·0.5·Σw² (λ = 1) moves the
 * weights. Then a = lr·λ = lr, and the stability bounds of the design hold without a curvature term.
 */
export function pureDecayCase(a: number, options: Partial<Omit<SGDSpec, 'kind' | 'lr'>> = {}): TrainCase {
  return {
    kind: 'train',
    version: CASE_VERSION,
    model: { inputSize: 2, layers: [{ outFeatures: 1, activation: 'identity' }] },
    init: { '0.weight': [0.6, 0.8], '0.bias': [0] },
    data: { x: [[0, 0]], y: [[0]] },
    loss: { kind: 'mse', reduction: 'mean' },
    penalty: { recipe: 'half-pow-sum', lambda: 1, select: 'all', sign: 'add' },
    optimizer: sgd({ ...options, lr: a }),
    steps: STEPS,
    zeroGrad: true,
  };
}

/** Runs cases on the reference engine, with the overrides a test uses to build a broken variant. */
export type Runner = (c: TrainCase) => TrainResult;

export const referenceRunner = (overrides: ReferenceOverrides = {}): Runner => (c) => runTraining(c, overrides);

type Snapshot = Record<string, number[]>;

/** The parameters before the first step and after each step: STEPS + 1 snapshots. */
export const trajectory = (c: TrainCase, r: TrainResult): Snapshot[] => [c.init, ...r.params];

/** ‖θ‖: the Euclidean norm over every element of every parameter. */
export const parameterNorm = (s: Snapshot): number => Math.hypot(...Object.values(s).flat());

/** The data loss (MSE, no penalty) of the case's model holding the snapshot's parameters. */
export function dataLoss(c: TrainCase, s: Snapshot): number {
  const model = buildModel(c.model);
  loadParameters([...model.namedParameters()], s);
  return noGrad(() => mseLoss(model.forward(tensor(c.data.x)), tensor(c.data.y), c.loss.reduction).item());
}

export interface Gap {
  /** The largest |a − b| over the compared elements (Infinity when exactly one side is NaN). */
  largest: number;
  /** How many elements are not the same float64 (NaN equals NaN, −0 differs from 0). */
  differing: number;
  /** How many elements were compared. */
  compared: number;
}

const gapOf = (pairs: Iterable<[number, number]>): Gap => {
  let largest = 0;
  let differing = 0;
  let compared = 0;
  for (const [a, b] of pairs) {
    compared++;
    if (Object.is(a, b)) continue;
    differing++;
    const d = Math.abs(a - b);
    largest = Math.max(largest, Number.isNaN(d) ? Infinity : d);
  }
  return { largest, differing, compared };
};

function* snapshotPairs(a: Snapshot, b: Snapshot, names?: (name: string) => boolean): Generator<[number, number]> {
  for (const [name, values] of Object.entries(a)) {
    if (names !== undefined && !names(name)) continue;
    const other = b[name];
    if (other === undefined || other.length !== values.length) throw new RangeError(`gap: parameter '${name}' is missing or resized in the other snapshot`);
    for (let i = 0; i < values.length; i++) yield [values[i], other[i]];
  }
}

/** The gap between two snapshots, optionally over the parameters whose name passes the filter. */
export const snapshotGap = (a: Snapshot, b: Snapshot, names?: (name: string) => boolean): Gap => gapOf(snapshotPairs(a, b, names));

/** The gap between two runs' parameters over every step. */
export function runGap(a: TrainResult, b: TrainResult, names?: (name: string) => boolean): Gap {
  if (a.params.length !== b.params.length) throw new RangeError(`gap: the runs have ${a.params.length} and ${b.params.length} steps`);
  return gapOf(
    (function* () {
      for (let step = 0; step < a.params.length; step++) yield* snapshotPairs(a.params[step], b.params[step], names);
    })(),
  );
}

/** The larger of two gaps, as one gap over the union of the compared elements. */
export const combineGaps = (gaps: readonly Gap[]): Gap => ({
  largest: Math.max(0, ...gaps.map((g) => g.largest)),
  differing: gaps.reduce((n, g) => n + g.differing, 0),
  compared: gaps.reduce((n, g) => n + g.compared, 0),
});
