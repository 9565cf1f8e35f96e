/**
 * The matrix-product kernels side by side: for each of matmul's three products (forward a·b,
 * backward g·bᵀ and aᵀ·g) and a range of sizes, the JavaScript kernel's and the WebAssembly SIMD
 * kernel's time, in CPU microseconds per product (the best of several timings), and the multiply-
 * adds per second. It shows where SIMD_MIN_WORK (src/engine/kernels.ts) should sit: the size from
 * which the SIMD kernel is faster. Prints figures; asserts nothing.
 *
 * Run: npm run bench:kernels
 */
import {
  SIMD_MIN_WORK, scalarMatmulInto, scalarMatmulTransposedLeftInto, scalarMatmulTransposedRightInto,
} from '../src/engine/kernels.ts';
import { simdProduct } from '../src/engine/simd/matmul.ts';

type Kernel = (a: Float64Array, b: Float64Array, out: Float64Array, m: number, k: number, n: number) => void;

/** Each product as out[m×n] with inner size k, through either kernel; a and b sized to match. */
const PRODUCTS: { name: string; scalar: Kernel; simd: Kernel }[] = [
  {
    name: 'a·b',
    scalar: (a, b, out, m, k, n) => scalarMatmulInto(a, b, out, m, k, n),
    simd: (a, b, out, m, k, n) => simdProduct(a, k, 1, b, n, 1, out, m, k, n),
  },
  {
    name: 'g·bᵀ',
    scalar: (a, b, out, m, k, n) => scalarMatmulTransposedRightInto(a, b, out, m, k, n),
    simd: (a, b, out, m, k, n) => simdProduct(a, k, 1, b, 1, k, out, m, k, n),
  },
  {
    name: 'aᵀ·g',
    scalar: (a, b, out, m, k, n) => scalarMatmulTransposedLeftInto(a, b, out, k, m, n),
    simd: (a, b, out, m, k, n) => simdProduct(a, 1, m, b, n, 1, out, m, k, n),
  },
];

const SHAPES: [number, number, number][] = [
  [10, 5, 5], [10, 5, 1], [8, 8, 8], [16, 8, 8], [16, 16, 16], [32, 32, 32], [64, 64, 64],
  [64, 256, 10], [64, 784, 256],
];

/** The best CPU time per call, in microseconds, over timings of about 20 ms each. */
function bestMicroseconds(f: () => void): number {
  const cpu = () => {
    const { user, system } = process.cpuUsage();
    return user + system;
  };
  let reps = 1;
  for (let t0 = cpu(); cpu() - t0 < 20_000; reps *= 2) for (let i = 0; i < reps; i++) f();
  let best = Infinity;
  for (let round = 0; round < 7; round++) {
    const t0 = cpu();
    for (let i = 0; i < reps; i++) f();
    best = Math.min(best, (cpu() - t0) / reps);
  }
  return best;
}

const fmt = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(2)} µs`);
const rate = (work: number, us: number) => `${(work / us / 1000).toFixed(2)}`;

console.log(`matrix-product kernels (node ${process.version}); CPU time per product, best of 7 timings`);
console.log(`the engine runs the SIMD kernel from m·k·n ≥ ${SIMD_MIN_WORK} multiply-adds\n`);
console.log(`${'product'.padEnd(8)} ${'m×k×n'.padStart(12)} ${'JavaScript'.padStart(11)} ${'SIMD'.padStart(11)} ${'speed-up'.padStart(9)} ${'GMAC/s JS'.padStart(10)} ${'SIMD'.padStart(6)}`);
for (const { name, scalar, simd } of PRODUCTS) {
  for (const [m, k, n] of SHAPES) {
    const a = Float64Array.from({ length: m * k }, (_, i) => Math.sin(i));
    const b = Float64Array.from({ length: k * n }, (_, i) => Math.cos(i));
    const out = new Float64Array(m * n);
    const js = bestMicroseconds(() => scalar(a, b, out, m, k, n));
    const wasm = bestMicroseconds(() => simd(a, b, out, m, k, n));
    const work = m * k * n;
    console.log(`${name.padEnd(8)} ${`${m}×${k}×${n}`.padStart(12)} ${fmt(js).padStart(11)} ${fmt(wasm).padStart(11)} ${`${(js / wasm).toFixed(2)}×`.padStart(9)} ${rate(work, js).padStart(10)} ${rate(work, wasm).padStart(6)}`);
  }
}
