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
import { opCaseArb, toExprCase, type OpCase } from './cases.ts';
import { expectGradientsAgree, expectValuesAgree, referenceValues, runReference, type Choice } from './compare.ts';

const KINK_CONSEQUENCE =
  'another valid subgradient at the kink: a weight sitting exactly there moves off it under a penalty with this kink (the reference leaves it at the kink)';
const POLE_CONSEQUENCE = 'an infinity of the other sign at −0: code that reads the sign of this infinity (clamping, comparisons) behaves differently at −0 only';

const note = (c: OpCase, choice: Choice, consequence: string) => ({
  what: choice.what,
  consequence,
  example: { op: c.op, inputs: c.inputs, attrs: c.attrs, seed: c.seed, input: choice.input, element: choice.element },
});

export function valuesClaim(op: OpName): Claim {
  return {
    id: `ops.${op}.values`,
    statement:
      `${op}'s values agree with the reference within the accuracy docs/ops.md states for the backend's dtype, over broadcasting shapes, ` +
      "every reduction axis, the op's parameters and its special points; another choice at a singular point is a policy difference.",
    requires: [`op:${op}`],
    property: (backend: Backend, observe?: Observer) =>
      fc.asyncProperty(opCaseArb(op, backend.dtype), async (c) => {
        const [mine, ref] = await Promise.all([backend.runExpr(toExprCase(c)), referenceValues(c)]);
        for (const choice of expectValuesAgree(backend, c, mine, ref)) observe?.policy(note(c, choice, POLE_CONSEQUENCE));
      }),
  };
}

export function gradientsClaim(op: OpName): Claim {
  return {
    id: `ops.${op}.gradients`,
    statement:
      `${op}'s gradients agree with the reference within docs/ops.md's accuracy; at a kink another valid subgradient, ` +
      'and at a singular point another choice, is a policy difference, not a failure.',
    requires: [`op:${op}`],
    property: (backend: Backend, observe?: Observer) =>
      fc.asyncProperty(opCaseArb(op, backend.dtype), async (c) => {
        const [mine, ref] = await Promise.all([backend.runExpr(toExprCase(c)), runReference(c)]);
        for (const choice of expectGradientsAgree(backend, c, mine, ref)) {
          observe?.policy(note(c, choice, choice.what.startsWith('pow(−0') ? POLE_CONSEQUENCE : KINK_CONSEQUENCE));
        }
      }),
  };
}

export const OP_NAMES = Object.keys(OPS) as OpName[];
