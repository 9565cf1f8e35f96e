/**
 * The PyTorch arithmetic against PyTorch's recordings, and what it costs.
 *
 * Run: npx tsx bench/exact.ts
 *
 * 1. For every recorded run (fixtures/torch: the named fixtures and the random runs), each update
 *    replayed from PyTorch's state in the 'pytorch' and the 'plain' arithmetic: runs bit-identical
 *    at every step, per optimizer and per option set.
 * 2. Gradients at PyTorch's parameters, every step of every run: the largest deviation as a
 *    multiple of its conditioning bound (fixtures-gradients.ts), per dtype, and how many float64
 *    runs with zero_grad have every gradient bit-identical to PyTorch's (ReLU and tanh networks).
 * 3. The cost: a whole training step (forward, backward, update) of every recorded case and the
 *    replay of the update alone, per step in each arithmetic, and the primitives per call (fma
 *    against the unfused a·b + c, fma32 against fround(a·b + c), powInt against **).
 */
import { fma, fma32, powInt, type ArithMode } from '../src/arith/index.ts';
import { referenceBackend, runTraining } from '../src/backends/reference.ts';
import { checkGradientsAtTorchParameters } from '../properties/fixtures-gradients.ts';
import type { TrainCase } from '../src/cases/types.ts';
import { allTorchRuns, replayUpdates } from '../properties/fixtures-exact.ts';

function tags(c: TrainCase, dtype: string): string[] {
  const o = c.optimizer;
  const k = o.kind;
  const on: string[] = [k];
  const flag = (name: string, set: boolean) => set && on.push(`${k}:${name}`);
  flag('weightDecay', o.weightDecay > 0);
  flag('maximize', o.maximize);
  if (o.kind === 'sgd' || o.kind === 'sgdw') {
    flag('momentum', o.momentum > 0);
    flag('dampening', o.dampening > 0);
    flag('nesterov', o.nesterov);
  } else if (o.kind === 'adam' || o.kind === 'adamw') {
    flag('amsgrad', o.amsgrad);
  } else if (o.kind === 'rmsprop') {
    flag('momentum', o.momentum > 0);
    flag('centered', o.centered);
  } else {
    flag('lrDecay', o.lrDecay > 0);
    flag('initialAccumulatorValue', o.initialAccumulatorValue > 0);
  }
  flag('float32', dtype === 'float32');
  flag('groups', c.groups !== undefined);
  flag('noZeroGrad', !c.zeroGrad);
  flag('tanh', c.model.layers.some((l) => l.activation === 'tanh'));
  return on;
}

const runs = allTorchRuns();
const table = new Map<string, { runs: number; pytorch: number; plain: number; mismatchedPlain: number }>();
for (const fixture of runs) {
  const exact = replayUpdates(fixture, 'pytorch');
  const plain = replayUpdates(fixture, 'plain');
  for (const tag of tags(fixture.case, fixture.dtype)) {
    const row = table.get(tag) ?? { runs: 0, pytorch: 0, plain: 0, mismatchedPlain: 0 };
    row.runs += 1;
    if (exact.mismatched === 0) row.pytorch += 1;
    if (plain.mismatched === 0) row.plain += 1;
    row.mismatchedPlain += plain.mismatched;
    table.set(tag, row);
  }
}
console.log(`${runs.length} recorded runs; bit-identical at every step, per optimizer and option:\n`);
const columns = (cells: (string | number)[]) => cells.map((c, i) => (i === 0 ? String(c).padEnd(34) : String(c).padStart(i === 4 ? 21 : 8))).join(' ');
console.log(columns(['optimizer / option', 'runs', 'pytorch', 'plain', 'elements off (plain)']));
for (const [tag, row] of [...table].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(columns([tag, row.runs, row.pytorch, row.plain, row.mismatchedPlain]));
}

