/**
 * PyTorch's updates bit for bit: every recorded PyTorch 1.13 update (the named fixtures and the
 * seeded random runs in fixtures/torch) is replayed from PyTorch's own state, one step at a time:
 * the parameters PyTorch held before step k and the gradient it stepped with go into the reference
 * optimizer, whose running state (momentum, averages, step count) has followed PyTorch's gradients
 * since step 1, and the parameters after the step must be PyTorch's, bit for bit. That holds in the
 * 'pytorch' arithmetic (src/arith: fused multiply-adds where PyTorch's kernels fuse, correctly
 * rounded powers), in float64 and float32; the 'plain' arithmetic misses by an ulp here and there.
 */
import fc from 'fast-check';
import { arithmetic, type ArithMode } from '../src/arith/index.ts';
import { buildModel, loadParameters, makeOptimizer, parameterGroups } from '../src/backends/reference.ts';
import { fromData } from '../src/engine/index.ts';
import type { Claim } from '../src/runner/claim.ts';
import { randomTorchFixtures, torchFixtures, type TorchFixture } from './fixture-support.ts';
import { fmt } from './support.ts';

export interface ReplayMismatch {
  step: number;
  parameter: string;
  index: number;
  got: number;
  want: number;
}

export interface Replay {
  /** Parameter elements compared (each element once per step). */
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
    for (const [name, p] of named) {
      params[step][name].forEach((want, index) => {
        replay.elements += 1;
        if (sameBits(p.data[index], want)) return;
        replay.mismatched += 1;
        replay.first ??= { step: step + 1, parameter: name, index, got: p.data[index], want };
      });
    }
  }
  return replay;
}

/** Every recorded run: the named fixtures and the random runs. */
export function allTorchRuns(): TorchFixture[] {
  return [...torchFixtures(), ...randomTorchFixtures()];
}

export const updatesBitExact: Claim = {
  id: 'fixtures.torch-updates-bit-exact',
  statement:
    "In the 'pytorch' arithmetic, every update recorded from PyTorch 1.13 (SGD, Adam, AdamW, RMSprop and Adagrad with every option; float64 and float32) is reproduced bit for bit from PyTorch's own parameters and gradient at that step.",
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

export const claims: Claim[] = [updatesBitExact];
