/**
 * Every ops.* claim fails against a deliberately broken variant. The bug zoo (properties/zoo.test.ts)
 * covers realistic bugs for some claims; here each op's value and each op's gradient is nudged by
 * 10^-3 relative (the smallest bug a conforming tolerance could hide is 10^-13 in float64), and the
 * claims the zoo does not reach get a mutant of their own.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.ts';
import type { ExprCase } from '../../src/cases/types.ts';
import { OPS, Tensor, mul, type OpDef, type OpName } from '../../src/engine/index.ts';
import { DEFAULT_RUNS, configFromEnv } from '../../src/runner/config.ts';
import { runClaim } from '../../src/runner/run.ts';
import { brokenReference, replaceOptimizer } from '../zoo/modules/broken.ts';
import { patchedReference } from '../zoo/modules/patched.ts';
import { sgdUpdate } from '../zoo/modules/sgd-rules.ts';
import { replace, type Patch } from '../zoo/patches/patch.ts';
import { ZOO } from '../zoo/catalogue.ts';
import { claims } from './index.ts';

const nudge = (d: Float64Array) => d.map((v) => v + 1e-3 * (1 + Math.abs(v)));

/** Any op's definition, with its attributes left opaque. */
type AnyOp = OpDef<any>;

const valueMutant = (op: OpName): Patch => () => {
  const def = OPS[op] as AnyOp;
  const forward = def.forward;
  return replace(def, 'forward', (inputs, attrs) => {
    const out = forward(inputs, attrs);
    return { ...out, data: nudge(out.data) };
  });
};

const gradientMutant = (op: OpName): Patch => () => {
  const def = OPS[op] as AnyOp;
  const backward = def.backward;
  return replace(def, 'backward', (g, ctx) => backward(g, ctx).map((d) => (d === null ? d : nudge(d))));
};

/** At least the default run count: a mutant that needs a particular option setting is drawn within it. */
const config = { ...configFromEnv(), runs: Math.max(configFromEnv().runs, DEFAULT_RUNS) };

async function expectFails(id: string, backend: Backend): Promise<string> {
  const claim = claims.find((c) => c.id === id)!;
  const result = await runClaim(claim, backend, config, { failuresDir: null });
  expect(result.verdict, `${id} on ${backend.name}`).toBe('fail');
  return result.failure!.message;
}

/** The claims with a mutant below besides the per-op ones; the zoo's entries cover the rest. */
const OWN_MUTANTS = ['ops.mse.sum', 'ops.optimizer.sgdw', 'ops.graph.second-backward'];

describe('ops.* claims fail on broken variants', () => {
  it('covers every ops.* claim, here or in the bug zoo', () => {
    const perOp = Object.keys(OPS).flatMap((op) => ['values', 'gradients', 'own-differences'].map((check) => `ops.${op}.${check}`));
    const covered = new Set([...perOp, ...OWN_MUTANTS, ...ZOO.flatMap((e) => e.catches)]);
    expect(claims.map((c) => c.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  for (const op of Object.keys(OPS) as OpName[]) {
    it(`${op}: a nudged value fails ops.${op}.values; a nudged gradient fails ops.${op}.gradients and ops.${op}.own-differences`, async () => {
      expect(await expectFails(`ops.${op}.values`, patchedReference(`value-mutant-${op}`, valueMutant(op)))).toContain(`${op}(`);
      const broken = patchedReference(`gradient-mutant-${op}`, gradientMutant(op));
      expect(await expectFails(`ops.${op}.gradients`, broken)).toContain(`${op}(`);
      expect(await expectFails(`ops.${op}.own-differences`, broken)).toContain(`${op}(`);
    });
  }

  it("MSELoss('sum') halved (½Σ) fails ops.mse.sum", async () => {
    const halved: Patch = () => {
      const sum = Tensor.prototype.sum;
      return replace(Tensor.prototype, 'sum', function (this: Tensor, axis: number | null = null, keepDim = false): Tensor {
        return axis === null && this.ndim === 2 ? mul(sum.call(this), 0.5) : sum.call(this, axis, keepDim);
      });
    };
    expect(await expectFails('ops.mse.sum', patchedReference('mse-sum-halved', halved))).toContain('MSE(sum)');
  });

  it('SGDW decaying through the gradient (coupled) fails ops.optimizer.sgdw', async () => {
    const coupled = brokenReference('sgdw-coupled', { makeOptimizer: replaceOptimizer('sgdw', sgdUpdate({})) });
    expect(await expectFails('ops.optimizer.sgdw', coupled)).toContain('weightDecay=');
  });

  it('a second backward that never releases the graph fails ops.graph.second-backward', async () => {
    const reference = brokenReference('never-releases');
    const retained = (c: ExprCase): ExprCase => (c.backward === undefined ? c : { ...c, backward: { ...c.backward, retainGraph: true } });
    const backend: Backend = { ...reference, runExpr: (c) => reference.runExpr(retained(c)) };
    expect(await expectFails('ops.graph.second-backward', backend)).toContain('graph-released');
  });
});
