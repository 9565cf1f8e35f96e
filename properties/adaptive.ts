/**
 * Adam, AdamW, RMSprop and Adagrad, and decoupled weight decay. Adam, RMSprop and Adagrad consume
 * nothing but the gradient, so their coupled weightDecay λ (λ·w added to the gradient) is the
 * penalty λ·0.5·Σw² ("gradient identity implies trajectory identity"). AdamW's decoupled decay
 * shrinks w outside the normalized step and is not any penalty; for plain SGD decoupling changes
 * nothing but roundings, and with momentum it changes the trajectory (Loshchilov & Hutter 2019,
 * propositions 1 and 2). Where the backend does the reference's arithmetic the identities are
 * bit for bit; elsewhere they are checked one step at a time within bounds derived from the
 * update's roundings.
 */
import fc from 'fast-check';
import type { Backend } from '../src/backends/backend.ts';
import { arbitrariesFor, type Arbitraries } from '../src/cases/arbitraries.ts';
import type { AdagradSpec, AdamSpec, AdamWSpec, OptimizerSpec, RMSpropSpec, SGDSpec, SGDWSpec, TrainCase, TrainResult } from '../src/cases/types.ts';
import { ETA, U, precisionOf } from '../src/check/float.ts';
import type { Claim } from '../src/runner/claim.ts';
import { agrees, checkUpdatesFollowRule, discardIllConditioned, elementRule, MutualRounding } from './fixture-support.ts';
import { Divergence, SGD_TRAINING, TRAINING, expectIdenticalTrajectories, fmt, isBitExact, metamorphicSteps, withPenalty, withWeightDecay } from './support.ts';

// ---------------------------------------------------------------- arbitraries

type AdaptiveKind = 'adam' | 'adamw' | 'rmsprop' | 'adagrad';
type SpecOf<K extends AdaptiveKind> = K extends 'adam' ? AdamSpec : K extends 'adamw' ? AdamWSpec : K extends 'rmsprop' ? RMSpropSpec : AdagradSpec;

export interface AdaptiveOptions {
  maximize?: fc.Arbitrary<boolean>;
  weightDecay?: fc.Arbitrary<number>;
  /** Other optimizers the same settings are sent to (AdamW alongside Adam): options are drawn only where all of them declare it. */
  alongside?: readonly AdaptiveKind[];
}

const GRID = 2 ** 20;

/**
 * A number in [min, max] the dtype represents: half the time fast-check's own draw, which favours
 * the ends and tiny magnitudes (the edge cases), half the time uniform over the interval (the
 * settings people use), so that a bug in, say, lr_decay is not hidden behind values of 1e-300.
 */
function spread(A: Arbitraries, min: number, max: number): fc.Arbitrary<number> {
  return fc.oneof(A.num(min, max), fc.integer({ min: 0, max: GRID }).map((k) => A.round(min + ((max - min) * k) / GRID)));
}

/**
 * Every setting PyTorch accepts, with PyTorch's defaults drawn often: betas in [0, 1), eps from
 * 1e-12 to 1e-3, log-uniform (eps = 0 divides 0 by 0 wherever a gradient is 0, as in PyTorch),
 * RMSprop's alpha in [0, 1], momentum in [0, 0.99], Adagrad's lr_decay and initial accumulator in
 * [0, 1]. weightDecay is 0 unless given. Every number is one the backend's dtype represents.
 */
