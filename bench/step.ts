/**
 * Microseconds per training step (forward, backward, SGD step) on the reference engine, for the
 * thread's model and for a 784-256-10 MLP. Prints figures; asserts nothing.
 */
import { Random, fromData, add, type Tensor } from '../src/engine/index.ts';
import { Linear, ReLU, Sequential, mseLoss } from '../src/nn/index.ts';
import { SGD } from '../src/optim/index.ts';
import { l2Penalty } from '../src/regularize/penalties.ts';

interface Setup {
  name: string;
  sizes: number[];
  batch: number;
}

function randomTensor(rng: Random, shape: number[]): Tensor {
  return fromData(Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
}

function measure({ name, sizes, batch }: Setup, minSeconds: number): void {
  const rng = new Random(1);
  const layers = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { rng }));
    if (i + 2 < sizes.length) layers.push(new ReLU());
  }
  const model = new Sequential(...layers);
  const x = randomTensor(rng, [batch, sizes[0]]);
  const y = randomTensor(rng, [batch, sizes[sizes.length - 1]]);
  const optimizer = new SGD(model.parameters(), { lr: 1e-4 });
  const step = () => {
    optimizer.zeroGrad();
    const loss = add(mseLoss(model.forward(x), y), l2Penalty(model.parameters(), 0.9));
    loss.backward();
    optimizer.step();
  };
  for (let i = 0; i < 3; i++) step();
  const samples: number[] = [];
  const started = performance.now();
  while (performance.now() - started < minSeconds * 1000 || samples.length < 5) {
    const reps = Math.max(1, Math.round(samples.length === 0 ? 1 : 20_000 / (samples[0] + 1)));
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) step();
    samples.push(((performance.now() - t0) * 1000) / reps);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  const params = model.parameters().reduce((acc, p) => acc + p.size, 0);
  console.log(`${name.padEnd(44)} ${String(params).padStart(8)} params  ${median.toFixed(1).padStart(10)} µs/step  (min ${samples[0].toFixed(1)}, ${samples.length} samples)`);
}

console.log(`reference engine, one training step = zeroGrad + forward + MSE + L2 penalty + backward + SGD (node ${process.version})`);
measure({ name: "thread model: 10×5 → 5 → ReLU → 1, MSE + L2", sizes: [5, 5, 1], batch: 10 }, 2);
measure({ name: 'MLP 784 → 256 → ReLU → 10, batch 64', sizes: [784, 256, 10], batch: 64 }, 5);