const backend = referenceBackend();
const largest = { float64: { use: 0, id: '' }, float32: { use: 0, id: '' } };
const bitIdentical = { relu: [0, 0], tanh: [0, 0] };
for (const fixture of runs) {
  const deviation = await checkGradientsAtTorchParameters(backend, fixture);
  const worst = largest[fixture.dtype];
  if (deviation.maxBoundUse > worst.use) Object.assign(worst, { use: deviation.maxBoundUse, id: fixture.id });
  if (fixture.dtype === 'float64' && fixture.case.zeroGrad) {
    const kind = fixture.case.model.layers.some((l) => l.activation === 'tanh') ? 'tanh' : 'relu';
    bitIdentical[kind][1] += 1;
    if (deviation.maxUlps === 0) bitIdentical[kind][0] += 1;
  }
}
console.log('\ngradients at PyTorch\'s parameters, largest |reference − PyTorch| / conditioning bound:');
for (const [dtype, worst] of Object.entries(largest)) console.log(`  ${dtype}: ${worst.use.toPrecision(3)} (${worst.id})`);
for (const [kind, [same, total]] of Object.entries(bitIdentical)) {
  console.log(`  float64 ${kind} runs with every gradient (and loss) bit-identical: ${same} of ${total}`);
}

function timePerStep(mode: ArithMode): number {
  const steps = runs.reduce((n, f) => n + f.result.params.length, 0);
  const start = performance.now();
  for (const fixture of runs) replayUpdates(fixture, mode);
  return ((performance.now() - start) * 1000) / steps;
}

function timePerCall(f: (x: number, y: number, z: number) => number, inputs: Float64Array): number {
  const calls = inputs.length / 3;
  let sink = 0;
  const start = performance.now();
  for (let r = 0; r < 20; r++) for (let i = 0; i < inputs.length; i += 3) sink += f(inputs[i], inputs[i + 1], inputs[i + 2]);
  const ns = ((performance.now() - start) * 1e6) / (20 * calls);
  if (Number.isNaN(sink)) console.log('');
  return ns;
}

function trainingPerStep(mode: ArithMode): number {
  const steps = runs.reduce((n, f) => n + f.case.steps, 0);
  const start = performance.now();
  for (const fixture of runs) runTraining(fixture.case, { arith: mode });
  return ((performance.now() - start) * 1000) / steps;
}

// Alternating rounds, the fastest of each: the machine is shared, and the minimum is the least disturbed.
for (const [label, measure] of [['whole training step', trainingPerStep], ['update alone (replay)', timePerStep]] as const) {
  let plain = Infinity;
  let exact = Infinity;
  for (let round = 0; round < 5; round++) {
    plain = Math.min(plain, measure('plain'));
    exact = Math.min(exact, measure('pytorch'));
  }
  console.log(`\n${label}, per step: plain ${plain.toFixed(1)} µs, pytorch ${exact.toFixed(1)} µs (×${(exact / plain).toFixed(2)})`);
}

const inputs = new Float64Array(3 * 100_000);
for (let i = 0; i < inputs.length; i++) inputs[i] = Math.fround((Math.random() - 0.5) * 2 ** Math.floor(Math.random() * 20 - 10));
const rows: [string, (x: number, y: number, z: number) => number][] = [
  ['a·b + c', (a, b, c) => a * b + c],
  ['fma', fma],
  ['fround(a·b + c)', (a, b, c) => Math.fround(a * b + c)],
  ['fma32', fma32],
  ['0.999 ** k', (_a, _b, c) => 0.999 ** (Math.abs(c * 1000) | 0)],
  ['powInt(0.999, k)', (_a, _b, c) => powInt(0.999, Math.abs(c * 1000) | 0)],
];
for (const [name, f] of rows) timePerCall(f, inputs);
console.log('\nper call (ns):');
for (const [name, f] of rows) console.log(`  ${name.padEnd(18)} ${timePerCall(f, inputs).toFixed(1)}`);
