/**
 * The loss and gradients of a recorded PyTorch run against a backend's, at PyTorch's parameters,
 * within a bound that follows the computation's conditioning: the network evaluated on absolute
 * values (the sum of |terms| at every reduction and accumulation), times γ_K for each side's dtype.
 */
import type { Backend, Dtype } from '../src/backends/backend.ts';
import { parameterShapes, type ParameterShape } from '../src/cases/model.ts';
import type { Activation, TrainCase } from '../src/cases/types.ts';
import { U, precisionOf } from '../src/check/float.ts';
import { ulpOf, type TorchFixture } from './fixture-support.ts';
import { fmt } from './support.ts';

/**
 * γ_K = K·u/(1 − K·u): a value computed with at most K roundings on any path, from exact inputs
 * by + − × and ÷ by exact counts, is within γ_K·(the same computation on absolute values, every −
 * turned into +) of the exact value, whatever the summation order or fusing (Higham, ch. 3).
 */
function gamma(k: number, u: number): number {
  return (k * u) / (1 - k * u);
}

export interface GradientBound {
  /** Per parameter and element, the most the two sides' gradients can differ. */
  grads: Record<string, number[]>;
  loss: number;
  /** Set when a ReLU input is too close to 0 for both sides to agree on which side of the kink it is. */
  illConditioned: string | null;
}

const PENALTY_GRADIENT: Record<string, (w: number, lambda: number, norm: number) => number> = {
  'half-pow-sum': (w, lambda) => lambda * Math.abs(w),
  'half-norm-squared': (w, lambda) => lambda * Math.abs(w),
  'pow-sum': (w, lambda) => 2 * lambda * Math.abs(w),
  'norm-squared': (w, lambda) => 2 * lambda * Math.abs(w),
  // λ·(|w|/‖W‖), not (λ·|w|)/‖W‖: the product underflows for subnormal w where the gradient itself does not.
  norm: (w, lambda, norm) => (norm === 0 ? 0 : lambda * (Math.abs(w) / norm)),
  l1: (w, lambda) => (w === 0 ? 0 : lambda),
};

const PENALTY_VALUE: Record<string, (values: number[], lambda: number) => number> = {
  'half-pow-sum': (vs, lambda) => 0.5 * lambda * vs.reduce((a, w) => a + w * w, 0),
  'half-norm-squared': (vs, lambda) => 0.5 * lambda * vs.reduce((a, w) => a + w * w, 0),
  'pow-sum': (vs, lambda) => lambda * vs.reduce((a, w) => a + w * w, 0),
  'norm-squared': (vs, lambda) => lambda * vs.reduce((a, w) => a + w * w, 0),
  norm: (vs, lambda) => lambda * Math.hypot(...vs),
  l1: (vs, lambda) => lambda * vs.reduce((a, w) => a + Math.abs(w), 0),
};

/**
 * Rows of doubles. The bound's own intermediates are Float64Arrays, and the case's rows are copied
 * into them on entry: case data arrives as arrays of several element kinds (all-integer rows hold
 * small integers), and one kind throughout keeps this code compiled once.
 */
type Matrix = Float64Array[];

function copyRows(rows: readonly (readonly number[])[]): Matrix {
  const out: Matrix = new Array(rows.length);
  for (let s = 0; s < rows.length; s++) out[s] = Float64Array.from(rows[s]);
  return out;
}

/** Each row of a times wᵀ plus the bias (all three taken absolutely with `abs`), summed from the bias up. */
function matmulT(a: Matrix, w: Float64Array, rows: number, cols: number, bias: Float64Array, abs: boolean): Matrix {
  const result: Matrix = new Array(a.length);
  for (let s = 0; s < a.length; s++) {
    const row = a[s];
    const out = new Float64Array(rows);
    for (let j = 0; j < rows; j++) {
      let sum = abs ? Math.abs(bias[j]) : bias[j];
      for (let k = 0; k < cols; k++) sum += abs ? row[k] * Math.abs(w[j * cols + k]) : row[k] * w[j * cols + k];
      out[j] = sum;
    }
    result[s] = out;
  }
  return result;
}

/** Each row of delta times |w| (w is a layer's weight, `cols` inputs wide): the absolute network's backward through the layer. */
function backAbs(delta: Matrix, w: Float64Array, cols: number): Matrix {
  const result: Matrix = new Array(delta.length);
  for (let s = 0; s < delta.length; s++) {
    const row = delta[s];
    const out = new Float64Array(cols);
    for (let k = 0; k < cols; k++) {
      let sum = 0;
      for (let j = 0; j < row.length; j++) sum += row[j] * Math.abs(w[j * cols + k]);
      out[k] = sum;
    }
    result[s] = out;
  }
  return result;
}

