/**
 * Each declared op on its own against the reference: (a) its values within the accuracy
 * docs/ops.md states for the op and dtype, (b) its gradients likewise. One claim per op and check
 * (`ops.<op>.values`, `ops.<op>.gradients`), so an op the backend lacks is not applicable and a
 * failure names the op in its id.
 */
import fc from 'fast-check';
import type { Backend } from '../../src/backends/backend.ts';
import { OPS, type OpName } from '../../src/engine/index.ts';
import type { Claim, Observer } from '../../src/runner/claim.ts';
import { opCaseArb, toExprCase } from './cases.ts';
import { expectGradientsAgree, expectValuesAgree, runReference } from './compare.ts';

const KINK_CONSEQUENCE =
  'another valid subgradient at the kink: a weight sitting exactly there moves off it under a penalty with this kink (the reference leaves it at the kink)';

export function valuesClaim(op: OpName): Claim {
  return {
    id: `ops.${op}.values`,
    statement: `${op}'s values agree with the reference within the accuracy docs/ops.md states for the backend's dtype, over broadcasting shapes, every reduction axis, the op's parameters and its special points.`,
    requires: [`op:${op}`],
    property: (backend: Backend) =>
      fc.asyncProperty(opCaseArb(op, backend.dtype), async (c) => {
        const [mine, ref] = await Promise.all([backend.runExpr(toExprCase(c)), runReference(c)]);
        expectValuesAgree(backend, c, mine, ref);
      }),
  };
}

export function gradientsClaim(op: OpName): Claim {
  return {
    id: `ops.${op}.gradients`,
    statement: `${op}'s gradients agree with the reference within docs/ops.md's accuracy; at a kink another valid subgradient is a policy difference, not a failure.`,
    requires: [`op:${op}`],
    property: (backend: Backend, observe?: Observer) =>
      fc.asyncProperty(opCaseArb(op, backend.dtype), async (c) => {
        const [mine, ref] = await Promise.all([backend.runExpr(toExprCase(c)), runReference(c)]);
        const { policies } = expectGradientsAgree(backend, c, mine, ref);
        for (const p of policies) observe?.policy({ what: p.what, consequence: KINK_CONSEQUENCE, example: { op, inputs: c.inputs, attrs: c.attrs, seed: c.seed, input: p.input, element: p.element } });
      }),
  };
}

export const OP_NAMES = Object.keys(OPS) as OpName[];
