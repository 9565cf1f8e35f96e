/**
 * The reference oracle anchored to PyTorch: runs recorded with PyTorch 1.13 (fixtures/torch,
 * written by fixtures/torch/generate.py) reproduced step by step. Each step is checked from
 * PyTorch's own state, in two halves that together make one step: the loss and gradients at
 * PyTorch's parameters (bounded by the absolute-value network), and the update, which must be
 * PyTorch's rule applied to the step's gradient for the backend's run and for PyTorch's recording
 * alike (bounded by a running error analysis of the rule; bit for bit for a backend that does the
 * reference's arithmetic). The fixtures are fixed data, so each claim checks all of its fixtures in
 * one run.
 */
import fc from 'fast-check';
import type { Backend, Capability, Dtype } from '../src/backends/backend.ts';
import type { TrainCase, TrainResult } from '../src/cases/types.ts';
import { U, precisionOf } from '../src/check/float.ts';
import type { Claim } from '../src/runner/claim.ts';
import { capabilitiesOf, checkUpdatesFollowRule, randomTorchFixtures, torchFixture, torchFixtures, type TorchFixture } from './fixture-support.ts';
import { checkGradientsAtTorchParameters } from './fixtures-gradients.ts';
import { fmt, isBitExact } from './support.ts';

/** Checks one fixture, every step; returns nothing, throws at the first step outside its bound. */
export async function expectReproduces(backend: Backend, fixture: TorchFixture): Promise<void> {
  await checkGradientsAtTorchParameters(backend, fixture);
  checkUpdatesFollowRule(fixture.case, fixture.result, fixture.dtype, `${fixture.id} (PyTorch's recording)`);
  const run = await backend.runTrain(fixture.case);
  checkUpdatesFollowRule(fixture.case, run, backend.dtype, `${fixture.id} (${backend.name}'s run)`, isBitExact(backend));
}

/**
 * The capabilities that running `fixtures` needs, worked out when a runner first asks: a claim's
 * fixtures are parsed by the thread that runs it, not by every import of the claims (the parse
 * was nearly half of it). A claim reads them through a getter (a spread would call it at once).
 */
function capabilitiesOnce(fixtures: () => readonly TorchFixture[]): () => readonly Capability[] {
  let requires: readonly Capability[] | null = null;
  return () => (requires ??= [...new Set(fixtures().flatMap((f) => capabilitiesOf(f.case)))]);
}

/** A claim over the fixtures `select` picks, which it reads only when first needed. */
function reproductionClaim(id: string, statement: string, select: () => TorchFixture[]): Claim {
  let picked: TorchFixture[] | null = null;
  const fixtures = (): TorchFixture[] => {
    picked ??= select();
    if (picked.length === 0) throw new RangeError(`${id}: no fixtures in fixtures/torch`);
    return picked;
  };
  const requires = capabilitiesOnce(fixtures);
  return {
    id,
    statement,
    get requires() {
      return requires();
    },
    // Fixed data: a second run would repeat the first exactly.
    runsScale: 0,
    property: (backend) =>
      fc.asyncProperty(fc.constant(fixtures().map((f) => f.id)), async () => {
        for (const fixture of fixtures()) await expectReproduces(backend, fixture);
      }),
  };
}

const OPTIMIZER_NAMES = { sgd: 'SGD', adam: 'Adam', adamw: 'AdamW', rmsprop: 'RMSprop', adagrad: 'Adagrad' } as const;

export const float64Claims: Claim[] = Object.entries(OPTIMIZER_NAMES).map(([kind, name]) =>
  reproductionClaim(
    `fixtures.torch-${kind}`,
    `Every float64 PyTorch 1.13 ${name} fixture is reproduced step by step: at PyTorch's parameters the loss and gradients agree within (γ_K(u) + γ_K(u′))·(the absolute-value network), u and u′ the two dtypes' unit roundoffs, and each update, the backend's and PyTorch's alike, is PyTorch's rule applied to that step's gradient within the rule's propagated rounding bound (bit for bit on a bit-exact backend).`,
    () => torchFixtures().filter((f) => f.dtype === 'float64' && f.case.optimizer.kind === kind),
  ),
);

