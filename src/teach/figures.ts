/**
 * The data behind the report's plots, as plain specs: which runs, which curves, which points. The
 * report renders them with Observable Plot; the browser test checks the rendered SVG against them.
 */
import { runExpression } from '../backends/reference.ts';
import type { ExprNode, TrainCase, TrainResult } from '../cases/types.ts';
import { LAMBDA, dataLoss, parameterNorm, pureDecayCase, referenceRunner, threadCase, trajectory, withDecay, withPenalty, type Runner } from './scenarios.ts';

/**
 * How a curve is drawn. 'under' is wide and light and 'over' thin, dark and dashed, so that two
 * curves that coincide stay visible as one drawn on top of the other.
 */
export type SeriesStyle = 'under' | 'over' | 'reference' | 'contrast';

export interface Series {
  /** A stable identifier, unique within the figure. */
  key: string;
  label: string;
  /** (x, y) points; a NaN y is a value the computation produced, drawn as a 'NaN' marker. */
  points: [number, number][];
  style: SeriesStyle;
  /** The key of a series in the same panel whose points this one equals exactly: the curves overlap. */
  matches?: string;
}

export interface Panel {
  key: string;
  title: string;
  xLabel: string;
  yLabel: string;
  yScale: 'linear' | 'log';
  mark: 'line' | 'dot';
  series: Series[];
}

export interface Figure {
  /** The element id in the report. */
  id: string;
  /** The catalogue entry the figure illustrates. */
  entryId: string;
  title: string;
  caption: string;
  panels: Panel[];
}

type Metric = 'dataLoss' | 'parameterNorm' | 'reportedLoss';

const METRIC_PANELS: Record<Metric, Omit<Panel, 'series' | 'key' | 'yScale' | 'mark'>> = {
  dataLoss: { title: 'Data loss (MSE, penalty left out)', xLabel: 'Step', yLabel: 'MSE' },
  parameterNorm: { title: 'Norm of all parameters', xLabel: 'Step', yLabel: '‖θ‖' },
  reportedLoss: { title: 'Loss as the training loop reports it', xLabel: 'Step', yLabel: 'Loss' },
};

interface RunSpec {
  key: string;
  label: string;
  case: TrainCase;
  style: SeriesStyle;
  /** A run holding the same parameters at every step: its curves of parameter-derived metrics overlap. */
  sameParametersAs?: string;
}

function metricPoints(metric: Metric, c: TrainCase, r: TrainResult): [number, number][] {
  if (metric === 'reportedLoss') return r.losses.map((loss, i) => [i + 1, loss]);
  const snapshots = trajectory(c, r);
  return snapshots.map((s, step) => [step, metric === 'dataLoss' ? dataLoss(c, s) : parameterNorm(s)]);
}

function trainingFigure(run: Runner, figure: Omit<Figure, 'panels'>, runs: RunSpec[], metrics: Metric[], yScale: Panel['yScale'] = 'linear'): Figure {
  const results = runs.map((spec) => ({ spec, result: run(spec.case) }));
  return {
    ...figure,
    panels: metrics.map((metric) => ({
      key: metric,
      ...METRIC_PANELS[metric],
      yScale,
      mark: 'line',
      series: results.map(({ spec, result }) => ({
        key: spec.key,
        label: spec.label,
        points: metricPoints(metric, spec.case, result),
        style: spec.style,
        ...(spec.sameParametersAs !== undefined && metric !== 'reportedLoss' ? { matches: spec.sameParametersAs } : {}),
      })),
    })),
  };
}

/** The points t = −1, −0.9, …, 1 (t = 0 exactly) along W = t·(0.6, 0.8), a direction of norm 1. */
const ALONG = Array.from({ length: 21 }, (_, i) => (i - 10) / 10);

function alongDirection(graph: ExprNode): { value: [number, number][]; gradient: [number, number][] } {
  const value: [number, number][] = [];
  const gradient: [number, number][] = [];
  for (const t of ALONG) {
    const r = runExpression({ kind: 'expr', version: 1, inputs: { w: { shape: [2], data: [0.6 * t, 0.8 * t], requiresGrad: true } }, graph });
    value.push([t, r.value.data[0]]);
    gradient.push([t, (r.grads.w ?? [NaN])[0]]);
  }
  return { value, gradient };
}

function gradientAtZeroFigure(): Figure {
  const w: ExprNode = { op: 'input', name: 'w' };
  const norm = alongDirection({ op: 'norm', args: [w], attrs: { p: 2 } });
  const composed = alongDirection({ op: 'sqrt', args: [{ op: 'sum', args: [{ op: 'pow', args: [w], attrs: { exponent: 2 } }] }] });
  const xLabel = 't, where W = t·(0.6, 0.8)';
  const gradientPanel = (key: string, title: string, series: Series): Panel => ({ key, title, xLabel, yLabel: '∂/∂w₁', yScale: 'linear', mark: 'dot', series: [series] });
  return {
    id: 'plot-gradient-at-zero',
    entryId: 'sqrt-sum-squares',
    title: 'The gradient at a zero weight: W.norm(2) against sqrt(sum(W²))',
    caption:
      'Both compute the same value (left: the curves coincide). Away from zero their gradients agree too; at W = 0 exactly, ' +
      'W.norm(2) gives 0, the minimum-norm subgradient, while W.pow(2).sum().sqrt() gives NaN (0·∞), which then spreads to every weight.',
    panels: [
      {
        key: 'value',
        title: 'Value',
        xLabel,
        yLabel: '‖W‖',
        yScale: 'linear',
        mark: 'line',
        series: [
          { key: 'norm', label: 'W.norm(2)', points: norm.value, style: 'under' },
          { key: 'sqrt', label: 'W.pow(2).sum().sqrt()', points: composed.value, style: 'over', matches: 'norm' },
        ],
      },
      gradientPanel('gradient-norm', 'Gradient of W.norm(2)', { key: 'norm', label: 'W.norm(2)', points: norm.gradient, style: 'under' }),
      gradientPanel('gradient-sqrt', 'Gradient of W.pow(2).sum().sqrt()', { key: 'sqrt', label: 'W.pow(2).sum().sqrt()', points: composed.gradient, style: 'over' }),
    ],
  };
}

