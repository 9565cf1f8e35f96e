import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../src/backends/reference.ts';
import { OPS, type OpDef, type OpName } from '../src/engine/index.ts';
import { l2Penalty } from '../src/regularize/penalties.ts';
import type { Claim } from '../src/runner/claim.ts';
import { registerClaims } from '../src/runner/vitest.ts';
import { gradcheck, type Method } from '../src/check/gradcheck.ts';
import { engineFunction } from '../src/check/oracle.ts';
import {
  CONFIGURATIONS,
  FAST_RELATIVE_ERROR,
  FULL_RELATIVE_ERROR,
  NAMES,
  agreesWithOracle,
  claims,
  detectsRelative1e8,
  fastAgreesWithFull,
  fastSensitivity,
  graphArb,
  graphInputsArb,
  leavesOf,
  noFalseAlarms,
  resolves,
  scalarGraph,
  seesItemAccumulator,
} from './gradcheck.ts';

// These claims test the reference engine and the checker themselves (see gradcheck.ts); the
// backend argument is the usual one so that they run like every other family.
registerClaims('gradcheck', claims, () => referenceBackend());

/** Replaces one entry of the engine's op table while `body` runs. */
async function withOp<T>(name: OpName, broken: (original: OpDef<any>) => OpDef<any>, body: () => Promise<T>): Promise<T> {
  const table = OPS as Record<string, OpDef<any>>;
  const original = table[name];
  table[name] = broken(original);
  try {
    return await body();
  } finally {
    table[name] = original;
  }
}

const tanhWithoutSquare = (tanh: OpDef<any>): OpDef<any> => ({ ...tanh, backward: (g, { output }) => [g.map((gi, i) => gi * (1 - output.data[i]))] });
/** Right for upstream gradients 0 and 1, wrong for every other: full mode's one-hot seeds hide it at the output. */
const tanhNonlinearInG = (tanh: OpDef<any>): OpDef<any> => ({ ...tanh, backward: (g, ctx) => [tanh.backward(g, ctx)[0]!.map((v, i) => v * Math.abs(g[i]))] });
const divisorSignFlipped = (div: OpDef<any>): OpDef<any> => ({ ...div, backward: (g, ctx) => { const [ga, gb] = div.backward(g, ctx); return [ga, gb && gb.map((v) => -v)]; } });

/** PyTorch's gradcheck tolerance, and the penalty kept in the graph (no item()). */
const PYTORCH_RTOL = 1e-3;
const inGraph = { 'half-l2-item': { penalty: l2Penalty, missing: (w: number, _n: number, lambda: number) => lambda * w } };

const BROKEN: { claim: Claim; bug: string; op?: [OpName, (o: OpDef<any>) => OpDef<any>] }[] = [
  { claim: agreesWithOracle(), bug: "tanh's backward uses 1 − y instead of 1 − y²", op: ['tanh', tanhWithoutSquare] },
  { claim: fastAgreesWithFull(), bug: "tanh's backward is not linear in the upstream gradient", op: ['tanh', tanhNonlinearInG] },
  { claim: detectsRelative1e8({ rtol: PYTORCH_RTOL }), bug: "the checker uses PyTorch's rtol 1e-3" },
  { claim: fastSensitivity({ rtol: PYTORCH_RTOL }), bug: "the checker uses PyTorch's rtol 1e-3" },
  ...CONFIGURATIONS.map((c) => ({
    claim: noFalseAlarms(c),
    bug: "div's backward flips the divisor's gradient",
    op: ['div', divisorSignFlipped] as [OpName, (o: OpDef<any>) => OpDef<any>],
  })),
  { claim: seesItemAccumulator(inGraph), bug: 'the penalty stays in the graph (nothing is missing)' },
];

describe('every gradcheck claim fails on a broken variant', () => {
  it('covers every claim', () => {
    expect(BROKEN.map((b) => b.claim.id).sort()).toEqual(claims.map((c) => c.id).sort());
  });

  for (const { claim, bug, op } of BROKEN) {
    it(`${claim.id} fails when ${bug}`, async () => {
      // A failure is all this needs to show; shrinking it would only cost time.
      const run = () => fc.check(claim.property(referenceBackend()), { numRuns: 200, seed: 20261125, endOnFailure: true });
      const details = op === undefined ? await run() : await withOp(op[0], op[1], run);
      expect(details.failed, `${claim.id} did not notice: ${bug}`).toBe(true);
    });
  }
});

describe('the sensitivity claims are not vacuous', () => {
  // They plant an error only where the difference resolves it (see resolves); an estimate or a
  // noise floor inflated by a broken checker would make them pass on nothing. Measured on 300
  // graphs (seed 1): 63% (Richardson) and 51% (central) of the cases offer such an element, and
  // 14% of fast mode's (direction, element) pairs qualify; the bounds below leave a margin.
  const samples = fc.sample(fc.tuple(graphArb({ smooth: true, maxDepth: 3 }), graphInputsArb(true)), { seed: 1, numRuns: 150 });

  it.each([['richardson', 0.4], ['central', 0.3]] as [Method, number][])('full mode (%s) resolves an element in most cases', (method, fraction) => {
    const resolved = samples.filter(([graph, inputs]) =>
      gradcheck(engineFunction(scalarGraph(graph), NAMES), leavesOf(inputs), { names: NAMES, method }).elements.some((e) => e.status === 'pass' && resolves(e, FULL_RELATIVE_ERROR * Math.abs(e.analytical))),
    );
    expect(resolved.length / samples.length).toBeGreaterThan(fraction);
  });

  it('fast mode resolves a share of its (direction, element) pairs', () => {
    let pairs = 0;
    let resolved = 0;
    for (const [graph, inputs] of samples) {
      for (const e of gradcheck(engineFunction(scalarGraph(graph), NAMES), leavesOf(inputs), { names: NAMES, mode: 'fast' }).elements) {
        if (e.status !== 'pass') continue;
        const { w, u } = e.direction!;
        const total = w.reduce((acc, wj, j) => acc + wj.reduce((s, wk, k) => s + Math.abs(wk * u[j][k]), 0), 0);
        w.forEach((wj, j) => wj.forEach((wk, k) => {
          pairs++;
          const share = Math.abs(wk * u[j][k]);
          if (share >= total / 9 && resolves(e, FAST_RELATIVE_ERROR * share)) resolved++;
        }));
      }
    }
    expect(resolved / pairs).toBeGreaterThan(0.05);
  });
});
