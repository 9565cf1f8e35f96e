/**
 * Deliberately broken optimizers and patches, one realistic bug each, for the fixtures and
 * adaptive claims: every one of those claims must FAIL on at least one of them
 * (adaptive-mutants.test.ts runs them). The rows have the shape of properties/mutants.test.ts's.
 */
import { makeOptimizer, type OptimizerFactory, type ReferenceOverrides } from '../src/backends/reference.ts';
import { Tensor, add, mul, norm, pow } from '../src/engine/index.ts';
import { Optimizer, type AdagradOptions, type AdamOptions, type ParamGroup, type RMSpropOptions, type SGDOptions } from '../src/optim/index.ts';
import { PENALTIES } from '../src/regularize/recipes.ts';
import type { OptimizerSpec } from '../src/cases/types.ts';

export interface AdaptiveMutant {
  claim: string;
  bug: string;
  overrides?: ReferenceOverrides;
  /** Patches the engine for the duration of a run; returns the undo. */
  patch?: () => () => void;
}

const noChecks = () => undefined;

interface AdamBugs {
  noBiasCorrection?: boolean;
  /** AdamW: p·(1 − lr·λ) after the Adam step instead of before. */
  decayAfterStep?: boolean;
  /** Adam: λ·p added to the normalized step instead of the gradient. */
  decayAfterNormalization?: boolean;
  /** AdamW: weight decay 0 read as "not given", so the 1e-2 default applies. */
  zeroDecayUsesDefault?: boolean;
  /** AdamW computed as Adam with the decay coupled into the gradient. */
  coupled?: boolean;
}

class MutantAdam extends Optimizer<AdamOptions> {
  private readonly state = new Map<Tensor, { step: number; m: Float64Array; v: Float64Array; vMax: Float64Array }>();

  constructor(groups: ParamGroup<SGDOptions>[], options: Partial<AdamOptions>, private readonly decoupled: boolean, private readonly bugs: AdamBugs) {
    super('MutantAdam', groups, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }, options, noChecks);
  }

  protected update(param: Tensor, grad: Float64Array, o: Readonly<AdamOptions>): void {
    const p = param.data;
    let s = this.state.get(param);
    if (s === undefined) {
      s = { step: 0, m: new Float64Array(p.length), v: new Float64Array(p.length), vMax: new Float64Array(p.length) };
      this.state.set(param, s);
    }
    s.step += 1;
    const [b1, b2] = o.betas;
    const decay = this.bugs.zeroDecayUsesDefault && o.weightDecay === 0 ? 1e-2 : o.weightDecay;
    const decoupled = this.decoupled && !this.bugs.coupled;
    const shrink = () => p.forEach((w, i) => (p[i] = w * (1 - o.lr * decay)));
    if (decoupled && !this.bugs.decayAfterStep) shrink();
    const c1 = this.bugs.noBiasCorrection ? 1 : 1 - b1 ** s.step;
    const c2 = this.bugs.noBiasCorrection ? 1 : 1 - b2 ** s.step;
    for (let i = 0; i < p.length; i++) {
      let g = o.maximize ? -grad[i] : grad[i];
      if (!decoupled && decay !== 0 && !this.bugs.decayAfterNormalization) g += decay * p[i];
      s.m[i] = s.m[i] * b1 + (1 - b1) * g;
      s.v[i] = s.v[i] * b2 + (1 - b2) * g * g;
      s.vMax[i] = Math.max(s.vMax[i], s.v[i]);
      const second = o.amsgrad ? s.vMax[i] : s.v[i];
      let step = ((o.lr / c1) * s.m[i]) / (Math.sqrt(second) / Math.sqrt(c2) + o.eps);
      if (!decoupled && this.bugs.decayAfterNormalization) step += o.lr * decay * p[i];
      p[i] -= step;
    }
    if (decoupled && this.bugs.decayAfterStep) shrink();
  }
}

interface RMSpropBugs {
  /** Centered variance s + a² instead of s − a². */
  centeredSignError?: boolean;
  /** λ·p added to the step's numerator but left out of the square average. */
  decayOutsideAverage?: boolean;
}

class MutantRMSprop extends Optimizer<RMSpropOptions> {
  private readonly state = new Map<Tensor, { s: Float64Array; a: Float64Array; b: Float64Array }>();

  constructor(groups: ParamGroup<SGDOptions>[], options: Partial<RMSpropOptions>, private readonly bugs: RMSpropBugs) {
    super('MutantRMSprop', groups, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, options, noChecks);
  }

