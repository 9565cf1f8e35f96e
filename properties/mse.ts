/**
 * MSELoss('mean') averages over every element, N·D of them; the thread's (1/N)·Σ(ŷ − y)²
 * averages over the batch only. They agree only when each target has one component.
 */
import fc from 'fast-check';
import { precisionOf } from '../src/check/float.ts';
import { arbitrariesFor, type Arbitraries } from '../src/cases/arbitraries.ts';
import { CASE_VERSION, type ExprCase, type ExprNode } from '../src/cases/types.ts';
import type { Claim } from '../src/runner/claim.ts';
import { fmt, isBitExact, squared } from './support.ts';

const difference: ExprNode = { op: 'sub', args: [{ op: 'input', name: 'prediction' }, { op: 'input', name: 'target' }] };

function lossCase(graph: ExprNode, prediction: number[][], target: number[][]): ExprCase {
  const shape = [prediction.length, prediction[0].length];
  return {
    kind: 'expr',
    version: CASE_VERSION,
    inputs: { prediction: { shape, data: prediction.flat(), requiresGrad: true }, target: { shape, data: target.flat(), requiresGrad: false } },
    graph,
  };
}

const batchArb = (A: Arbitraries) =>
  fc
    .record({ n: fc.integer({ min: 1, max: 8 }), d: fc.integer({ min: 1, max: 4 }) })
    .chain(({ n, d }) => fc.record({ prediction: A.matrix(n, d), target: A.matrix(n, d) }));

export const meanDividesByEveryElement: Claim = {
  id: 'mse.mean-divides-by-every-element',
  statement:
    "MSELoss's mean equals Σ(ŷ − y)²/(N·D) (bit for bit on the reference), and the thread's (1/N)·Σ(ŷ − y)² is D times larger, so the two agree only when D = 1 (the square through square, pow or mul, whichever the backend has).",
  requires: ['op:mean', 'op:sum', 'op:sub', 'op:div', 'op:mul'],
  property: (backend) => {
    const A = arbitrariesFor(backend);
    const P = precisionOf(backend.dtype);
    const squaredError = squared(backend, difference);
    return fc.asyncProperty(batchArb(A), async ({ prediction, target }) => {
      const [n, d] = [prediction.length, prediction[0].length];
      const mean: ExprNode = { op: 'mean', args: [squaredError] };
      const sum: ExprNode = { op: 'sum', args: [squaredError] };
      const overAll: ExprNode = { op: 'div', args: [sum, { op: 'const', value: n * d }] };
      const thread: ExprNode = { op: 'mul', args: [{ op: 'const', value: A.round(1 / n) }, sum] };
      const [m, a, t] = await Promise.all([mean, overAll, thread].map((g) => backend.runExpr(lossCase(g, prediction, target))));
      const mv = m.value.data[0];
      const av = a.value.data[0];
      // On the reference both sides are fl(Σ/(N·D)), the same sum in the same order. Another backend's
      // mean and sum ops may add the K = N·D nonnegative squares in different orders (each within
      // (K − 1)·u of Σ relatively, so 2(K − 1)·u apart) and divide as Σ·(1/K), one rounding more.
      const orders = isBitExact(backend) ? 0 : 2 * (n * d - 1) * P.u;
      const sameMean = isBitExact(backend) ? Object.is(mv, av) : Math.abs(mv - av) <= (orders + 2 * P.u) * Math.abs(mv) + P.eta;
      if (!sameMean) throw new Error(`mean ${fmt(mv)} versus Σ/(N·D) ${fmt(av)} (N·D = ${n * d}): the mean is Σ divided by ${fmt((av * n * d) / mv)}`);
      const tv = t.value.data[0];
      // (1/N)·Σ against D·(Σ/(N·D)): fl(1/N), the two products and the division are four
      // roundings (5u covers their second-order terms), ETA/2 each where Σ is subnormal, plus the
      // two sums' orders where they may differ.
      if (!(Math.abs(tv - d * mv) <= (orders + 5 * P.u) * Math.abs(tv) + 4 * P.eta)) {
        throw new Error(`(1/N)·Σ = ${fmt(tv)}, expected D·mean = ${fmt(d * mv)} (N=${n}, D=${d}): the mean should be 1/D = ${fmt(1 / d)} of the thread's loss, and is ${fmt(mv / tv)} of it`);
      }
    });
  },
};

export const claims: Claim[] = [meanDividesByEveryElement];