/** f of every element, in new rows. */
function mapRows(m: Matrix, f: (v: number) => number): Matrix {
  const result: Matrix = new Array(m.length);
  for (let s = 0; s < m.length; s++) {
    const row = m[s];
    const out = new Float64Array(row.length);
    for (let j = 0; j < row.length; j++) out[j] = f(row[j]);
    result[s] = out;
  }
  return result;
}

/** A layer of the bound's network: its Linear's parameter names and size, and its activation. */
interface BoundLayer {
  activation: Activation;
  weight: string;
  bias: string;
  rows: number;
  cols: number;
}

/** The absolute network's forward pass, with each layer's input and tanh factors kept for the backward. */
interface ForwardAbs {
  /** Each layer's input, absolute. */
  inputs: Matrix[];
  /** Each tanh layer's factors 1 + 2·|z|ₐ; null for the other layers. */
  tanhFactors: (Matrix | null)[];
  /** The network's output, absolute. */
  absolute: Matrix;
  illConditioned: string | null;
}

/**
 * Forward, on values (for the kink margins) and on absolute values. `scale(k)` and `floor(k)` are
 * the two dtypes' relative and absolute error after k roundings.
 */
function forwardAbs(x: Matrix, layers: BoundLayer[], weights: Float64Array[], biases: Float64Array[], scale: (k: number) => number, floor: (k: number) => number): ForwardAbs {
  const n = x.length;
  let values = x;
  let absolute = mapRows(x, Math.abs);
  const inputs: Matrix[] = [];
  const tanhFactors: (Matrix | null)[] = [];
  let illConditioned: string | null = null;
  let kSoFar = 0;
  for (let l = 0; l < layers.length; l++) {
    const layer = layers[l];
    inputs.push(absolute);
    kSoFar += layer.cols + 1;
    const z = matmulT(values, weights[l], layer.rows, layer.cols, biases[l], false);
    const zAbs = matmulT(absolute, weights[l], layer.rows, layer.cols, biases[l], true);
    if (layer.activation === 'relu') {
      // Our own float64 evaluation of z adds γ(U) to the margin it must clear.
      const margin = scale(kSoFar) + gamma(kSoFar, U);
      for (let s = 0; s < n && illConditioned === null; s++) {
        for (let j = 0; j < layer.rows; j++) {
          const v = z[s][j];
          if (zAbs[s][j] > 0 && Math.abs(v) <= margin * zAbs[s][j] + floor(kSoFar)) {
            illConditioned = `layer ${l}, sample ${s}, unit ${j}: the ReLU input ${fmt(v)} is within its rounding bound ${margin * zAbs[s][j] + floor(kSoFar)} of 0`;
            break;
          }
        }
      }
      values = mapRows(z, (v) => (v < 0 ? 0 : v));
    } else if (layer.activation === 'tanh') {
      kSoFar += 2;
      values = mapRows(z, Math.tanh);
    } else {
      values = z;
    }
    tanhFactors.push(layer.activation === 'tanh' ? mapRows(zAbs, (v) => 1 + 2 * v) : null);
    absolute = zAbs;
  }
  return { inputs, tanhFactors, absolute, illConditioned };
}

/** The absolute network's MSE against |y| (divided by `divisor`), and its gradient: the backward's first delta. */
function absoluteLoss(absolute: Matrix, y: readonly (readonly number[])[], divisor: number): { loss: number; delta: Matrix } {
  let sum = 0;
  const delta: Matrix = new Array(absolute.length);
  for (let s = 0; s < absolute.length; s++) {
    const row = absolute[s];
    const d = new Float64Array(row.length);
    let squares = 0;
    for (let j = 0; j < row.length; j++) {
      const residual = row[j] + Math.abs(y[s][j]);
      squares += residual * residual;
      d[j] = (2 * residual) / divisor;
    }
    sum += squares;
    delta[s] = d;
  }
  return { loss: sum / divisor, delta };
}

/** Backward on absolute values, from the loss's delta: each parameter's gradient, the last layer's first. */
function backwardAbs(lossDelta: Matrix, layers: BoundLayer[], weights: Float64Array[], forward: ForwardAbs): Map<string, number[]> {
  const gradAbs = new Map<string, number[]>();
  let delta = lossDelta;
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l];
    const factors = forward.tanhFactors[l];
    if (factors !== null) {
      for (let s = 0; s < delta.length; s++) for (let j = 0; j < layer.rows; j++) delta[s][j] *= factors[s][j];
    }
    const input = forward.inputs[l];
    const gw = new Array<number>(layer.rows * layer.cols).fill(0);
    const gb = new Array<number>(layer.rows).fill(0);
    for (let s = 0; s < delta.length; s++) {
      for (let j = 0; j < layer.rows; j++) {
        gb[j] += delta[s][j];
        for (let k = 0; k < layer.cols; k++) gw[j * layer.cols + k] += delta[s][j] * input[s][k];
      }
    }
    gradAbs.set(layer.weight, gw);
    gradAbs.set(layer.bias, gb);
    delta = backAbs(delta, weights[l], layer.cols);
  }
  return gradAbs;
}