export function adaptiveArb<K extends AdaptiveKind>(A: Arbitraries, kind: K, options: AdaptiveOptions = {}): fc.Arbitrary<SpecOf<K>> {
  const usual = (value: number, min: number, max: number) => fc.oneof(fc.constant(A.round(value)), spread(A, min, max));
  const supported = (option: string) => [kind, ...(options.alongside ?? [])].every((k) => A.supports(option, k));
  const flag = (option: string) => (supported(option) ? fc.boolean() : fc.constant(false));
  const amount = (option: string, arb: fc.Arbitrary<number>) => (supported(option) ? arb : fc.constant(0));
  const maximize = options.maximize ?? flag('maximize');
  const weightDecay = amount('weightDecay', options.weightDecay ?? fc.constant(0));
  const eps = (value: number) => fc.oneof(fc.constant(A.round(value)), fc.integer({ min: 0, max: GRID }).map((k) => A.round(10 ** (-12 + (9 * k) / GRID))));
  const arb: fc.Arbitrary<OptimizerSpec> =
    kind === 'adam' || kind === 'adamw'
      ? fc.record({
          kind: fc.constant(kind as 'adam' | 'adamw'),
          lr: A.lr,
          betas: fc.tuple(usual(0.9, 0, 0.99), usual(0.999, 0, 0.9999)),
          eps: eps(1e-8),
          weightDecay,
          amsgrad: flag('amsgrad'),
          maximize,
        })
      : kind === 'rmsprop'
        ? fc.record({
            kind: fc.constant('rmsprop' as const),
            lr: A.lr,
            alpha: usual(0.99, 0, 1),
            eps: eps(1e-8),
            weightDecay,
            momentum: amount('momentum', fc.oneof(fc.constant(0), spread(A, 0, 0.99))),
            centered: flag('centered'),
            maximize,
          })
        : fc.record({
            kind: fc.constant('adagrad' as const),
            lr: A.lr,
            lrDecay: amount('lrDecay', fc.oneof(fc.constant(0), spread(A, 0, 1))),
            weightDecay,
            initialAccumulatorValue: amount('initialAccumulatorValue', fc.oneof(fc.constant(0), spread(A, 0, 1))),
            eps: eps(1e-10),
            maximize,
          });
  return arb as fc.Arbitrary<SpecOf<K>>;
}

/** SGD with momentum μ > 0 (and any dampening; nesterov where PyTorch allows it), maximize off. */
function momentumSgdArb(A: Arbitraries): fc.Arbitrary<SGDSpec> {
  return fc
    .record({ lr: A.lr, momentum: spread(A, 1e-3, 0.99), dampening: A.supports('dampening') && A.supports('dampening', 'sgdw') ? fc.oneof(fc.constant(0), spread(A, 0, 1)) : fc.constant(0) })
    .chain((o) => (o.dampening === 0 && A.supports('nesterov') && A.supports('nesterov', 'sgdw') ? fc.boolean() : fc.constant(false)).map((nesterov): SGDSpec => ({ kind: 'sgd', ...o, nesterov, maximize: false, weightDecay: 0 })));
}

const decoupledSgd = (o: SGDSpec, weightDecay: number): SGDWSpec => ({ ...o, kind: 'sgdw', weightDecay });

/** Decoupled-decay SGD with the options the backend declares for sgdw (the SGD arbitrary asks about sgd's, so they are switched off here where sgdw lacks one). */
function sgdwArb(A: Arbitraries): fc.Arbitrary<SGDWSpec> {
  const off = (option: 'momentum' | 'dampening' | 'maximize' | 'nesterov', o: SGDSpec) => (A.supports(option, 'sgdw') ? o[option] : typeof o[option] === 'boolean' ? false : 0);
  return fc.record({ sgd: A.sgd(), lambda: A.supports('weightDecay', 'sgdw') ? A.lambda : fc.constant(0) }).map(({ sgd: o, lambda }) => {
    const momentum = off('momentum', o) as number;
    return decoupledSgd({ ...o, momentum, dampening: off('dampening', o) as number, maximize: off('maximize', o) as boolean, nesterov: momentum > 0 && (off('nesterov', o) as boolean) }, lambda);
  });
}

// ---------------------------------------------------------------- one step, bounded