/** Every figure of the report, computed on the reference engine (or a deliberately broken variant). */
export function buildFigures(run: Runner = referenceRunner()): Figure[] {
  const c = threadCase();
  const none: RunSpec = { key: 'none', label: 'no regularization', case: c, style: 'reference' };
  const decay = (factor: 1 | 2, style: SeriesStyle, sameParametersAs?: string): RunSpec => ({
    key: factor === 1 ? 'decay' : 'decay-2',
    label: `SGD(weight_decay=${factor === 1 ? 'λ' : '2λ'})`,
    case: withDecay(c, factor * LAMBDA),
    style,
    ...(sameParametersAs === undefined ? {} : { sameParametersAs }),
  });
  return [
    trainingFigure(
      run,
      {
        id: 'plot-l2-vs-weight-decay',
        entryId: 'half-pow-sum',
        title: 'Manual L2 with the 0.5 against weight_decay',
        caption: `λ·0.5·Σw² added to the loss and SGD(weight_decay=λ) hold the same parameters at every step: the dashed curve lies exactly on the wide one. λ = ${LAMBDA}; the grey curve is the same training without regularization.`,
      },
      [{ key: 'manual', label: 'loss + λ·0.5·Σw²', case: withPenalty(c, 'half-pow-sum'), style: 'under' }, none, decay(1, 'over', 'manual')],
      ['dataLoss', 'parameterNorm'],
    ),
    trainingFigure(
      run,
      {
        id: 'plot-l2-without-half',
        entryId: 'pow-sum',
        title: 'Manual L2 without the 0.5',
        caption: 'λ·Σw² is weight_decay=2λ (the dashed curve lies on the wide one), not weight_decay=λ (red).',
      },
      [{ key: 'manual', label: 'loss + λ·Σw²', case: withPenalty(c, 'pow-sum'), style: 'under' }, decay(1, 'contrast'), decay(2, 'over', 'manual')],
      ['dataLoss', 'parameterNorm'],
    ),
    trainingFigure(
      run,
      {
        id: 'plot-unsquared-norm',
        entryId: 'norm',
        title: 'The unsquared norm, as in the question and the accepted answer',
        caption: 'λ·Σ‖W‖ pulls every tensor towards zero with the same strength λ whatever its size, so it drives small tensors to zero and does not follow weight_decay=λ.',
      },
      [{ key: 'manual', label: 'loss + λ·Σ‖W‖', case: withPenalty(c, 'norm'), style: 'under' }, none, decay(1, 'contrast')],
      ['dataLoss', 'parameterNorm'],
    ),
    trainingFigure(
      run,
      {
        id: 'plot-detached-penalty',
        entryId: 'norm-item',
        title: 'A penalty accumulated through item()',
        caption: 'The reported loss moves by the penalty\'s value, but the parameters are those of training without any penalty (the dashed curve lies on the wide one); the red curve keeps the same penalty in the graph.',
      },
      [
        { key: 'detached', label: 'loss + λ·Σ W.norm(2).item()', case: withPenalty(c, 'norm-item'), style: 'under' },
        { key: 'graph', label: 'loss + λ·Σ‖W‖, in the graph', case: withPenalty(c, 'norm'), style: 'contrast' },
        { ...none, style: 'over', sameParametersAs: 'detached' },
      ],
      ['reportedLoss', 'parameterNorm'],
    ),
    trainingFigure(
      run,
      {
        id: 'plot-stability',
        entryId: 'exploding',
        title: 'Past the stability bound',
        caption: `Pure L2 descent multiplies the weights by (1 − lr·λ) at every step. With lr·λ = 1.9 their norm shrinks by 0.9 per step; with lr·λ = 2.1, past the bound 2, it grows by 1.1 per step, and the penalty with it: the loss the thread saw running off to infinity (logarithmic scale).`,
      },
      [
        { key: 'stable', label: 'lr·λ = 1.9', case: pureDecayCase(1.9), style: 'under' },
        { key: 'unstable', label: 'lr·λ = 2.1', case: pureDecayCase(2.1), style: 'contrast' },
      ],
      ['parameterNorm'],
      'log',
    ),
    gradientAtZeroFigure(),
    trainingFigure(
      run,
      {
        id: 'plot-missing-zero-grad',
        entryId: 'no-zero-grad',
        title: 'The thread\'s loop without zero_grad()',
        caption: `From step 2 on, each step applies the sum of every gradient so far, so the run drifts away from the intended training (both with λ·0.5·Σw², λ = ${LAMBDA}).`,
      },
      [
        { key: 'zeroed', label: 'with optimizer.zero_grad()', case: withPenalty(c, 'half-pow-sum'), style: 'under' },
        { key: 'accumulating', label: 'without zero_grad()', case: { ...withPenalty(c, 'half-pow-sum'), zeroGrad: false }, style: 'contrast' },
      ],
      ['dataLoss', 'parameterNorm'],
    ),
  ];
}