/**
 * K for the gradients and for the loss (gradientBound's comment counts them), the loss's number of
 * terms M, and the parameters the case's penalty applies to.
 */
function roundingCounts(c: TrainCase, shapes: ParameterShape[], layers: BoundLayer[]): { kGrad: number; kLoss: number; m: number; penaltyParams: Set<string> } {
  const n = c.data.x.length;
  const m = n * (c.data.y[0]?.length ?? 0);
  const tanhLayers = layers.filter((l) => l.activation === 'tanh').length;
  const kForward = layers.reduce((k, l) => k + l.cols + 1, 0) + 2 * tanhLayers;
  const kData = kForward + m + 2 + 4 + layers.reduce((k, l) => k + l.rows, 0) + n + 5 * tanhLayers;
  const penalty = c.penalty;
  const penaltyParams = new Set(
    penalty === null ? [] : shapes.map((s) => s.name).filter((name) => penalty.select === 'all' || (penalty.select === 'weights') === !name.endsWith('bias')),
  );
  if (penalty !== null && PENALTY_GRADIENT[penalty.recipe] === undefined) {
    throw new RangeError(`gradientBound: no bound for recipe '${penalty.recipe}' (bounded: ${Object.keys(PENALTY_GRADIENT).join(', ')})`);
  }
  const largest = Math.max(...shapes.map((s) => s.shape.reduce((p, d) => p * d, 1)));
  const total = shapes.reduce((t, s) => t + s.shape.reduce((p, d) => p * d, 1), 0);
  const kPenaltyGrad = penalty?.recipe === 'norm' ? Math.ceil(largest / 2) + 6 : 6;
  const kGrad = Math.max(kData, kPenaltyGrad) + 2;
  const kLoss = Math.max(kForward + m + 2, total + shapes.length + 6) + 2;
  return { kGrad, kLoss, m, penaltyParams };
}

/**
 * The bound on |loss_a − loss_b| and |grad_a − grad_b| between two implementations (dtypes a and
 * b) evaluating a case's objective at the same parameters: (γ_K(u_a) + γ_K(u_b)) times the
 * absolute-value network, plus K subnormal spacings each. The absolute-value network replaces the
 * inputs, weights, biases and targets by their absolute values and lets every ReLU pass (a mask of
 * ones bounds any mask). That bound holds only while both sides take the same branch at every ReLU:
 * an input whose computed value is within the bound of 0 makes the step ill-conditioned.
 * A tanh passes its input's absolute value on: tanh is 1-Lipschitz and |tanh z| ≤ |z|, so an error
 * γ·|z|ₐ in z and tanh's own (≤ 1 ulp, Sleef's or fdlibm's) stay within γ·|z|ₐ with 2 more roundings.
 * Its backward g·(1 − y²) multiplies by at most 1, but the other side's y may be off by γ·|z|ₐ, which
 * moves 1 − y² by up to 2γ·|z|ₐ whatever its size: the absolute network multiplies by 1 + 2·|z|ₐ,
 * with 5 more roundings (y², 1 − y², the product, and the second-order terms).
 * K counts roundings along the longest path, with room to spare:
 * forward Σ(fan-in + 1); MSE M + 2 (M = N·D); its backward 4 (2/M, the difference, two products);
 * backward Σ fan-out + N; the penalty's gradient 6 (k/2 + 6 for the unsquared norm, whose norm of
 * k squares is not cancelled); the accumulation of the two and the cast of λ to the dtype, 2.
 */