const randomRequires = capabilitiesOnce(randomTorchFixtures);

export const randomGradientsClaim: Claim = {
  id: 'fixtures.torch-gradients-random',
  statement:
    "At PyTorch's parameters before every step of every random PyTorch 1.13 run (ReLU and tanh networks, float64 and float32), the backend's loss and gradients agree with PyTorch's within the conditioning bound: (γ_K(u) + γ_K(u′)) times the absolute-value network, the sum of |terms| at every reduction and accumulation.",
  get requires() {
    return randomRequires();
  },
  runsScale: 0,
  property: (backend) =>
    fc.asyncProperty(fc.constant(null), async () => {
      for (const fixture of randomTorchFixtures()) await checkGradientsAtTorchParameters(backend, fixture);
    }),
};

export const threadFloat32Claim = reproductionClaim(
  'fixtures.torch-thread-float32',
  "The thread's full example, recorded by PyTorch in float32 with and without zero_grad, manual L2 and weight_decay, is reproduced step by step within float32 bounds: gradients within γ_K(2⁻²⁴) + γ_K(2⁻⁵³) of the absolute-value network at PyTorch's parameters, updates within the rule's float32 rounding bound.",
  () => torchFixtures().filter((f) => f.dtype === 'float32'),
);

// ---------------------------------------------------------------- the thread's missing zero_grad

const LITERAL_MANUAL = 'thread-literal-manual-l2';
const LITERAL_DECAY = 'thread-literal-weight-decay';
const CORRECTED_MANUAL = 'thread-corrected-manual-l2';
const CORRECTED_DECAY = 'thread-corrected-weight-decay';

/** ‖a − b‖/‖b‖ over all parameters together. */
function relativeGap(a: Record<string, number[]>, b: Record<string, number[]>): number {
  let diff = 0;
  let size = 0;
  for (const [name, values] of Object.entries(b)) {
    values.forEach((v, i) => {
      diff += (a[name][i] - v) ** 2;
      size += v * v;
    });
  }
  return Math.sqrt(diff / size);
}

/** The literal pair must part by at least this fraction of ‖w‖ after 100 steps (PyTorch's recording parts by 0.38). */
export const LITERAL_GAP_AT_LEAST = 0.1;

/**
 * Without zero_grad the manual run's step-2 gradient still holds step 1's penalty gradient λ·w₀,
 * while the weight-decay run adds λ·w₁ afresh; the data gradients are the same function of w₁. So
 * w₂(manual) − w₂(decay) = −lr·λ·w₀, up to: the step-1 difference Δw₁ itself; lr times the
 * difference of the two fresh data gradients at their w₁ (zero when Δw₁ is); and roundings in the
 * dtype, at most 8 (the sums of the running gradients, the penalty's gradient, lr·d, the
 * parameter update) on terms bounded by |w₂|, lr·|G| and lr·λ·|w|, and three float64 roundings
 * here (−lr·λ·w₀ and the gap).
 */
function expectStepTwoGap(manual: TrainResult, decay: TrainResult, c: TrainCase, dtype: Dtype, freshGap: Record<string, number[]>, label: string): void {
  const { u, eta } = precisionOf(dtype);
  const lambda = c.penalty?.lambda ?? c.optimizer.weightDecay;
  const lr = c.optimizer.lr;
  for (const [name, w0] of Object.entries(c.init)) {
    w0.forEach((w, i) => {
      const [m1, d1, m2, d2] = [manual.params[0][name][i], decay.params[0][name][i], manual.params[1][name][i], decay.params[1][name][i]];
      const grads = [manual.grads[0], decay.grads[0], manual.grads[1], decay.grads[1]].reduce((s, g) => s + Math.abs(g[name][i]), 0);
      const expected = -lr * lambda * w;
      const tolerance =
        Math.abs(m1 - d1) + lr * Math.abs(freshGap[name][i]) + 8 * u * (Math.abs(m2) + Math.abs(d2) + lr * (grads + lambda * (Math.abs(w) + Math.abs(m1)))) + 8 * eta;
      const gap = m2 - d2;
      const own = 3 * U * (Math.abs(gap) + Math.abs(expected));
      if (!(Math.abs(gap - expected) <= tolerance + own)) {
        throw new Error(`${label}: at step 2, ${name}[${i}] manual minus weight_decay is ${fmt(gap)}, expected −lr·λ·w₀ = ${fmt(expected)} within ${tolerance}`);
      }
    });
  }
}