/**
 * One step of two runs from the same parameters that must agree, each run under its optimizer
 * spec and weight decay 0. On a backend that is not bit-exact each run lands within its rule's
 * mutual bound of the rule's float64 value, and the callers pick pairs whose float64 values
 * coincide, so the runs agree within the sum of the two bounds.
 */
function expectWithinRuleBounds(backend: Backend, c: TrainCase, a: { run: TrainResult; spec: OptimizerSpec }, b: typeof a, labels: [string, string]): void {
  const R = new MutualRounding(backend.dtype);
  for (const [name, init] of Object.entries(c.init)) {
    init.forEach((w, i) => {
      const ra = elementRule(a.spec, 0, R)(w, a.run.grads[0][name][i]);
      const rb = elementRule(b.spec, 0, R)(w, b.run.grads[0][name][i]);
      const pa = a.run.params[0][name][i];
      const pb = b.run.params[0][name][i];
      const tolerance = ra.e + rb.e;
      if (!agrees(pa, { v: pb, e: tolerance, ill: ra.ill || rb.ill }, false, () => `${name}[${i}]`)) throw new Divergence(`the runs (beyond ${tolerance})`, 0, name, i, pa, pb, labels);
    });
  }
}

// ---------------------------------------------------------------- coupled decay is the half-square penalty

function decayIsHalfSquare(kind: 'adam' | 'rmsprop' | 'adagrad', title: string): Claim {
  return {
    id: `adaptive.${kind}-decay-is-half-square`,
    statement: `${title}(weightDecay λ) equals ${title} on the objective with λ·0.5·Σw² added (subtracted under maximize, which negates the gradient before adding the decay): bit for bit at every step on a bit-exact backend, elsewhere within the step's rounding bound after one step.`,
    requires: [...TRAINING, `optimizer:${kind}`, `${kind}:weightDecay`, 'recipe:half-pow-sum'],
    property: (backend) => {
      const A = arbitrariesFor(backend);
      const cases = fc.record({ case: A.trainCase({ optimizer: adaptiveArb(A, kind), steps: metamorphicSteps(backend) }), lambda: A.lambda });
      return fc.asyncProperty(cases, async ({ case: c, lambda }) => {
        const sign = c.optimizer.maximize ? 'subtract' : 'add';
        const labels: [string, string] = [`${sign === 'add' ? '+' : '−'}λ·0.5·Σw² (λ=${lambda})`, `weightDecay ${lambda}`];
        const [manual, decayed] = await Promise.all([backend.runTrain(withPenalty(c, 'half-pow-sum', lambda, { sign })), backend.runTrain(withWeightDecay(c, lambda))]);
        if (isBitExact(backend)) {
          expectIdenticalTrajectories(manual, decayed, labels);
          return;
        }
        discardIllConditioned(() => expectPenaltyGradientStep(backend, c, lambda, manual, decayed, labels));
      });
    },
  };
}

/**
 * One step elsewhere. Both runs compute the data gradient g at the same parameters by the same
 * operations, so the manual run's gradient is fl(g ± π) with π the penalty's gradient, λ·w within
 * 3 roundings (λ·0.5 and ·2w, and λ's cast to the dtype): within δ = u·|G| + 3u·λ·|w| of g ± λ·w,
 * which the float64 rule computes as d within U·(|d| + λ|w|). The weight-decay rule fed g and the
 * plain rule fed d then do the same operations on the same value, so their float64 results are
 * equal, and each run is within its rule's bound, the manual one's carrying δ through the step.
 */
