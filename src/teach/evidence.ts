/**
 * Evidence computed live for the recipe catalogue: each known entry runs small fixed cases on the
 * reference engine and reports what it measured next to what the entry's verdict predicts. A
 * measurement that contradicts its verdict is reported as such, never hidden: it would mean the
 * engine or the catalogue is wrong.
 */
import { runExpression, type ReferenceOverrides } from '../backends/reference.ts';
import { CASE_VERSION, type AdamSpec, type AdamWSpec, type ExprCase, type ExprNode, type ExprResult, type SGDSpec, type TrainCase } from '../cases/types.ts';
import { U, ulpDistance } from '../check/float.ts';
import { Random, tensor, mul, sum, type OpName } from '../engine/index.ts';
import { mseLoss } from '../nn/index.ts';
import type { CatalogueEntry } from '../regularize/recipes.ts';
import { formatNumber } from './format.ts';
import { oneStepGap, type OneStepGap } from './rounding.ts';
import {
  LAMBDA,
  STEPS,
  THREAD_CASE,
  combineGaps,
  parameterNorm,
  pureDecayCase,
  referenceRunner,
  runGap,
  sgd,
  snapshotGap,
  threadCase,
  trajectory,
  withDecay,
  withPenalty,
  type Gap,
  type Runner,
} from './scenarios.ts';

/** A measured value: one number, a list, numbers by label, or text such as an error message. */
export type FactValue = number | readonly number[] | Readonly<Record<string, number>> | string;

export interface Fact {
  /** What was measured, on what. */
  measured: string;
  value: FactValue;
  /** Context for the value, such as how many values were compared. */
  detail?: string;
  /** What the verdict predicts the value to be. */
  predicted: string;
  /** Whether the measured value is what the verdict predicts. */
  agrees: boolean;
}

export interface Evidence {
  entryId: string;
  /** The cases the facts were measured on; null for an entry without live evidence. */
  setup: string | null;
  facts: Fact[];
}

export interface EvidenceOptions {
  /** Replaces parts of the reference engine, as tests do to show that broken code is caught. */
  overrides?: ReferenceOverrides;
}

type Demo = (run: Runner) => { setup: string; facts: Fact[] };

function identical(measured: string, gap: Gap): Fact {
  return { measured, value: gap.largest, detail: `${gap.differing} of ${gap.compared} values differ`, predicted: '0 (bit-identical)', agrees: gap.differing === 0 };
}

function different(measured: string, gap: Gap): Fact {
  return { measured, value: gap.largest, detail: `${gap.differing} of ${gap.compared} values differ`, predicted: '> 0', agrees: gap.largest > 0 };
}

/** The SGD settings the bit-identity facts cover: the identity must hold for every one of them. */
const SGD_SETTINGS = [sgd(), sgd({ momentum: 0.9 }), sgd({ momentum: 0.9, dampening: 0.5 }), sgd({ momentum: 0.9, nesterov: true })];
const SETTINGS_SETUP = `${THREAD_CASE} in 4 SGD settings: plain, momentum 0.9, momentum 0.9 with dampening 0.5, nesterov with momentum 0.9`;

/** PyTorch's arithmetic (src/arith), for the entry that contrasts it with the plain one. */
const pytorchRunner = referenceRunner({ arith: 'pytorch' });

function penaltyAgainstDecay(run: Runner, recipe: string, decay: number): Gap {
  const base = threadCase();
  return combineGaps(
    SGD_SETTINGS.map((optimizer) => {
      const c = { ...base, optimizer };
      return runGap(run(withPenalty(c, recipe)), run(withDecay(c, decay)));
    }),
  );
}

/**
 * The first-step gradient of λ·0.5·‖W‖² (factor 1) or λ·‖W‖² (factor 2) against g + factor·λ·w,
 * with the bound of claim l2.half-norm-squared-within-rounding: the computed norm n multiplies
 * and divides, so it cancels; three roundings remain on the penalty term and one on each sum.
 */
