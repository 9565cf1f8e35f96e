/**
 * Prints four tables: the error floor of central differences, Richardson and the BigNumber oracle
 * on a fixed set of smooth functions; the engine's ops measured in ulps by the oracle; and the
 * cost of fast and full mode against n (bench/gradcheck-scaling.ts, which `npm run bench` prints
 * too).
 *
 * Run: npx tsx bench/gradcheck.ts (GRADCHECK_BENCH_MAX_N=1e4 for a quick run)
 */
import { bignumberDependencies, create, type BigNumber } from 'mathjs';
import type { ExprNode } from '../src/cases/types.ts';
import { DEFAULT_TOLERANCES, errorFloor, gradcheck } from '../src/check/gradcheck.ts';
import { ORACLE_DIGITS, engineFunction, measureEngineOps, oracleEvaluate, toBig, type GraphInputs } from '../src/check/oracle.ts';
import { ulp } from '../src/check/float.ts';
import { fromData } from '../src/engine/index.ts';
import { pad, sci } from './figures.ts';
import { gradcheckScaling, largestN } from './gradcheck-scaling.ts';

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

const largest = largestN();
errorFloors();
engineOps();
gradcheckScaling(largest);