  protected update(param: Tensor, grad: Float64Array, o: Readonly<RMSpropOptions>): void {
    const p = param.data;
    let st = this.state.get(param);
    if (st === undefined) {
      st = { s: new Float64Array(p.length), a: new Float64Array(p.length), b: new Float64Array(p.length) };
      this.state.set(param, st);
    }
    for (let i = 0; i < p.length; i++) {
      const raw = o.maximize ? -grad[i] : grad[i];
      const g = raw + o.weightDecay * p[i];
      const averaged = this.bugs.decayOutsideAverage ? raw : g;
      st.s[i] = st.s[i] * o.alpha + (1 - o.alpha) * averaged * averaged;
      let avg = Math.sqrt(st.s[i]);
      if (o.centered) {
        st.a[i] = st.a[i] * o.alpha + (1 - o.alpha) * averaged;
        avg = Math.sqrt(this.bugs.centeredSignError ? st.s[i] + st.a[i] * st.a[i] : st.s[i] - st.a[i] * st.a[i]);
      }
      avg += o.eps;
      if (o.momentum > 0) {
        st.b[i] = st.b[i] * o.momentum + g / avg;
        p[i] -= o.lr * st.b[i];
      } else {
        p[i] -= (o.lr * g) / avg;
      }
    }
  }
}

interface AdagradBugs {
  ignoreLrDecay?: boolean;
  /** The accumulator sums the raw gradient's square, the step uses the decayed one. */
  decayAfterAccumulation?: boolean;
}

class MutantAdagrad extends Optimizer<AdagradOptions> {
  private readonly state = new Map<Tensor, { step: number; sum: Float64Array }>();

  constructor(groups: ParamGroup<SGDOptions>[], options: Partial<AdagradOptions>, private readonly bugs: AdagradBugs) {
    super('MutantAdagrad', groups, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, options, noChecks);
  }

  protected update(param: Tensor, grad: Float64Array, o: Readonly<AdagradOptions>): void {
    const p = param.data;
    let st = this.state.get(param);
    if (st === undefined) {
      st = { step: 0, sum: new Float64Array(p.length).fill(o.initialAccumulatorValue) };
      this.state.set(param, st);
    }
    st.step += 1;
    const clr = this.bugs.ignoreLrDecay ? o.lr : o.lr / (1 + (st.step - 1) * o.lrDecay);
    for (let i = 0; i < p.length; i++) {
      const raw = o.maximize ? -grad[i] : grad[i];
      const g = raw + o.weightDecay * p[i];
      const accumulated = this.bugs.decayAfterAccumulation ? raw : g;
      st.sum[i] += accumulated * accumulated;
      p[i] -= (clr * g) / (Math.sqrt(st.sum[i]) + o.eps);
    }
  }
}

interface SgdBugs {
  dampenFirstStep?: boolean;
  /** Decoupled decay applied after the SGD step instead of before. */
  decayAfterStep?: boolean;
  /** Decoupled decay computed as weightDecay (coupled). */
  coupled?: boolean;
}

class MutantSGD extends Optimizer<SGDOptions> {
  private readonly buffers = new Map<Tensor, Float64Array>();

  constructor(groups: ParamGroup<SGDOptions>[], options: Partial<SGDOptions>, private readonly decoupled: boolean, private readonly bugs: SgdBugs) {
    super('MutantSGD', groups, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, options, noChecks);
  }

  protected update(param: Tensor, grad: Float64Array, o: Readonly<SGDOptions>): void {
    const p = param.data;
    const decoupled = this.decoupled && !this.bugs.coupled;
    const shrink = () => p.forEach((w, i) => (p[i] = w * (1 - o.lr * o.weightDecay)));
    if (decoupled && !this.bugs.decayAfterStep) shrink();
    const d = Float64Array.from(grad, (g, i) => (o.maximize ? -g : g) + (decoupled ? 0 : o.weightDecay * p[i]));
    if (o.momentum !== 0) {
      let buf = this.buffers.get(param);
      if (buf === undefined) {
        buf = Float64Array.from(d, (v) => (this.bugs.dampenFirstStep ? (1 - o.dampening) * v : v));
        this.buffers.set(param, buf);
      } else for (let i = 0; i < d.length; i++) buf[i] = buf[i] * o.momentum + (1 - o.dampening) * d[i];
      for (let i = 0; i < d.length; i++) d[i] = o.nesterov ? d[i] + o.momentum * buf[i] : buf[i];
    }
    for (let i = 0; i < p.length; i++) p[i] -= o.lr * d[i];
    if (decoupled && this.bugs.decayAfterStep) shrink();
  }
}

type Build = (groups: ParamGroup<SGDOptions>[], options: Record<string, unknown>) => Optimizer<object>;

/** The reference's optimizers, except that `kind` is built broken. */
function replacing(kind: OptimizerSpec['kind'], build: Build): ReferenceOverrides {
  const factory: OptimizerFactory = (groups, spec) => {
    if (spec.kind !== kind) return makeOptimizer(groups, spec);
    const { kind: _kind, ...options } = spec;
    return build(groups, options);
  };
  return { makeOptimizer: factory };
}

