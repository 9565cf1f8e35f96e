/**
 * Prints four tables: the error floor of central differences, Richardson and the BigNumber oracle
 * on a fixed set of smooth functions; the engine's ops measured in ulps by the oracle; and the
 * cost of fast mode (n = 1e2 to 1e6, with its diluted sensitivity) and of full mode (n = 10 to
 * 1e3) against n, with the fitted exponent.
 *
 * Run: npx tsx bench/gradcheck.ts (GRADCHECK_BENCH_MAX_N=1e4 for a quick run)
 */
import { bignumberDependencies, create, type BigNumber } from 'mathjs';
import type { ExprNode } from '../src/cases/types.ts';
import { DEFAULT_TOLERANCES, errorFloor, gradcheck, type Mode } from '../src/check/gradcheck.ts';
import { countOpWork } from '../src/check/gradcheck/op-work.ts';
import { yardstick } from '../src/check/gradcheck/yardstick.ts';
import { ORACLE_DIGITS, engineFunction, measureEngineOps, oracleEvaluate, toBig, type GraphInputs } from '../src/check/oracle.ts';
import { ulp } from '../src/check/float.ts';
import { fromData } from '../src/engine/index.ts';

// ---------------------------------------------------------------- error floors

/** An independent reference: each derivative written out by hand, at twice the oracle's digits. */
const fine = create({ bignumberDependencies }, { precision: 2 * ORACLE_DIGITS });
const big = (x: BigNumber): BigNumber => fine.bignumber(x.toString()) as BigNumber;
const one = fine.bignumber(1) as BigNumber;

const x: ExprNode = { op: 'input', name: 'x' };
const call = (op: string, args: ExprNode[], attrs?: Record<string, number>): ExprNode => ({ op, args, attrs }) as ExprNode;
const konst = (value: number): ExprNode => ({ op: 'const', value });

const FUNCTIONS: { name: string; at: number; graph: ExprNode; derivative: (t: BigNumber) => BigNumber }[] = [
  { name: 'exp(x)', at: 0.7, graph: call('exp', [x]), derivative: (t) => t.exp() as BigNumber },
  { name: 'log(x)', at: 1.3, graph: call('log', [x]), derivative: (t) => one.div(t) as BigNumber },
  { name: 'tanh(x)', at: 0.4, graph: call('tanh', [x]), derivative: (t) => one.minus(t.tanh().pow(2)) as BigNumber },
  { name: 'sqrt(x)', at: 2.5, graph: call('sqrt', [x]), derivative: (t) => one.div(t.sqrt().times(2)) as BigNumber },
  { name: 'x³', at: -1.2, graph: call('pow', [x], { exponent: 3 }), derivative: (t) => t.pow(2).times(3) as BigNumber },
  { name: 'x^1.5', at: 3, graph: call('pow', [x], { exponent: 1.5 }), derivative: (t) => t.sqrt().times(1.5) as BigNumber },
  { name: '1/(1 + x²)', at: 0.8, graph: call('div', [konst(1), call('add', [konst(1), call('square', [x])])]), derivative: (t) => t.times(-2).div(one.plus(t.pow(2)).pow(2)) as BigNumber },
  {
    name: 'x·exp(tanh(x))',
    at: 1.1,
    graph: call('mul', [x, call('exp', [call('tanh', [x])])]),
    derivative: (t) => t.tanh().exp().times(one.plus(t.times(one.minus(t.tanh().pow(2))))) as BigNumber,
  },
  { name: 'exp(10·x)', at: 0.35, graph: call('exp', [call('mul', [konst(10), x])]), derivative: (t) => t.times(10).exp().times(10) as BigNumber },
];

const sci = (v: number): string => (v === 0 ? '0' : v.toExponential(1));
const pad = (s: string, n: number): string => s.padStart(n);

