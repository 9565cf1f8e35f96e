/**
 * PyTorch's updates bit for bit: every recorded PyTorch 1.13 update (the named fixtures and the
 * seeded random runs in fixtures/torch) is replayed from PyTorch's own state, one step at a time:
 * the parameters PyTorch held before step k and the gradient it stepped with go into the reference
 * optimizer, whose running state (momentum, averages, step count) has followed PyTorch's gradients
 * since step 1, and the parameters after the step must be PyTorch's, bit for bit; after the last
 * step, so must the state itself (the random runs record PyTorch's optimizer.state). That holds in the
 * 'pytorch' arithmetic (src/arith: fused multiply-adds where PyTorch's kernels fuse, correctly
 * rounded powers), in float64 and float32; the 'plain' arithmetic misses by an ulp here and there.
 */
import fc from 'fast-check';
import { arithmetic, type ArithMode } from '../src/arith/index.ts';
import { buildModel, loadParameters, makeOptimizer, parameterGroups } from '../src/backends/reference.ts';
import { fromData } from '../src/engine/index.ts';
import type { Claim } from '../src/runner/claim.ts';
import type { TrainResult } from '../src/cases/types.ts';
import { randomTorchFixtures, torchFixture, torchFixtures, type TorchFixture } from './fixture-support.ts';
import { fmt } from './support.ts';

export interface ReplayMismatch {
  step: number;
  parameter: string;
  index: number;
  got: number;
  want: number;
}

export interface Replay {
  /** Parameter elements compared (each element once per step), and state elements after the last step. */
  elements: number;
  /** Elements that differ from PyTorch's bit pattern. */
  mismatched: number;
  first: ReplayMismatch | null;
}

const sameBits = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

/** Replays every update of a recorded run from PyTorch's state in the given arithmetic. */
export function replayUpdates(fixture: TorchFixture, mode: ArithMode): Replay {
  const c = fixture.case;
  const named = [...buildModel(c.model).namedParameters()];
  loadParameters(named, c.init);
  const optimizer = makeOptimizer(parameterGroups(named, c), c.optimizer, arithmetic(mode, fixture.dtype));
  const replay: Replay = { elements: 0, mismatched: 0, first: null };
  const { grads, params } = fixture.result;
  for (let step = 0; step < params.length; step++) {
    for (const [name, p] of named) {
      p.data.set(step === 0 ? c.init[name] : params[step - 1][name]);
      p.grad = fromData(grads[step][name], p.shape);
    }
    optimizer.step();
    for (const [name, p] of named) params[step][name].forEach((want, index) => compare(replay, step + 1, name, index, p.data[index], want));
  }
  // The state the replay built from PyTorch's gradients must be PyTorch's state, key for key.
  for (const [name, p] of named) {
    const ours = optimizer.pytorchState(p);
    for (const [key, recorded] of Object.entries(fixture.state?.[name] ?? {})) {
      const label = `${name} state ${key}`;
      const mine = ours[key];
      if (typeof recorded === 'number') {
        // PyTorch's RMSprop counts steps its update never reads; the reference does not count them.
        if (key === 'step' && mine === undefined) continue;
        compare(replay, params.length, label, 0, typeof mine === 'number' ? mine : NaN, recorded);
      } else {
        const values = mine instanceof Float64Array ? mine : null;
        recorded.forEach((want, index) => compare(replay, params.length, label, index, values === null ? NaN : values[index], want));
      }
    }
  }
  return replay;
}

function compare(replay: Replay, step: number, parameter: string, index: number, got: number, want: number): void {
  replay.elements += 1;
  if (sameBits(got, want)) return;
  replay.mismatched += 1;
  replay.first ??= { step, parameter, index, got, want };
}

/** Every recorded run: the named fixtures and the random runs. */
export function allTorchRuns(): TorchFixture[] {
  return [...torchFixtures(), ...randomTorchFixtures()];
}

export const updatesBitExact: Claim = {
  id: 'fixtures.torch-updates-bit-exact',
  statement:
    "In the 'pytorch' arithmetic, every update recorded from PyTorch 1.13 (SGD, Adam, AdamW, RMSprop and Adagrad with every option; float64 and float32) is reproduced bit for bit from PyTorch's own parameters and gradient at that step, and the optimizer state the replay builds is PyTorch's, bit for bit, after the last step.",
  // The claim is about the reference optimizers' PyTorch arithmetic, which only a backend built on
  // them declares (reference-pytorch).
  requires: ['arith:pytorch'],
  runsScale: 0,
  property: () =>
    fc.asyncProperty(fc.constant(null), async () => {
      for (const fixture of allTorchRuns()) {
        const { first, mismatched, elements } = replayUpdates(fixture, 'pytorch');
        if (first !== null) {
          throw new Error(
            `${fixture.id} (${fixture.dtype}): ${mismatched} of ${elements} updated elements differ from PyTorch's; the first at step ${first.step}, ` +
              `${first.parameter}[${first.index}]: ${fmt(first.got)} versus PyTorch's ${fmt(first.want)}`,
          );
        }
      }
    }),
};

export const FUSED_PAIR = { manual: 'fused-pair-manual-l2', decay: 'fused-pair-weight-decay' } as const;

/** The elements two runs' parameters differ in, as "step k name[i]" with the difference. */
function pairDifferences(a: TrainResult, b: TrainResult): Map<string, number> {
  const found = new Map<string, number>();
  a.params.forEach((snapshot, step) => {
    for (const [name, values] of Object.entries(snapshot)) {
      values.forEach((v, i) => {
        if (!sameBits(v, b.params[step][name][i])) found.set(`step ${step + 1} ${name}[${i}]`, v - b.params[step][name][i]);
      });
    }
  });
  return found;
}

function expectBitIdentical(run: TrainResult, recorded: TrainResult, label: string): void {
  const found = pairDifferences(run, recorded);
  if (found.size > 0) {
    const [where, by] = [...found][0];
    throw new Error(`${label}: ${found.size} parameter values differ from PyTorch's recording, the first at ${where} (by ${fmt(by)})`);
  }
}

export const fusedPair: Claim = {
  id: 'fixtures.torch-fused-pair',
  statement:
    "PyTorch's float64 runs of manual λ·0.5·Σw² and of SGD(weight_decay=λ) (momentum 0.9, 8 steps) part by an ulp here and there, since weight_decay fuses λ·w into the gradient with one rounding while the penalty's gradient λ·w is rounded before it is added; the backend reproduces both whole trajectories bit for bit, so its two runs part in the same values by the same amounts.",
  requires: ['arith:pytorch', 'sgd:momentum', 'sgd:weightDecay', 'recipe:half-pow-sum'],
  runsScale: 0,
  property: (backend) =>
    fc.asyncProperty(fc.constant(null), async () => {
      const manual = torchFixture(FUSED_PAIR.manual);
      const decay = torchFixture(FUSED_PAIR.decay);
      if (pairDifferences(manual.result, decay.result).size === 0) {
        throw new Error("PyTorch's recording: the manual and weight_decay runs are bit-identical, so the pair shows nothing");
      }
      const [ownManual, ownDecay] = await Promise.all([backend.runTrain(manual.case), backend.runTrain(decay.case)]);
      expectBitIdentical(ownManual, manual.result, `${backend.name}'s manual-L2 run`);
      expectBitIdentical(ownDecay, decay.result, `${backend.name}'s weight_decay run`);
    }),
};

export const claims: Claim[] = [updatesBitExact, fusedPair];