function squaredNormFacts(run: Runner, recipe: string, factor: 1 | 2): Fact[] {
  const c = threadCase();
  const penalized = run(withPenalty(c, recipe));
  const plain = run(c).grads[0];
  let worstUlps = 0;
  let within = true;
  for (const [name, w0] of Object.entries(c.init)) {
    w0.forEach((w, i) => {
      const decay = factor * LAMBDA * w;
      const expected = plain[name][i] + decay;
      const got = penalized.grads[0][name][i];
      const tolerance = 3 * U * Math.abs(decay) + 2 * U * Math.abs(expected) + 4 * U * U * Math.abs(decay);
      worstUlps = Math.max(worstUlps, ulpDistance(got, expected));
      within &&= Math.abs(got - expected) <= tolerance;
    });
  }
  const term = factor === 1 ? 'λ·w' : '2λ·w';
  const decay = factor * LAMBDA;
  return [
    {
      measured: `first-step gradient against g + ${term} (g: the gradient without the penalty), worst element`,
      value: worstUlps,
      detail: 'ulps apart',
      predicted: 'a few ulps: within 3 roundings of the penalty term (the bound of claim l2.half-norm-squared-within-rounding)',
      agrees: within,
    },
    roundingOnly(
      `largest one-step parameter gap to SGD(weight_decay=${factor === 1 ? 'λ' : '2λ'}) from the same parameters, at each of the ${STEPS} states of the run`,
      oneStepGap(run, withPenalty(c, recipe), { kind: 'penalty', factor }, withDecay(c, decay), { kind: 'weightDecay' }),
    ),
  ];
}

/** A gap that only rounding makes, against the bound derived for it in rounding.ts. */
function roundingOnly(measured: string, gap: OneStepGap): Fact {
  return {
    measured,
    value: gap.largest,
    detail: `${gap.differing} of ${gap.compared} values differ`,
    predicted: `rounding only: each value within the rounding bound of both steps, at most ${formatNumber(gap.bound)}`,
    agrees: gap.within,
  };
}

const snapshotSum = (a: Record<string, number[]>, b: Record<string, number[]>): Record<string, number[]> =>
  Object.fromEntries(Object.entries(a).map(([name, values]) => [name, values.map((v, i) => v + b[name][i])]));

const input = (name: string): ExprNode => ({ op: 'input', name });
const node = (op: OpName, args: ExprNode[], attrs?: Record<string, number>): ExprNode => (attrs === undefined ? { op, args } : { op, args, attrs });

function expression(graph: ExprNode, w: number[], extra: Partial<ExprCase> = {}): ExprResult {
  return runExpression({ kind: 'expr', version: 1, inputs: { w: { shape: [w.length], data: w, requiresGrad: true } }, graph, ...extra });
}

const GROWTH = `‖w_${STEPS}‖/‖w_0‖`;

/** ‖w_T‖/‖w_0‖ of pure L2 descent (see pureDecayCase) at a = lr·λ. */
function growth(run: Runner, a: number, options: Parameters<typeof pureDecayCase>[1] = {}): number {
  const c = pureDecayCase(a, options);
  const norms = trajectory(c, run(c)).map(parameterNorm);
  return norms[norms.length - 1] / norms[0];
}

/** The ratio (1/N)·Σ(ŷ − y)² / MSELoss('mean') for N = 10 samples with D target components. */
function mseRatio(d: number): number {
  const rng = new Random(2);
  const draw = () => Array.from({ length: 10 }, () => Array.from({ length: d }, () => rng.normal()));
  const prediction = tensor(draw());
  const target = tensor(draw());
  const manual = mul(1 / 10, sum(prediction.sub(target).square())).item();
  return manual / mseLoss(prediction, target, 'mean').item();
}

/** Adam or AdamW on the thread's case, with PyTorch's default betas and eps. */
const adam = (kind: 'adam' | 'adamw', weightDecay: number): AdamSpec | AdamWSpec => ({ kind, lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay, amsgrad: false, maximize: false });