function expectPenaltyGradientStep(backend: Backend, c: TrainCase, lambda: number, manual: TrainResult, decayed: TrainResult, labels: [string, string]): void {
  const { u, eta } = precisionOf(backend.dtype);
  const R = new MutualRounding(backend.dtype);
  const sign = c.optimizer.maximize ? -1 : 1;
  for (const [name, init] of Object.entries(c.init)) {
    init.forEach((w, i) => {
      const g = decayed.grads[0][name][i];
      const G = manual.grads[0][name][i];
      const d = sign * g + lambda * w;
      const delta = u * Math.abs(G) + 3 * u * lambda * Math.abs(w) + U * (Math.abs(d) + lambda * Math.abs(w)) + 4 * (eta + ETA);
      if (!(Math.abs(sign * G - d) <= delta)) {
        throw new Divergence(`the gradients (beyond ${delta})`, 0, name, i, G, sign * d, [labels[0], 'g ± λ·w']);
      }
      const rd = elementRule(c.optimizer, lambda, R)(w, g);
      const rm = elementRule(c.optimizer, 0, R)(w, sign * d, delta);
      const pm = manual.params[0][name][i];
      const pd = decayed.params[0][name][i];
      const tolerance = rd.e + rm.e;
      if (!agrees(pm, { v: pd, e: tolerance, ill: rd.ill || rm.ill }, false, () => `${name}[${i}]`)) throw new Divergence(`the runs (beyond ${tolerance})`, 0, name, i, pm, pd, labels);
    });
  }
}

export const adamDecayIsHalfSquare = decayIsHalfSquare('adam', 'Adam');
export const rmspropDecayIsHalfSquare = decayIsHalfSquare('rmsprop', 'RMSprop');
export const adagradDecayIsHalfSquare = decayIsHalfSquare('adagrad', 'Adagrad');

// ---------------------------------------------------------------- AdamW versus Adam with L2

/**
 * The first step of Adam fed gradient G is −lr·G/(|G| + ε) (m̂ = G, √v̂ = |G|), so AdamW(λ)
 * (w·(1 − lr·λ), then the step with g) minus Adam with the penalty (the step with G = g + λw) is
 * lr·(G/(|G| + ε) − g/(|g| + ε) − λ·w). Roundings, per side: the update's normalized step
 * G/(|G|(1 + 5u) + ε) with about 10 roundings on lr·|ĝ| ≤ lr, the new parameter's one, AdamW's
 * decay factor and product (3 on |w|), and for a float32 backend the casts of lr, β and ε; here:
 * ĝ's two, the differences and products, 4U on lr·(|ĝ_G| + |ĝ_g| + λ|w|), one on the result.
 */
export const adamwIsNotAdamWithL2: Claim = {
  id: 'adaptive.adamw-is-not-adam-with-l2',
  statement:
    'With λ > 0 and maximize off, one AdamW(λ) step and one Adam step on the objective plus λ·0.5·Σw² from the same parameters part by lr·(G/(|G| + ε) − g/(|g| + ε) − λ·w) per element, g the gradient and G = g + λ·w: by −lr·λ·w wherever |g| ≫ ε and g, G share a sign, the decay that Adam\'s normalization cancels.',
  requires: [...TRAINING, 'optimizer:adam', 'optimizer:adamw', 'adamw:weightDecay', 'recipe:half-pow-sum'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const { u, eta } = precisionOf(backend.dtype);
    const cases = A.trainCase({ optimizer: adaptiveArb(A, 'adam', { maximize: fc.constant(false), alongside: ['adamw'] }), steps: fc.constant(1) });
    return fc.asyncProperty(fc.record({ case: cases, lambda: A.positiveLambda }), async ({ case: c, lambda }) => {
      const decoupled: TrainCase<AdamWSpec> = { ...c, optimizer: { ...c.optimizer, kind: 'adamw', weightDecay: lambda } };
      const [adamL2, adamW] = await Promise.all([backend.runTrain(withPenalty(c, 'half-pow-sum', lambda)), backend.runTrain(decoupled)]);
      const { lr, eps } = c.optimizer;
      for (const [name, init] of Object.entries(c.init)) {
        init.forEach((w, i) => {
          const g = adamW.grads[0][name][i];
          const G = adamL2.grads[0][name][i];
          const normalizedG = G / (Math.abs(G) + eps);
          const normalizedg = g / (Math.abs(g) + eps);
          const expected = lr * (normalizedG - normalizedg) - lr * lambda * w;
          const pA = adamL2.params[0][name][i];
          const pW = adamW.params[0][name][i];
          const gap = pW - pA;
          const tolerance =
            u * (Math.abs(pA) + Math.abs(pW) + 4 * Math.abs(w) + 32 * lr) + U * (4 * lr * (Math.abs(normalizedG) + Math.abs(normalizedg) + lambda * Math.abs(w)) + Math.abs(expected) + Math.abs(gap)) + 8 * (eta + ETA);
          if (!(Math.abs(gap - expected) <= tolerance)) {
            throw new Error(`${name}[${i}]: AdamW minus Adam+L2 after one step is ${fmt(gap)}, expected lr·(G/(|G|+ε) − g/(|g|+ε) − λw) = ${fmt(expected)} within ${tolerance} (g ${fmt(g)}, G ${fmt(G)}, w ${fmt(w)})`);
          }
        });
      }
    });
  },
};

