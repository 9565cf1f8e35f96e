/**
 * One training step (zeroGrad + forward + MSE + L2 penalty + backward + SGD), in microseconds, on
 * the reference engine side by side with PyTorch (Debian's /usr/bin/python3 or
 * REGPROOF_TORCH_PYTHON, one thread, float64, bench/step_torch.py) and TensorFlow.js (cpu backend,
 * float32) when they are installed, as ratios; then how the step time grows with the width of the
 * model, with the fitted exponent. Prints figures; asserts nothing. `npm run bench` runs it, then
 * bench/gradcheck-cost.ts.
 *
 * Run: npx tsx bench/step.ts   (REGPROOF_BENCH_SECONDS sets the time per figure, default 2)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Random, fromData, add, type Tensor } from '../src/engine/index.ts';
import { Linear, ReLU, Sequential, mseLoss } from '../src/nn/index.ts';
import { SGD } from '../src/optim/index.ts';
import { l2Penalty } from '../src/regularize/penalties.ts';
import { torchPython } from '../src/backends/torch.ts';
import { fittedExponent } from './figures.ts';
import { positiveFromEnv } from './env.ts';

interface Setup {
  name: string;
  sizes: number[];
  batch: number;
}

const SECONDS = positiveFromEnv('REGPROOF_BENCH_SECONDS', 2);
const LAMBDA = 0.9;

/**
 * The median of repeated timings after a warm-up that lets the JIT settle, each timing over enough
 * steps for about 50 ms. Time is the process's CPU time (user + system), as on the Python side: on a
 * shared machine wall time mostly measures how long the process waited for a core.
 */
function medianMicroseconds(step: () => void, minSeconds: number): number {
  const cpu = () => {
    const { user, system } = process.cpuUsage();
    return user + system;
  };
  const warmStart = cpu();
  let warmSteps = 0;
  for (const until = performance.now() + 250 * Math.min(1, minSeconds); warmSteps < 3 || performance.now() < until; warmSteps++) step();
  const reps = Math.max(1, Math.ceil(50_000 / ((cpu() - warmStart) / warmSteps)));
  const samples: number[] = [];
  const started = performance.now();
  while (performance.now() - started < minSeconds * 1000 || samples.length < 5) {
    const t0 = cpu();
    for (let i = 0; i < reps; i++) step();
    samples.push((cpu() - t0) / reps);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function referenceStep({ sizes, batch }: Setup): () => void {
  const rng = new Random(1);
  const layers = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { rng }));
    if (i + 2 < sizes.length) layers.push(new ReLU());
  }
  const model = new Sequential(...layers);
  const normal = (shape: number[]): Tensor => fromData(Float64Array.from({ length: shape[0] * shape[1] }, () => rng.normal()), shape);
  const x = normal([batch, sizes[0]]);
  const y = normal([batch, sizes[sizes.length - 1]]);
  const params = model.parameters();
  const optimizer = new SGD(params, { lr: 1e-4 });
  return () => {
    optimizer.zeroGrad();
    add(mseLoss(model.forward(x), y), l2Penalty(params, LAMBDA)).backward();
    optimizer.step();
  };
}

/** PyTorch's figures for every setup from one child process, or the reason there are none. */
function torchFigures(setups: Setup[], minSeconds: number): number[] | string {
  const script = fileURLToPath(new URL('step_torch.py', import.meta.url));
  const input = JSON.stringify({ setups: setups.map(({ sizes, batch }) => ({ sizes, batch })), minSeconds });
  const run = spawnSync(torchPython(), [script], { input, encoding: 'utf8', timeout: 600_000 });
  if (run.error !== undefined) return `cannot run ${torchPython()}: ${run.error.message}`;
  if (run.status !== 0) return `${torchPython()} ${script} failed: ${run.stderr.trim().split('\n').pop()}`;
  return run.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { us: number }).us);
}

type Tfjs = typeof import('@tensorflow/tfjs');

async function loadTfjs(): Promise<Tfjs | string> {
  try {
    const tf = (await import('@tensorflow/tfjs')) as Tfjs;
    await tf.setBackend('cpu');
    return tf;
  } catch (e) {
    return `@tensorflow/tfjs is not installed (${(e as Error).message.split('\n')[0]})`;
  }
}

