/**
 * What reading a training result costs a process backend: parseTrainResult (the zod schema, every
 * number through it) against readTrainResult (src/backends/train-result.ts, one pass, zod only for
 * a malformed result), per reply, for replies of 1 to 3,000 steps of the thread's 10×5→5→1 model.
 * CPU time per reply, the minimum of 5 rounds. Prints figures; asserts nothing.
 *
 * Run: npx tsx bench/train-result.ts
 */
import { parameterShapes } from '../src/cases/model.ts';
import { parseTrainResult } from '../src/cases/schema.ts';
import type { TrainCase, TrainResult } from '../src/cases/types.ts';
import { sizeOf } from '../src/engine/shape.ts';
import { readTrainResult } from '../src/backends/train-result.ts';

const model: TrainCase['model'] = { inputSize: 10, layers: [{ outFeatures: 5, activation: 'tanh' }, { outFeatures: 1, activation: 'identity' }] };
const shapes = parameterShapes(model);

/** A reply of `steps` steps as JSON.parse gives it, with a NaN and a −0 spelled as the protocol spells them. */
function reply(steps: number): unknown {
  const snapshot = () => Object.fromEntries(shapes.map(({ name, shape }) => [name, Array.from({ length: sizeOf(shape) }, (_, i) => (i === 0 ? '-0' : Math.sin(i)))]));
  return { losses: Array.from({ length: steps }, (_, i) => (i === 0 ? 'NaN' : 1 / (i + 1))), grads: Array.from({ length: steps }, snapshot), params: Array.from({ length: steps }, snapshot) };
}

function cpuMs(read: (v: unknown, c: TrainCase) => TrainResult, value: unknown, c: TrainCase, times: number): number {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t = process.cpuUsage();
    for (let i = 0; i < times; i++) read(value, c);
    const u = process.cpuUsage(t);
    best = Math.min(best, (u.user + u.system) / 1000 / times);
  }
  return best;
}

console.log(`reading a training result (${shapes.map((s) => s.name).join(', ')}), CPU ms per reply, best of 5`);
console.log('   steps  parseTrainResult  readTrainResult   ratio');
for (const steps of [1, 30, 300, 3000]) {
  const c = { model, steps } as TrainCase;
  const value = reply(steps);
  const times = Math.max(1, Math.round(3000 / steps));
  const zod = cpuMs(parseTrainResult, value, c, times);
  const fast = cpuMs(readTrainResult, value, c, times);
  console.log(`${String(steps).padStart(8)}  ${zod.toFixed(3).padStart(16)}  ${fast.toFixed(3).padStart(15)}  ${(zod / fast).toFixed(1).padStart(6)}×`);
}
