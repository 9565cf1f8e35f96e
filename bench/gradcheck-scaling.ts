/**
 * gradcheck's cost against n, the tables `npm run bench` and bench/gradcheck.ts print: fast mode
 * (n = 1e2 to 1e6, with its diluted sensitivity) and full mode (n = 10 to 1e3) on the yardstick
 * function, each with the fitted exponent of its time and of its counted passes.
 */
import { gradcheck, type Mode } from '../src/check/gradcheck.ts';
import { countOpWork } from '../src/check/gradcheck/op-work.ts';
import { yardstick } from '../src/check/gradcheck/yardstick.ts';
import { positiveFromEnv } from './env.ts';
import { fittedExponent, pad, sci } from './figures.ts';

/** The largest n the tables reach: GRADCHECK_BENCH_MAX_N, 1e6 by default. */
export const largestN = (): number => positiveFromEnv('GRADCHECK_BENCH_MAX_N', 1e6);

/**
 * The time of one run of body: the fastest of three batches, each of as many runs as fill about
 * `batchMs` (one run at the least), after a warm-up run that also sizes the batches. On a shared
 * machine the fastest batch is the one least disturbed by other work.
 */
function timed<T>(body: () => T, batchMs = 50): { result: T; ms: number } {
  const started = performance.now();
  let result = body();
  const runs = Math.max(1, Math.ceil(batchMs / Math.max(performance.now() - started, 1e-3)));
  let fastest = Infinity;
  for (let batch = 0; batch < 3; batch++) {
    const t0 = performance.now();
    for (let r = 0; r < runs; r++) result = body();
    fastest = Math.min(fastest, (performance.now() - t0) / runs);
  }
  return { result, ms: fastest };
}

/**
 * gradcheck against n: wall time (see timed), and cost in multiples of one
 * forward+backward of f, both timed and counted (the elements the ops produce, see
 * src/check/gradcheck/op-work.ts). Fast mode also
 * shows its diluted sensitivity: the median over elements k of the smallest relative error in
 * element k that some direction flags, 2·tolerance/|w_k·u_k|.
 */
function scaling(mode: Mode, sizes: number[]): void {
  const title = mode === 'fast' ? 'Fast mode (4 directions' : 'Full mode (every element';
  console.log(`\n${title}, Richardson) on f(w) = mean((tanh(a·w) − b)²), w of n parameters`);
  const sensitivity = mode === 'fast' ? pad('min rel. error seen', 21) : '';
  console.log(`${pad('n', 8)}${pad('F+B ms', 10)}${pad('evals', 8)}${pad('gradcheck ms', 14)}${pad('× F+B timed', 13)}${pad('× F+B counted', 15)}${sensitivity}`);
  const times: number[] = [];
  const counted: number[] = [];
  for (const n of sizes) {
    const { f, w } = yardstick(n);
    const pass = timed(() => {
      const out = f(w);
      w.grad = null;
      out.backward();
    });
    const run = timed(() => gradcheck(f, [w], { mode }));
    const onePass = countOpWork(() => f(w).backward()).work;
    const work = countOpWork(() => gradcheck(f, [w], { mode })).work;
    times.push(run.ms);
    counted.push(work.elements / onePass.elements);
    let seen = '';
    if (mode === 'fast') {
      const thresholds: number[] = [];
      for (let k = 0; k < n; k++) {
        let best = Infinity;
        for (const e of run.result.elements) {
          const share = Math.abs(e.direction!.w[0][k] * e.direction!.u[0][k]);
          if (share > 0) best = Math.min(best, (2 * e.tolerance) / share);
        }
        thresholds.push(best);
      }
      thresholds.sort((p, q) => p - q);
      seen = pad(sci(thresholds[Math.floor(n / 2)]), 21);
    }
    console.log(
      `${pad(n.toExponential(0), 8)}${pad(pass.ms.toFixed(3), 10)}${pad(String(run.result.evaluations), 8)}${pad(run.ms.toFixed(1), 14)}` +
        `${pad((run.ms / pass.ms).toFixed(1), 13)}${pad(counted[counted.length - 1].toFixed(1), 15)}${seen}`,
    );
  }
  const exponents = `gradcheck ms ∝ n^k: k = ${fittedExponent(sizes, times).toFixed(2)}; counted passes ∝ n^k: k = ${fittedExponent(sizes, counted).toFixed(2)}`;
  console.log(`  fitted exponent, ${exponents}`);
}

/** Both tables, for every n up to `largest`. */
export function gradcheckScaling(largest: number): void {
  scaling('fast', [1e2, 3e2, 1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6].filter((n) => n <= largest));
  scaling('full', [10, 30, 100, 300, 1000].filter((n) => n <= largest));
  console.log('  full mode flags a relative error of 1e-8 in any element it resolves (see gradcheck.detects-relative-1e-8)');
}