export function gradientBound(c: TrainCase, params: Record<string, number[]>, a: Dtype, b: Dtype): GradientBound {
  const shapes = parameterShapes(c.model);
  const layers: BoundLayer[] = c.model.layers.map((layer, l) => ({
    activation: layer.activation,
    weight: shapes[2 * l].name,
    bias: shapes[2 * l + 1].name,
    rows: shapes[2 * l].shape[0],
    cols: shapes[2 * l].shape[1],
  }));
  const { kGrad, kLoss, m, penaltyParams } = roundingCounts(c, shapes, layers);
  const penalty = c.penalty;
  const { u: ua, eta: etaA } = precisionOf(a);
  const { u: ub, eta: etaB } = precisionOf(b);
  const scale = (k: number) => gamma(k, ua) + gamma(k, ub);
  const floor = (k: number) => k * (etaA + etaB);
  const weights = layers.map((layer) => Float64Array.from(params[layer.weight]));
  const biases = layers.map((layer) => Float64Array.from(params[layer.bias]));
  const forward = forwardAbs(copyRows(c.data.x), layers, weights, biases, scale, floor);
  const divisor = c.loss.reduction === 'mean' ? m : 1;
  const data = absoluteLoss(forward.absolute, c.data.y, divisor);
  let lossAbs = data.loss;
  const gradAbs = backwardAbs(data.delta, layers, weights, forward);
  if (penalty !== null) {
    const gradient = PENALTY_GRADIENT[penalty.recipe];
    for (const name of penaltyParams) {
      const w = params[name];
      const norm = Math.hypot(...w);
      const g = gradAbs.get(name)!;
      for (let i = 0; i < g.length; i++) g[i] += gradient(w[i], penalty.lambda, norm);
      lossAbs += PENALTY_VALUE[penalty.recipe](w, penalty.lambda);
    }
  }
  const gradScale = scale(kGrad);
  const gradFloor = floor(kGrad);
  const grads: Record<string, number[]> = {};
  for (const [name, vs] of gradAbs) grads[name] = vs.map((v) => gradScale * v + gradFloor);
  return { grads, loss: scale(kLoss) * lossAbs + floor(kLoss), illConditioned: forward.illConditioned };
}

export interface GradientDeviation {
  /** The largest |backend − PyTorch| / bound over every loss and gradient element. */
  maxBoundUse: number;
  /** The largest |backend − PyTorch| in ulps of PyTorch's dtype. */
  maxUlps: number;
  /** The largest ‖backend − PyTorch‖ / ‖PyTorch‖ over steps and gradient tensors. */
  maxRelative: number;
}

/**
 * For every step of a recorded run, evaluates the backend's objective and gradients at PyTorch's
 * parameters before that step (a one-step case from there) and checks them against PyTorch's
 * within gradientBound. Without zeroGrad PyTorch's recorded gradient is the running sum, so the
 * step's own gradient is the difference of two recorded sums, off by the rounding of the newer
 * sum in PyTorch's dtype.
 */
export async function checkGradientsAtTorchParameters(backend: Backend, fixture: TorchFixture): Promise<GradientDeviation> {
  const c = fixture.case;
  const recorded = fixture.result;
  const deviation: GradientDeviation = { maxBoundUse: 0, maxUlps: 0, maxRelative: 0 };
  const note = (diff: number, bound: number, reference: number) => {
    if (diff === 0) return;
    deviation.maxBoundUse = Math.max(deviation.maxBoundUse, diff / bound);
    deviation.maxUlps = Math.max(deviation.maxUlps, diff / ulpOf(reference, fixture.dtype));
  };
  const { u } = precisionOf(fixture.dtype);
  for (let step = 0; step < c.steps; step++) {
    const at = step === 0 ? c.init : recorded.params[step - 1];
    const bound = gradientBound(c, at, backend.dtype, fixture.dtype);
    const where = `${fixture.id}, step ${step + 1}`;
    if (bound.illConditioned !== null) throw new Error(`${where} is ill-conditioned, so neither agreement nor disagreement means anything: ${bound.illConditioned}`);
    const run = await backend.runTrain({ ...c, init: at, steps: 1, zeroGrad: true });
    const loss = run.losses[0];
    const lossDiff = Math.abs(loss - recorded.losses[step]);
    if (!(lossDiff <= bound.loss)) {
      throw new Error(`${where}: the loss at PyTorch's parameters is ${fmt(loss)}, PyTorch's ${fmt(recorded.losses[step])} (bound ${bound.loss})`);
    }
    note(lossDiff, bound.loss, recorded.losses[step]);
    for (const [name, grads] of Object.entries(run.grads[0])) {
      const sum = recorded.grads[step][name];
      const previous = step === 0 || c.zeroGrad ? null : recorded.grads[step - 1][name];
      let diffSquares = 0;
      let torchSquares = 0;
      grads.forEach((g, i) => {
        const torch = previous === null ? sum[i] : sum[i] - previous[i];
        const extraction = previous === null ? 0 : u * Math.abs(sum[i]) + U * Math.abs(torch);
        const limit = bound.grads[name][i] + extraction;
        const diff = Math.abs(g - torch);
        if (!(diff <= limit)) {
          throw new Error(`${where}: the gradient of ${name}[${i}] at PyTorch's parameters is ${fmt(g)}, PyTorch's ${fmt(torch)} (bound ${limit})`);
        }
        note(diff, limit, torch);
        diffSquares += diff * diff;
        torchSquares += torch * torch;
      });
      if (torchSquares > 0) deviation.maxRelative = Math.max(deviation.maxRelative, Math.sqrt(diffSquares / torchSquares));
    }
  }
  return deviation;
}