const adam = (kind: 'adam' | 'adamw', bugs: AdamBugs) => replacing(kind, (g, o) => new MutantAdam(g, o as Partial<AdamOptions>, kind === 'adamw', bugs));
const rmsprop = (bugs: RMSpropBugs) => replacing('rmsprop', (g, o) => new MutantRMSprop(g, o as Partial<RMSpropOptions>, bugs));
const adagrad = (bugs: AdagradBugs) => replacing('adagrad', (g, o) => new MutantAdagrad(g, o as Partial<AdagradOptions>, bugs));
const sgd = (kind: 'sgd' | 'sgdw', bugs: SgdBugs) => replacing(kind, (g, o) => new MutantSGD(g, o as Partial<SGDOptions>, kind === 'sgdw', bugs));

/** Clears every leaf gradient before each backward: the code behaves as if it always called zero_grad. */
function alwaysZeroGrad(): () => void {
  const original = Tensor.prototype.backward;
  Tensor.prototype.backward = function (this: Tensor, grad, options) {
    const stack: Tensor[] = [this];
    const seen = new Set<Tensor>();
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      if (t.node === null) t.grad = null;
      else stack.push(...t.node.inputs);
    }
    original.call(this, grad, options);
  };
  return () => {
    Tensor.prototype.backward = original;
  };
}

export const ADAPTIVE_MUTANTS: AdaptiveMutant[] = [
  { claim: 'fixtures.torch-sgd', bug: 'dampening applied on the first momentum step', overrides: sgd('sgd', { dampenFirstStep: true }) },
  { claim: 'fixtures.torch-adam', bug: "Adam's bias corrections left out", overrides: adam('adam', { noBiasCorrection: true }) },
  { claim: 'fixtures.torch-adamw', bug: "AdamW's decay applied after the Adam step", overrides: adam('adamw', { decayAfterStep: true }) },
  { claim: 'fixtures.torch-rmsprop', bug: 'centered RMSprop adds the squared mean instead of subtracting it', overrides: rmsprop({ centeredSignError: true }) },
  { claim: 'fixtures.torch-adagrad', bug: "Adagrad's lr_decay ignored", overrides: adagrad({ ignoreLrDecay: true }) },
  {
    claim: 'fixtures.torch-thread-float32',
    bug: 'the 0.5 dropped from 0.5·‖W‖²',
    overrides: { penalties: { ...PENALTIES, 'half-norm-squared': (params, lambda) => mul(lambda, params.map((w) => pow(norm(w), 2)).reduce((a, b) => add(a, b))) } },
  },
  { claim: 'fixtures.thread-literal-pair-disagrees', bug: 'gradients cleared before every backward (zero_grad forced)', patch: alwaysZeroGrad },
  { claim: 'adaptive.adam-decay-is-half-square', bug: "Adam's weight decay added to the normalized step, not the gradient", overrides: adam('adam', { decayAfterNormalization: true }) },
  { claim: 'adaptive.rmsprop-decay-is-half-square', bug: "RMSprop's weight decay left out of the square average", overrides: rmsprop({ decayOutsideAverage: true }) },
  { claim: 'adaptive.adagrad-decay-is-half-square', bug: "Adagrad's accumulator fed the gradient before weight decay", overrides: adagrad({ decayAfterAccumulation: true }) },
  { claim: 'adaptive.adamw-is-not-adam-with-l2', bug: "AdamW's decay coupled into the gradient (Adam's)", overrides: adam('adamw', { coupled: true }) },
  { claim: 'adaptive.adamw-zero-decay-is-adam', bug: 'AdamW reads weight decay 0 as "use the default 1e-2"', overrides: adam('adamw', { zeroDecayUsesDefault: true }) },
  { claim: 'adaptive.plain-sgd-decoupled-is-coupled', bug: 'decoupled decay applied after the SGD step', overrides: sgd('sgdw', { decayAfterStep: true }) },
  { claim: 'adaptive.momentum-decoupled-differs', bug: 'decoupled decay computed as coupled weight decay', overrides: sgd('sgdw', { coupled: true }) },
  { claim: 'adaptive.updates-follow-pytorch-rule', bug: "Adam's bias corrections left out", overrides: adam('adam', { noBiasCorrection: true }) },
  { claim: 'adaptive.updates-follow-pytorch-rule', bug: 'centered RMSprop adds the squared mean instead of subtracting it', overrides: rmsprop({ centeredSignError: true }) },
  { claim: 'adaptive.updates-follow-pytorch-rule', bug: "Adagrad's lr_decay ignored", overrides: adagrad({ ignoreLrDecay: true }) },
  { claim: 'adaptive.updates-follow-pytorch-rule', bug: "AdamW's decay applied after the Adam step", overrides: adam('adamw', { decayAfterStep: true }) },
];