export const adamwZeroDecayIsAdam: Claim = {
  id: 'adaptive.adamw-zero-decay-is-adam',
  statement: 'At λ = 0 AdamW is Adam (its decay multiplies by exactly 1): bit for bit at every step on a bit-exact backend, elsewhere within the step\'s rounding bound after one step.',
  requires: [...TRAINING, 'optimizer:adam', 'optimizer:adamw'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    return fc.asyncProperty(A.trainCase({ optimizer: adaptiveArb(A, 'adam', { alongside: ['adamw'] }), steps: metamorphicSteps(backend) }), async (c) => {
      const decoupled: TrainCase<AdamWSpec> = { ...c, optimizer: { ...c.optimizer, kind: 'adamw' } };
      const [adam, adamW] = await Promise.all([backend.runTrain(c), backend.runTrain(decoupled)]);
      const labels: [string, string] = ['Adam', 'AdamW(0)'];
      if (isBitExact(backend)) {
        expectIdenticalTrajectories(adam, adamW, labels);
        return;
      }
      discardIllConditioned(() => expectWithinRuleBounds(backend, c, { run: adam, spec: c.optimizer }, { run: adamW, spec: decoupled.optimizer }, labels));
    });
  },
};

// ---------------------------------------------------------------- decoupled decay with SGD

/**
 * Plain SGD, one step from the same parameters: coupled p + (−lr)·(±g + λ·p) and decoupled
 * p·(1 − lr·λ) + (−lr)·(±g) are equal in exact arithmetic. Roundings: coupled, λ·p, the sum,
 * lr·d and the update, at most u·lr·(λ|p| + 2|d|) + u·|p'|; decoupled, lr·λ and 1 − lr·λ (u|p|
 * once multiplied by p), the product, lr·g and the update. Each side's total is below
 * 3u·(|p| + |p'| + lr·(|g| + λ|p|)); for a float32 backend the casts of lr and λ add one more.
 */
function decoupledStepTolerance(u: number, eta: number, p: number, pc: number, pw: number, lr: number, g: number, lambda: number): number {
  return 4 * u * (Math.abs(p) + Math.abs(pc) + Math.abs(pw) + lr * (Math.abs(g) + lambda * Math.abs(p))) + 8 * eta;
}

