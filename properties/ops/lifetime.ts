/**
 * Graph lifetime op by op, over the ops the backend declares: a second backward without
 * retainGraph fails with graph-released exactly when the op saved tensors for backward
 * (docs/ops.md's "saves" column), and otherwise leaves twice the gradient; with retainGraph it
 * always succeeds and leaves twice the gradient. g + g is exact, so "twice" is bit-identity.
 */
import fc from 'fast-check';
import type { Backend } from '../../src/backends/backend.ts';
import { OPS, type OpName } from '../../src/engine/index.ts';
import type { ExprCase, ExprResult } from '../../src/cases/types.ts';
import type { Claim } from '../../src/runner/claim.ts';
import { fmt } from '../support.ts';
import { declaredOps, memo, opCaseArb, toExprCase, type OpCase } from './cases.ts';
import { where } from './compare.ts';

/** Values on a grid of 1/8 in [1/2, 2]: no kink, pole or NaN, so that the doubled gradient is a plain number. */
const moderate = fc.integer({ min: 4, max: 16 }).map((k) => k / 8);

function caseArb(backend: Backend): fc.Arbitrary<OpCase> {
  const ops = declaredOps(backend.capabilities);
  if (ops.length === 0) throw new Error('the backend declares graph features but no op (op:<name>) to build a graph from');
  return fc.constantFrom(...ops).chain(memo((op: OpName) => opCaseArb(op, backend.dtype, moderate)));
}

const twice = (c: OpCase, retainGraph: boolean): ExprCase => ({ ...toExprCase(c), backward: { times: 2, retainGraph } });

function expectDoubled(c: OpCase, once: ExprResult, both: ExprResult, how: string): void {
  for (const [name, g] of Object.entries(once.grads)) {
    (g ?? []).forEach((v, i) => {
      const got = both.grads[name]?.[i];
      if (Object.is(got, v + v)) return;
      const shown = got ?? NaN;
      throw new Error(
        `${where(c)}: after two backwards ${how}, the gradient of ${name}[${i}] is ${fmt(shown)}, ` +
          `expected twice ${fmt(v)} = ${fmt(v + v)} (ratio ${fmt(shown / v)})`,
      );
    });
  }
}

export const secondBackward: Claim = {
  id: 'ops.graph.second-backward',
  statement:
    'Without retainGraph, a second backward through one op fails with graph-released when the op saves tensors (docs/ops.md), ' +
    'and otherwise leaves twice the gradient (an op that releases more than the table says is a policy difference).',
  requires: ['graph:releasesSaved', 'graph:accumulates'],
  property: (backend, observe) =>
    fc.asyncProperty(caseArb(backend), async (c) => {
      const [once, both] = await Promise.all([backend.runExpr(toExprCase(c)), backend.runExpr(twice(c, false))]);
      const saves = OPS[c.op as OpName].savesTensors;
      if (saves) {
        if (both.error?.kind !== 'graph-released') {
          const got = both.error ? both.error.kind : 'no error';
          throw new Error(`${where(c)}: ${c.op} saves tensors, so a second backward without retainGraph should fail with graph-released; got ${got}`);
        }
        return;
      }
      if (both.error?.kind === 'graph-released') {
        // Stricter than the table, never wrong: PyTorch's mean over an axis keeps its input this way.
        const overAxis = c.attrs.axis === undefined || c.attrs.axis === null ? '' : ' over an axis';
        observe?.policy({
          what: `${c.op}${overAxis} releases saved tensors although the table says it saves none`,
          consequence: 'a second backward without retainGraph fails there; code that backwards twice through it must retain the graph',
          example: { op: c.op, inputs: c.inputs, attrs: c.attrs },
        });
        return;
      }
      if (both.error !== undefined) throw new Error(`${where(c)}: ${c.op} saves nothing, yet the second backward failed: ${both.error.message}`);
      expectDoubled(c, once, both, 'without retainGraph');
    }),
};

export const retainAccumulates: Claim = {
  id: 'ops.graph.retain-accumulates',
  statement: 'With retainGraph on the first call, a second backward through any one op succeeds and leaves exactly twice the gradient of one backward.',
  requires: ['graph:retainGraph', 'graph:accumulates'],
  property: (backend) =>
    fc.asyncProperty(caseArb(backend), async (c) => {
      const [once, both] = await Promise.all([backend.runExpr(toExprCase(c)), backend.runExpr(twice(c, true))]);
      if (both.error !== undefined) throw new Error(`${where(c)}: the second backward with retainGraph failed: ${both.error.message}`);
      expectDoubled(c, once, both, 'with retainGraph');
    }),
};

export const claims: Claim[] = [secondBackward, retainAccumulates];