function tfjsStep(tf: Tfjs, { sizes, batch }: Setup): () => void {
  const weights: import('@tensorflow/tfjs').Variable[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const bound = 1 / Math.sqrt(sizes[i]);
    weights.push(tf.variable(tf.randomUniform([sizes[i], sizes[i + 1]], -bound, bound)), tf.variable(tf.randomUniform([sizes[i + 1]], -bound, bound)));
  }
  const x = tf.randomNormal([batch, sizes[0]]);
  const y = tf.randomNormal([batch, sizes[sizes.length - 1]]);
  const optimizer = tf.train.sgd(1e-4);
  return () => {
    const cost = optimizer.minimize(() => {
      let h: import('@tensorflow/tfjs').Tensor = x;
      for (let i = 0; i < weights.length; i += 2) {
        h = tf.add(tf.matMul(h, weights[i]), weights[i + 1]);
        if (i + 2 < weights.length) h = tf.relu(h);
      }
      const penalty = weights.map((w) => tf.sum(tf.square(w))).reduce((a, b) => tf.add(a, b));
      return tf.add(tf.losses.meanSquaredError(y, h), tf.mul(LAMBDA, tf.mul(0.5, penalty))) as import('@tensorflow/tfjs').Scalar;
    }, true);
    cost?.dispose();
  };
}

const fmt = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);
const ratio = (other: number | undefined, reference: number) => (other === undefined ? '' : `${(other / reference).toFixed(2)}×`);

const SETUPS: Setup[] = [
  { name: 'thread model 10×5 → 5 → ReLU → 1', sizes: [5, 5, 1], batch: 10 },
  { name: 'MLP 784 → 256 → ReLU → 10, batch 64', sizes: [784, 256, 10], batch: 64 },
];

const WIDTHS = [8, 16, 32, 64, 128, 256, 512];
const SCALING: Setup[] = WIDTHS.map((w) => ({ name: `${w} → ${w} → ReLU → ${w}, batch 64`, sizes: [w, w, w], batch: 64 }));

console.log(`one training step = zeroGrad + forward + MSE + L2 penalty + backward + SGD (node ${process.version});`);
console.log(`CPU time per step, the median of timings over ${SECONDS} s each`);
console.log('ratios are the other framework\'s time over the reference engine\'s: above 1 means the reference engine is faster\n');
const reference = SETUPS.map((s) => medianMicroseconds(referenceStep(s), SECONDS));
const torch = torchFigures(SETUPS, SECONDS);
const tf = await loadTfjs();
const tfjs = typeof tf === 'string' ? tf : SETUPS.map((s) => medianMicroseconds(tfjsStep(tf, s), SECONDS));
console.log(`${'model'.padEnd(40)} ${'reference f64'.padStart(14)} ${'PyTorch f64'.padStart(13)} ${'ratio'.padStart(8)} ${'tfjs cpu f32'.padStart(13)} ${'ratio'.padStart(8)}`);
SETUPS.forEach((s, i) => {
  const t = typeof torch === 'string' ? undefined : torch[i];
  const f = typeof tfjs === 'string' ? undefined : tfjs[i];
  console.log(`${s.name.padEnd(40)} ${fmt(reference[i]).padStart(14)} ${(t === undefined ? '-' : fmt(t)).padStart(13)} ${ratio(t, reference[i]).padStart(8)} ${(f === undefined ? '-' : fmt(f)).padStart(13)} ${ratio(f, reference[i]).padStart(8)}`);
});
if (typeof torch === 'string') console.log(`PyTorch: ${torch}`);
if (typeof tfjs === 'string') console.log(`tfjs: ${tfjs}`);

console.log('\nstep time against width (w → w → ReLU → w, batch 64: the products cost 6·64·w² multiply-adds)');
const scaleSeconds = SECONDS / 2;
const scaled = SCALING.map((s) => medianMicroseconds(referenceStep(s), scaleSeconds));
const torchScaled = torchFigures(SCALING, scaleSeconds);
console.log(`${'width'.padStart(6)} ${'reference'.padStart(12)} ${'PyTorch'.padStart(12)} ${'ratio'.padStart(8)}`);
WIDTHS.forEach((w, i) => {
  const t = typeof torchScaled === 'string' ? undefined : torchScaled[i];
  console.log(`${String(w).padStart(6)} ${fmt(scaled[i]).padStart(12)} ${(t === undefined ? '-' : fmt(t)).padStart(12)} ${ratio(t, scaled[i]).padStart(8)}`);
});
const upper = WIDTHS.length - 4;
const exponents = (times: number[]) =>
  `${fittedExponent(WIDTHS, times).toFixed(2)} over every width, ${fittedExponent(WIDTHS.slice(upper), times.slice(upper)).toFixed(2)} over the largest four`;
console.log(`fitted exponent (time ∝ width^e): reference ${exponents(scaled)}`);
if (typeof torchScaled !== 'string') console.log(`                                  PyTorch   ${exponents(torchScaled)}`);
