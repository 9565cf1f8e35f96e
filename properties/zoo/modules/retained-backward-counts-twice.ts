/** Bug: a second backward through a retained graph adds the gradient twice, so two backwards leave 3× instead of 2×. */
import type { ExprCase } from '../../../src/cases/types.ts';
import { brokenReference } from './broken.ts';

const reference = brokenReference('zoo-retained-backward-counts-twice');

export default {
  ...reference,
  async runExpr(c: ExprCase) {
    const result = await reference.runExpr(c);
    if (c.backward?.times !== 2 || !c.backward.retainGraph || result.error !== undefined) return result;
    const once = await reference.runExpr({ ...c, backward: undefined });
    const grads = Object.fromEntries(Object.entries(result.grads).map(([k, g]) => [k, g === null ? null : g.map((v, i) => v + once.grads[k]![i])]));
    return { ...result, grads };
  },
};