const DEMOS: Record<string, Demo> = {
  'half-pow-sum': (run) => ({
    setup: SETTINGS_SETUP,
    facts: [
      identical('largest parameter gap between λ·0.5·Σw² and SGD(weight_decay=λ), every step of the 4 settings', penaltyAgainstDecay(run, 'half-pow-sum', LAMBDA)),
      different('largest parameter gap between λ·0.5·Σw² and the unregularized run (plain SGD): the penalty does act', runGap(run(withPenalty(threadCase(), 'half-pow-sum')), run(threadCase()))),
    ],
  }),

  'fused-weight-decay': (run) => {
    const fused = penaltyAgainstDecay(pytorchRunner, 'half-pow-sum', LAMBDA);
    // One rounding of λ·w apart per step (≤ u·|λw|, |λw| < 1 here), carried by stable runs over
    // STEPS steps: differences of the order of ulps, far below 1e-12 and the penalty's own effect.
    const roundingOnly = 1e-12;
    return {
      setup: `${SETTINGS_SETUP}; in the plain and in the pytorch arithmetic`,
      facts: [
        identical('plain arithmetic: largest parameter gap between λ·0.5·Σw² and SGD(weight_decay=λ), every step of the 4 settings', penaltyAgainstDecay(run, 'half-pow-sum', LAMBDA)),
        {
          measured: 'pytorch arithmetic (weight_decay fused): the same gap',
          value: fused.largest,
          detail: `${fused.differing} of ${fused.compared} values differ`,
          predicted: `> 0, rounding only: ≤ ${roundingOnly}`,
          agrees: fused.largest > 0 && fused.largest <= roundingOnly,
        },
      ],
    };
  },

  'pow-sum': (run) => ({
    setup: SETTINGS_SETUP,
    facts: [
      identical('largest parameter gap between λ·Σw² and SGD(weight_decay=2λ), every step of the 4 settings', penaltyAgainstDecay(run, 'pow-sum', 2 * LAMBDA)),
      different('largest parameter gap between λ·Σw² and SGD(weight_decay=λ) (plain SGD)', runGap(run(withPenalty(threadCase(), 'pow-sum')), run(withDecay(threadCase(), LAMBDA)))),
    ],
  }),

  'half-norm-squared': (run) => ({ setup: THREAD_CASE, facts: squaredNormFacts(run, 'half-norm-squared', 1) }),

  'norm-squared': (run) => ({ setup: THREAD_CASE, facts: squaredNormFacts(run, 'norm-squared', 2) }),

  norm: (run) => {
    const c = threadCase();
    const penalized = run(withPenalty(c, 'norm')).grads[0];
    const plain = run(c).grads[0];
    const measuredPull: Record<string, number> = {};
    const predictedPull: Record<string, number> = {};
    let within = true;
    for (const [name, w0] of Object.entries(c.init)) {
      const n = Math.hypot(...w0);
      const k = w0.length;
      predictedPull[name] = 1 / n;
      w0.forEach((w, i) => {
        const term = (LAMBDA * w) / n;
        const expected = plain[name][i] + term;
        // The bound of claim l2.unsquared-norm-is-not-weight-decay: the engine's norm sums k
        // squares (≤ k·u relative, halved by the sqrt) where hypot is within an ulp; the term
        // takes two roundings, the sum one more.
        const tolerance = (k / 2 + 4) * U * Math.abs(term) + 2 * U * Math.abs(expected);
        within &&= Math.abs(penalized[name][i] - expected) <= tolerance;
      });
      const largest = w0.reduce((best, w, i) => (Math.abs(w) > Math.abs(w0[best]) ? i : best), 0);
      measuredPull[name] = (penalized[name][largest] - plain[name][largest]) / (LAMBDA * w0[largest]);
    }
    const shown = Object.entries(predictedPull).map(([name, v]) => `${name} ${formatNumber(v)}`).join(', ');
    return {
      setup: THREAD_CASE,
      facts: [
        different('largest parameter gap between λ·Σ‖W‖ and SGD(weight_decay=λ)', runGap(run(withPenalty(c, 'norm')), run(withDecay(c, LAMBDA)))),
        {
          measured: 'the pull of the penalty on each tensor at step 1, (∇penalized − ∇plain)/(λ·w), at its largest element',
          value: measuredPull,
          predicted: `1/‖W‖ per tensor (weight decay would give 1): ${shown}; every element within the rounding bound of claim l2.unsquared-norm-is-not-weight-decay`,
          agrees: within,
        },
      ],
    };
  },

  'norm-from-zero': (run) => {
    const c = threadCase();
    const fromZero = run(withPenalty(c, 'norm-from-zero'));
    return {
      setup: THREAD_CASE,
      facts: [
        identical('largest parameter gap to the accumulator that starts from the first term (λ·Σ‖W‖), every step', runGap(fromZero, run(withPenalty(c, 'norm')))),
        different('largest change the penalty makes to the first-step gradient: it is in the graph', snapshotGap(fromZero.grads[0], run(c).grads[0])),
      ],
    };
  },

  'norm-item': (run) => {
    const c = threadCase();
    const detached = run(withPenalty(c, 'norm-item'));
    const plain = run(c);
    const offset = detached.losses[0] - plain.losses[0];
    const norms = Object.values(c.init).map((w) => Math.hypot(...w));
    const penalty = LAMBDA * norms.reduce((a, b) => a + b, 0);
    const longest = Math.max(...Object.values(c.init).map((w) => w.length));
    // The engine's norms are within (k/2 + 1)·u of hypot's (k = the longest tensor's length), and
    // the accumulator, λ and the comparison's own sum add four roundings; the loss sum and the
    // subtraction round once each, relative to the losses themselves.
    const tolerance = (longest / 2 + 5) * U * penalty + 2 * U * (Math.abs(detached.losses[0]) + Math.abs(plain.losses[0]));
    return {
      setup: THREAD_CASE,
      facts: [
        identical(`largest parameter gap between the item() penalty and no penalty at all, ${STEPS} steps`, runGap(detached, plain)),
        {
          measured: 'reported loss with the item() penalty minus the reported loss without it, step 1',
          value: offset,
          predicted: `λ·Σ‖W‖ = ${formatNumber(penalty)}: the loss moves by the penalty's value`,
          agrees: Math.abs(offset - penalty) <= tolerance,
        },
        different('largest change the same penalty makes to the first-step gradient when kept in the graph (λ·Σ‖W‖)', snapshotGap(run(withPenalty(c, 'norm')).grads[0], plain.grads[0])),
      ],
    };
  },

  'norm-uninit-leaf': (run) => {
    const c = threadCase();
    const start = 7.5;
    const leaf = run(withPenalty(c, 'norm-uninit-leaf', { start }));
    const graph = run(withPenalty(c, 'norm'));
    const offset = leaf.losses[0] - graph.losses[0];
    // Both losses are sums of nonnegative terms (data loss, norms, the start value) through at most
    // six roundings, so each is within 6u of its exact value relative to itself; the subtraction
    // rounds once more.
    const tolerance = 7 * U * (Math.abs(leaf.losses[0]) + Math.abs(graph.losses[0]));
    return {
      setup: `${THREAD_CASE}, with the value ${start} standing in for the uninitialised memory`,
      facts: [
        identical(`largest parameter gap to the unsquared-norm penalty λ·Σ‖W‖, ${STEPS} steps`, runGap(leaf, graph)),
        {
          measured: 'reported loss minus that of λ·Σ‖W‖, step 1',
          value: offset,
          predicted: `λ·start = ${formatNumber(LAMBDA * start)}`,
          agrees: Math.abs(offset - LAMBDA * start) <= tolerance,
        },
      ],
    };
  },

  'weights-only': (run) => {
    const c = threadCase();
    const groups: TrainCase = { ...c, groups: [{ select: 'weights', weightDecay: LAMBDA }, { select: 'biases', weightDecay: 0 }] };
    const isBias = (name: string) => name.endsWith('.bias');
    return {
      setup: THREAD_CASE,
      facts: [
        identical('largest parameter gap between λ·0.5·Σw² over the weights and parameter groups (weights: weight_decay=λ, biases: 0), every step', runGap(run(withPenalty(c, 'half-pow-sum', { select: 'weights' })), run(groups))),
        different('largest bias gap between λ·0.5·Σw² over model.parameters() and those groups: the biases are penalized too', runGap(run(withPenalty(c, 'half-pow-sum')), run(groups), isBias)),
      ],
    };
  },

  l1: (run) => {
    const w = [0, -0, 0.5, -2];
    const graph = node('mul', [{ op: 'const', value: LAMBDA }, node('sum', [node('abs', [input('w')])])]);
    const g = expression(graph, w).grads.w ?? [];
    const expected = [0, 0, LAMBDA, -LAMBDA];
    const zeroInit = threadCase();
    const c = withPenalty({ ...zeroInit, init: Object.fromEntries(Object.entries(zeroInit.init).map(([name, v]) => [name, v.map(() => 0)])) }, 'l1');
    const r = run(c);
    const values = [...r.losses, ...[...r.grads, ...r.params].flatMap((s) => Object.values(s).flat())];
    const nonFinite = values.filter((v) => !Number.isFinite(v)).length;
    return {
      setup: `λ·Σ|w| with λ = ${LAMBDA} at w = (0, −0, 0.5, −2); and ${THREAD_CASE} trained with it from all-zero parameters`,
      facts: [
        { measured: 'gradient of λ·Σ|w| at w = (0, −0, 0.5, −2)', value: g, predicted: `(0, 0, λ, −λ) = (0, 0, ${LAMBDA}, ${-LAMBDA})`, agrees: g.length === 4 && g.every((v, i) => v === expected[i]) },
        { measured: `non-finite losses, gradients and parameters when training with L1 from all-zero parameters, ${STEPS} steps`, value: nonFinite, detail: `of ${values.length} values`, predicted: '0: the subgradient at 0 is 0', agrees: nonFinite === 0 },
      ],
    };
  },

  'sqrt-sum-squares': () => {
    const zero = [0, 0, 0, 0];
    const viaNorm = expression(node('norm', [input('w')], { p: 2 }), zero).grads.w ?? [];
    const viaSqrt = expression(node('sqrt', [node('sum', [node('pow', [input('w')], { exponent: 2 })])]), zero).grads.w ?? [];
    return {
      setup: 'a weight tensor of four exact zeros',
      facts: [
        { measured: 'gradient of W.norm(2) at W = 0', value: viaNorm, predicted: 'all 0 (the minimum-norm subgradient)', agrees: viaNorm.length === 4 && viaNorm.every((v) => v === 0) },
        { measured: 'gradient of W.pow(2).sum().sqrt() at W = 0', value: viaSqrt, predicted: 'all NaN (0 · ∞: sqrt\'s derivative is infinite at 0, pow\'s is 0)', agrees: viaSqrt.length === 4 && viaSqrt.every(Number.isNaN) },
      ],
    };
  },

  'no-zero-grad': (run) => {
    const c = withPenalty(threadCase(), 'half-pow-sum');
    const zeroed = run(c);
    const accumulating = run({ ...c, zeroGrad: false });
    const final = (r: typeof zeroed) => parameterNorm(r.params[r.params.length - 1]);
    const drift = runGap(accumulating, zeroed);
    return {
      setup: `${THREAD_CASE} with λ·0.5·Σw²`,
      facts: [
        identical('gradient used at step 2 without zeroGrad against g₁ + g₂ of the run with zeroGrad', snapshotGap(accumulating.grads[1], snapshotSum(zeroed.grads[0], zeroed.grads[1]))),
        { ...different(`drift: largest parameter gap between the runs without and with zeroGrad, ${STEPS} steps`, drift), detail: `${drift.differing} of ${drift.compared} values differ; ‖θ‖ after ${STEPS} steps: ${formatNumber(final(zeroed))} with zeroGrad, ${formatNumber(final(accumulating))} without` },
      ],
    };
  },

  'mse-mean': () => {
    // (1/N)·S and S/(N·D) share the sum S; 1/N, the product, the mean's division and the ratio round
    // once each, so the ratio is within 4 roundings of D (5u·D with room for second-order terms).
    const ratio = (d: number): Fact => {
      const r = mseRatio(d);
      return { measured: `(1/N)·Σ(ŷ − y)² / MSELoss('mean') with N = 10 samples and D = ${d} target component${d === 1 ? '' : 's'}`, value: r, predicted: `${d}`, agrees: Math.abs(r - d) <= 5 * U * d };
    };
    return { setup: 'seeded normal predictions and targets (seed 2)', facts: [ratio(1), ratio(3)] };
  },

  'backward-twice': () => {
    const w = [0.5, -1.5, 2];
    const squares = node('sum', [node('pow', [input('w')], { exponent: 2 })]);
    const released = expression(squares, w, { backward: { times: 2, retainGraph: false } });
    const once = expression(squares, w).grads.w ?? [];
    const twice = expression(squares, w, { backward: { times: 2, retainGraph: true } }).grads.w ?? [];
    const ratios = twice.map((g, i) => g / once[i]);
    const savesNothing = expression(node('sum', [node('add', [input('w'), input('w')])]), w, { backward: { times: 2, retainGraph: false } });
    const plainTwice = savesNothing.grads.w ?? [];
    return {
      setup: 'loss = Σw² at w = (0.5, −1.5, 2)',
      facts: [
        { measured: 'second backward() without retainGraph', value: released.error?.message ?? 'no error', predicted: 'an error: pow saved w, and the first backward freed it', agrees: released.error?.kind === 'graph-released' },
        { measured: 'gradient after two backward() calls with retainGraph, divided by the gradient after one', value: ratios, predicted: '2 everywhere: gradients accumulate', agrees: ratios.length === 3 && ratios.every((r) => r === 2) },
        { measured: 'gradient of Σ(w + w) after two backward() calls without retainGraph (add and sum save nothing)', value: plainTwice, predicted: 'no error, and 2 + 2 = 4 everywhere', agrees: savesNothing.error === undefined && plainTwice.length === 3 && plainTwice.every((g) => g === 4) },
      ],
    };
  },

  exploding: (run) => {
    const plain = { 'lr·λ = 1.9': growth(run, 1.9), 'lr·λ = 2.1': growth(run, 2.1) };
    const heavyBall = { 'lr·λ = 3.7': growth(run, 3.7, { momentum: 0.9 }), 'lr·λ = 3.9': growth(run, 3.9, { momentum: 0.9 }) };
    const nesterov = { 'lr·λ = 1.3': growth(run, 1.3, { momentum: 0.9, nesterov: true }), 'lr·λ = 1.4': growth(run, 1.4, { momentum: 0.9, nesterov: true }) };
    // |1 − a| is exact for these doubles a (Sterbenz), so the prediction only rounds in pow.
    const predicted = [Math.abs(1 - 1.9) ** STEPS, Math.abs(1 - 2.1) ** STEPS];
    // With λ = 1 the penalty's gradient is exactly w (its factors 1, 0.5 and 2 are exact). The
    // update p + (−lr)·w rounds twice, and its cancellation to (1 − a)·p magnifies the product's
    // rounding by a/|1 − a| ≤ 2.2: ≤ 3.2u per step. Over T steps that is 3.2·T·u, and pow and the
    // two norms add about an ulp each: (4·T + 3)·u covers it.
    const tolerance = (4 * STEPS + 3) * U;
    const [stable, unstable] = Object.values(plain);
    return {
      setup: `pure L2 descent: weights (0.6, 0.8), λ·0.5·Σw² with λ = 1 and no data gradient, ${STEPS} steps`,
      facts: [
        {
          measured: `${GROWTH} with plain SGD`,
          value: plain,
          predicted: `|1 − lr·λ|^${STEPS} = ${formatNumber(predicted[0])} and ${formatNumber(predicted[1])}: stable iff lr·λ ≤ 2`,
          agrees: Math.abs(stable / predicted[0] - 1) <= tolerance && Math.abs(unstable / predicted[1] - 1) <= tolerance,
        },
        { measured: `${GROWTH} with heavy-ball momentum μ = 0.9`, value: heavyBall, predicted: '< 1 below the bound 2(1 + μ) = 3.8, > 1 past it', agrees: Object.values(heavyBall)[0] < 1 && Object.values(heavyBall)[1] > 1 },
        { measured: `${GROWTH} with nesterov momentum μ = 0.9`, value: nesterov, predicted: `< 1 below the bound 2(1 + μ)/(1 + 2μ) = ${formatNumber(3.8 / 2.8)}, > 1 past it`, agrees: Object.values(nesterov)[0] < 1 && Object.values(nesterov)[1] > 1 },
      ],
    };
  },

  'thread-literal-pair': (run) => {
    const c = threadCase();
    const literal = runGap(run({ ...withPenalty(c, 'half-norm-squared'), zeroGrad: false }), run({ ...withDecay(c, LAMBDA), zeroGrad: false }));
    const first = (zeroGrad: boolean) => {
      const a = run({ ...withPenalty(c, 'half-pow-sum'), zeroGrad, steps: 2 });
      const b = run({ ...withDecay(c, LAMBDA), zeroGrad, steps: 2 });
      return { step1: snapshotGap(a.params[0], b.params[0]), step2: snapshotGap(a.params[1], b.params[1]) };
    };
    const withoutZeroGrad = first(false);
    return {
      setup: `${THREAD_CASE}, manual λ·0.5·Σw² against SGD(weight_decay=λ), both with and both without zeroGrad`,
      facts: [
        identical('largest parameter gap at step 1, both runs without zeroGrad', withoutZeroGrad.step1),
        different('largest parameter gap at step 2, both runs without zeroGrad: the penalty gradient of step 1 is still in .grad', withoutZeroGrad.step2),
        { ...different(`largest parameter gap over ${STEPS} steps without zeroGrad (the thread's 0.5·‖W‖² penalty)`, literal), predicted: '> 0: the two runs the thread compares disagree' },
        roundingOnly(
          `largest one-step parameter gap with zeroGrad (the same penalty) from the same parameters, at each of the ${STEPS} states of the run`,
          oneStepGap(run, withPenalty(c, 'half-norm-squared'), { kind: 'penalty', factor: 1 }, withDecay(c, LAMBDA), { kind: 'weightDecay' }),
        ),
      ],
    };
  },

  'adam-vs-adamw': (run) => {
    const c = { ...threadCase(), steps: 10 };
    const coupled = runGap(run({ ...withPenalty(c, 'half-pow-sum'), optimizer: adam('adam', 0) }), run({ ...c, optimizer: adam('adam', LAMBDA) }));
    const decoupled = runGap(run({ ...withPenalty(c, 'half-pow-sum'), optimizer: adam('adam', 0) }), run({ ...c, optimizer: adam('adamw', LAMBDA) }));
    const atZero = runGap(run({ ...c, optimizer: adam('adam', 0) }), run({ ...c, optimizer: adam('adamw', 0) }));
    return {
      setup: `${THREAD_CASE}, Adam and AdamW with lr 0.01, betas (0.9, 0.999), eps 1e-8, 10 steps`,
      facts: [
        identical('largest parameter gap between Adam + λ·0.5·Σw² and Adam(weight_decay=λ)', coupled),
        different('largest parameter gap between Adam + λ·0.5·Σw² and AdamW(weight_decay=λ)', decoupled),
        identical('largest parameter gap between Adam and AdamW at weight_decay = 0', atZero),
      ],
    };
  },

  'sgd-momentum-decoupled': (run) => {
    const c = threadCase();
    const pair = (options: Partial<Omit<SGDSpec, 'kind'>>) =>
      runGap(run({ ...c, optimizer: { ...sgd(options), kind: 'sgdw', weightDecay: LAMBDA } }), run({ ...c, optimizer: sgd({ ...options, weightDecay: LAMBDA }) }));

    return {
      setup: `${THREAD_CASE}, decoupled decay (w·(1 − lr·λ) before the step) against SGD(weight_decay=λ)`,
      facts: [
        roundingOnly(
          `largest one-step parameter gap with plain SGD (the same step computed in another order) from the same parameters, at each of the ${STEPS} states of the run`,
          oneStepGap(run, { ...c, optimizer: { ...sgd(), kind: 'sgdw', weightDecay: LAMBDA } }, { kind: 'decoupled' }, withDecay(c, LAMBDA), { kind: 'weightDecay' }),
        ),
        different('largest parameter gap with momentum 0.9', pair({ momentum: 0.9 })),
      ],
    };
  },

  'inplace-square-update': () => {
    const w = threadCase().init['0.weight'];
    const update = node('add', [input('w'), node('mul', [{ op: 'const', value: LAMBDA }, node('square', [input('w')])])]);
    const updated = runExpression({ kind: 'expr', version: CASE_VERSION, inputs: { w: { shape: [w.length], data: w, requiresGrad: false } }, graph: update }).value.data;
    const positives = w.filter((v) => v > 0).length;
    const grew = w.filter((v, i) => v > 0 && updated[i] > v).length;
    const decayed = w.map((v) => v - 0.1 * LAMBDA * v);
    const shrank = w.filter((v, i) => v > 0 && decayed[i] < v).length;
    return {
      setup: `the thread network's first weight matrix (25 values), λ = ${LAMBDA}`,
      facts: [
        { measured: 'positive weights that w + λ·w² makes larger', value: grew, detail: `of ${positives}`, predicted: `all ${positives}`, agrees: grew === positives },
        { measured: 'positive weights that one weight-decay step (lr 0.1) makes smaller', value: shrank, detail: `of ${positives}`, predicted: `all ${positives}`, agrees: shrank === positives },
      ],
    };
  },
};

export const hasLiveEvidence = (entryId: string): boolean => Object.hasOwn(DEMOS, entryId);

export function computeEvidence(entry: CatalogueEntry, options: EvidenceOptions = {}): Evidence {
  if (!hasLiveEvidence(entry.id)) return { entryId: entry.id, setup: null, facts: [] };
  const demo = DEMOS[entry.id];
  const { setup, facts } = demo(referenceRunner(options.overrides));
  return { entryId: entry.id, setup, facts };
}