function errorFloors(): void {
  console.log(`\nError floor on smooth functions: relative error of f'(x), and [the element's tolerance, relative]`);
  console.log(`  predicted floors at the steps used: central h²/6 + u/h = ${sci(errorFloor('central', 'float64'))} (h = 2^-18), Richardson h⁴/30 + 1.5u/h = ${sci(errorFloor('richardson', 'float64'))} (h = 2^-11)`);
  console.log(`  default rtol:     central ${sci(DEFAULT_TOLERANCES.float64.central)}, Richardson ${sci(DEFAULT_TOLERANCES.float64.richardson)}; PyTorch gradcheck 1e-3 (eps 1e-6)`);
  console.log(`${'function'.padEnd(16)}${pad('x', 6)}${pad('central', 22)}${pad('Richardson', 22)}${pad('engine (ulps)', 15)}${pad(`BigNumber ${ORACLE_DIGITS}d`, 15)}`);
  for (const f of FUNCTIONS) {
    const inputs: GraphInputs = { x: { shape: [], data: [f.at], requiresGrad: true } };
    const exact = big(oracleEvaluate(f.graph, inputs).jacobian.x[0][0].v);
    const reference = f.derivative(big(toBig(f.at)));
    const relative = (v: number) => Math.abs((big(toBig(v)).minus(reference).div(reference) as BigNumber).toNumber());
    const row = (method: 'central' | 'richardson') => {
      const e = gradcheck(engineFunction(f.graph, ['x']), [fromData([f.at], [], { requiresGrad: true })], { method }).elements[0];
      return { numerical: relative(e.numerical), estimate: e.tolerance / Math.abs(reference.toNumber()), analytical: e.analytical };
    };
    const c = row('central');
    const r = row('richardson');
    const engineUlps = Math.abs((big(toBig(c.analytical)).minus(reference) as BigNumber).toNumber()) / ulp(reference.toNumber());
    const oracle = Math.abs((exact.minus(reference).div(reference) as BigNumber).toNumber());
    console.log(
      `${f.name.padEnd(16)}${pad(String(f.at), 6)}${pad(`${sci(c.numerical)} [${sci(c.estimate)}]`, 22)}${pad(`${sci(r.numerical)} [${sci(r.estimate)}]`, 22)}${pad(engineUlps.toFixed(2), 15)}${pad(sci(oracle), 15)}`,
    );
  }
}

// ---------------------------------------------------------------- the engine's ops in ulps

function engineOps(): void {
  console.log('\nThe engine op by op against the oracle (opCases in src/check/oracle.ts): worst error in ulps, and error/bound');
  console.log(`${'op'.padEnd(11)}${pad('cases', 6)}${pad('value ulps', 12)}${pad('grad ulps', 12)}${pad('error/bound', 13)}`);
  for (const m of measureEngineOps()) {
    console.log(`${m.op.padEnd(11)}${pad(String(m.cases), 6)}${pad(m.maxValueUlps.toFixed(2), 12)}${pad(m.maxGradientUlps < 1e3 ? m.maxGradientUlps.toFixed(2) : sci(m.maxGradientUlps), 12)}${pad(m.worstErrorOverBound.toFixed(2), 13)}`);
  }
}

// ---------------------------------------------------------------- cost against n

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

/** The least-squares slope of log y against log x: y ∝ x^slope. */
function fittedExponent(xs: number[], ys: number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const my = ly.reduce((s, v) => s + v, 0) / ly.length;
  let num = 0;
  let den = 0;
  lx.forEach((x, i) => {
    num += (x - mx) * (ly[i] - my);
    den += (x - mx) ** 2;
  });
  return num / den;
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

const largest = Number(process.env.GRADCHECK_BENCH_MAX_N ?? 1e6);
errorFloors();
engineOps();
scaling('fast', [1e2, 3e2, 1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6].filter((n) => n <= largest));
scaling('full', [10, 30, 100, 300, 1000].filter((n) => n <= largest));
console.log('  full mode flags a relative error of 1e-8 in any element it resolves (see gradcheck.detects-relative-1e-8)');