const literalRequires = capabilitiesOnce(() => [torchFixture(LITERAL_MANUAL), torchFixture(LITERAL_DECAY)]);

export const literalPairDisagrees: Claim = {
  id: 'fixtures.thread-literal-pair-disagrees',
  statement:
    "Run as posted, without zero_grad, the thread's manual 0.5·λ‖w‖² and weight_decay λ agree at step 1, part at step 2 by −lr·λ·w₀ and end 100 steps later more than a tenth of ‖w‖ apart, in PyTorch's float32 recording and in the backend's replay; with zero_grad PyTorch's two runs are bit-identical at every step.",
  get requires() {
    return literalRequires();
  },
  runsScale: 0,
  property: (backend) =>
    fc.asyncProperty(fc.constant([LITERAL_MANUAL, LITERAL_DECAY]), async () => {
      const manual = torchFixture(LITERAL_MANUAL);
      const decay = torchFixture(LITERAL_DECAY);
      const c = manual.case;
      // PyTorch: step 1 identical, so the fresh data gradients at step 2 are evaluated at the same w₁.
      const step1 = relativeGap(manual.result.params[0], decay.result.params[0]);
      if (step1 !== 0) throw new Error(`PyTorch's recording: the literal pair differs already at step 1 (relative gap ${step1})`);
      const zeros = Object.fromEntries(Object.entries(c.init).map(([name, w]) => [name, w.map(() => 0)]));
      expectStepTwoGap(manual.result, decay.result, c, manual.dtype, zeros, "PyTorch's recording");
      const recordedGap = relativeGap(manual.result.params[c.steps - 1], decay.result.params[c.steps - 1]);
      if (!(recordedGap > LITERAL_GAP_AT_LEAST)) throw new Error(`PyTorch's recording: after ${c.steps} steps the literal pair is only ${recordedGap} of ‖w‖ apart`);
      const correctedManual = torchFixture(CORRECTED_MANUAL).result.params;
      const correctedDecay = torchFixture(CORRECTED_DECAY).result.params;
      correctedManual.forEach((snapshot, step) => {
        const gap = relativeGap(snapshot, correctedDecay[step]);
        if (gap !== 0) throw new Error(`PyTorch's recording: with zero_grad the pair differs at step ${step + 1} (relative gap ${gap})`);
      });

      // The backend: its step-2 fresh data gradients at its own two w₁ are measured, not assumed equal.
      const [ownManual, ownDecay] = await Promise.all([backend.runTrain(c), backend.runTrain(decay.case)]);
      const fresh = async (run: TrainResult) => (await backend.runTrain({ ...c, penalty: null, init: run.params[0], steps: 1, zeroGrad: true })).grads[0];
      const [freshManual, freshDecay] = await Promise.all([fresh(ownManual), fresh(ownDecay)]);
      const freshGap = Object.fromEntries(Object.entries(freshManual).map(([name, g]) => [name, g.map((v, i) => v - freshDecay[name][i])]));
      expectStepTwoGap(ownManual, ownDecay, c, backend.dtype, freshGap, `${backend.name}'s replay`);
      const ownGap = relativeGap(ownManual.params[c.steps - 1], ownDecay.params[c.steps - 1]);
      if (!(ownGap > LITERAL_GAP_AT_LEAST)) throw new Error(`${backend.name}'s replay: after ${c.steps} steps the literal pair is only ${ownGap} of ‖w‖ apart`);
    }),
};

export const claims: Claim[] = [...float64Claims, randomGradientsClaim, threadFloat32Claim, literalPairDisagrees];