export const plainSgdDecoupledIsCoupled: Claim = {
  id: 'adaptive.plain-sgd-decoupled-is-coupled',
  statement: "Without momentum, one SGD step with decoupled decay λ (w·(1 − lr·λ) first) equals one with weightDecay λ from any parameters, to within 4 roundings of |w|, |w'| and lr·(|g| + λ|w|) per element, maximize on or off.",
  requires: [...SGD_TRAINING, 'optimizer:sgdw', 'sgd:weightDecay', 'sgdw:weightDecay'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const { u, eta } = precisionOf(backend.dtype);
    const maximize = A.supports('maximize') && A.supports('maximize', 'sgdw') ? fc.boolean() : fc.constant(false);
    const plain = A.sgd({ maximize }).map((o): SGDSpec => ({ ...o, momentum: 0, dampening: 0, nesterov: false }));
    return fc.asyncProperty(fc.record({ case: A.trainCase({ optimizer: plain, steps: fc.constant(1) }), lambda: A.lambda }), async ({ case: c, lambda }) => {
      const [coupled, decoupled] = await Promise.all([backend.runTrain(withWeightDecay(c, lambda)), backend.runTrain({ ...c, optimizer: decoupledSgd(c.optimizer, lambda) })]);
      for (const [name, init] of Object.entries(c.init)) {
        init.forEach((p, i) => {
          const pc = coupled.params[0][name][i];
          const pw = decoupled.params[0][name][i];
          const tolerance = decoupledStepTolerance(u, eta, p, pc, pw, c.optimizer.lr, coupled.grads[0][name][i], lambda);
          if (!(Math.abs(pc - pw) <= tolerance)) throw new Divergence(`coupled and decoupled decay (beyond ${tolerance})`, 0, name, i, pc, pw, ['weightDecay', 'decoupled']);
        });
      }
    });
  },
};

/**
 * Heavy ball (momentum μ, dampening τ): step 1 is the same for both (the buffer is the first
 * gradient); at step 2 coupled minus decoupled is lr·λ·(τ·w₁ − μ·w₀) − lr·(1 − τ)·(g₂ − g₂'),
 * where g₂ and g₂' are the data gradients each run met at its own w₁ (equal but for the step-1
 * rounding, so the term is measured). Nesterov: step 1 already parts, by −lr·μ·λ·w₀. Roundings:
 * both runs' two steps, each term bounded by |w| and lr·(1 + μ)·(|g| + λ|w|), at most 8 per side,
 * plus the step-1 difference |w₁ − w₁'| carried into step 2, and 4 here.
 */
export const momentumDecoupledDiffers: Claim = {
  id: 'adaptive.momentum-decoupled-differs',
  statement:
    'With momentum μ > 0, λ > 0 and maximize off, decoupled decay stops being weightDecay: heavy-ball runs agree at step 1 and part at step 2 by lr·λ·(τ·w₁ − μ·w₀) (τ the dampening), nesterov runs part at step 1 by −lr·μ·λ·w₀, up to roundings and the measured step-2 gradient difference.',
  requires: [...SGD_TRAINING, 'optimizer:sgdw', 'sgd:weightDecay', 'sgdw:weightDecay', 'sgd:momentum', 'sgdw:momentum'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const { u, eta } = precisionOf(backend.dtype);
    return fc.asyncProperty(fc.record({ case: A.trainCase({ optimizer: momentumSgdArb(A), steps: fc.constant(2) }), lambda: A.positiveLambda }), async ({ case: c, lambda }) => {
      const [coupled, decoupled] = await Promise.all([backend.runTrain(withWeightDecay(c, lambda)), backend.runTrain({ ...c, optimizer: decoupledSgd(c.optimizer, lambda) })]);
      const { lr, momentum: mu, dampening: tau, nesterov } = c.optimizer;
      for (const [name, init] of Object.entries(c.init)) {
        init.forEach((w0, i) => {
          const [c1, d1, c2, d2] = [coupled.params[0], decoupled.params[0], coupled.params[1], decoupled.params[1]].map((s) => s[name][i]);
          const [g1, gc2, gd2] = [coupled.grads[0], coupled.grads[1], decoupled.grads[1]].map((s) => s[name][i]);
          const scale = Math.abs(w0) + Math.abs(c1) + Math.abs(d1) + Math.abs(c2) + Math.abs(d2) + lr * (1 + mu) * (Math.abs(g1) + Math.abs(gc2) + Math.abs(gd2) + lambda * (Math.abs(w0) + Math.abs(c1)));
          if (nesterov) {
            const expected = -lr * mu * lambda * w0;
            const tolerance = 8 * u * scale + 4 * U * Math.abs(expected) + 16 * eta;
            if (!(Math.abs(c1 - d1 - expected) <= tolerance)) {
              throw new Error(`nesterov, ${name}[${i}]: coupled minus decoupled after step 1 is ${fmt(c1 - d1)}, expected −lr·μ·λ·w₀ = ${fmt(expected)} within ${tolerance}`);
            }
            return;
          }
          const first = decoupledStepTolerance(u, eta, w0, c1, d1, lr, g1, lambda);
          if (!(Math.abs(c1 - d1) <= first)) throw new Divergence(`heavy-ball coupled and decoupled decay (beyond ${first})`, 0, name, i, c1, d1, ['weightDecay', 'decoupled']);
          const gradientTerm = lr * (1 - tau) * (gc2 - gd2);
          const expected = lr * lambda * (tau * c1 - mu * w0) - gradientTerm;
          const tolerance = 8 * u * scale + 2 * Math.abs(c1 - d1) + 4 * U * (lr * lambda * (tau * Math.abs(c1) + mu * Math.abs(w0)) + Math.abs(gradientTerm) + Math.abs(expected)) + 16 * eta;
          if (!(Math.abs(c2 - d2 - expected) <= tolerance)) {
            throw new Error(`heavy ball, ${name}[${i}]: coupled minus decoupled after step 2 is ${fmt(c2 - d2)}, expected lr·λ·(τ·w₁ − μ·w₀) − lr·(1 − τ)·Δg₂ = ${fmt(expected)} within ${tolerance}`);
          }
        });
      }
    });
  },
};

// ---------------------------------------------------------------- the update rules themselves

const RULE_KINDS = ['adam', 'adamw', 'rmsprop', 'adagrad'] as const;

/**
 * Metamorphic claims cannot see a bug both of their sides share (a bias correction left out, a
 * sign in the centered variance), so this one replays the gradients a backend used through
 * PyTorch's rule written out per element (fixture-support.ts), which the PyTorch fixtures check
 * against PyTorch itself.
 */
export const updatesFollowPytorchRule: Claim = {
  id: 'adaptive.updates-follow-pytorch-rule',
  statement:
    "Fed the gradients it used, each step of Adam, AdamW, RMSprop, Adagrad (and decoupled-decay SGD, where the backend has it) lands where PyTorch 1.13's single-tensor rule puts it, for every setting and weight decay: bit for bit on a bit-exact backend, elsewhere within the rule's propagated rounding bound.",
  requires: [...TRAINING, [...RULE_KINDS, 'sgdw'].map((k) => `optimizer:${k}`).join('|')],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const kinds = [...RULE_KINDS, 'sgdw' as const].filter((k) => A.has(`optimizer:${k}`));
    const spec = fc.constantFrom(...kinds).chain(
      (kind): fc.Arbitrary<OptimizerSpec> =>
        kind === 'sgdw' ? sgdwArb(A) : adaptiveArb(A, kind, { weightDecay: A.lambda }),
    );
    return fc.asyncProperty(A.trainCase({ optimizer: spec, steps: fc.integer({ min: 1, max: 8 }) }), async (c) => {
      const run = await backend.runTrain(c);
      discardIllConditioned(() => checkUpdatesFollowRule(c, run, backend.dtype, `${c.optimizer.kind} on ${backend.name}`, isBitExact(backend)));
    });
  },
};

export const claims: Claim[] = [
  adamDecayIsHalfSquare,
  rmspropDecayIsHalfSquare,
  adagradDecayIsHalfSquare,
  adamwIsNotAdamWithL2,
  adamwZeroDecayIsAdam,
  plainSgdDecoupledIsCoupled,
  momentumDecoupledDiffers,
  updatesFollowPytorchRule,
];
