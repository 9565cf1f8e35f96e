/** Bug: add's gradient for a broadcast input is averaged over the positions it was stretched to, instead of summed. */
import { OPS } from '../../../src/engine/index.ts';
import { replace, type Patch } from './patch.ts';

const patch: Patch = () => {
  const backward = OPS.add.backward;
  return replace(OPS.add, 'backward', (g, ctx) => backward(g, ctx).map((d, i) => (d === null ? d : d.map((v) => (v * ctx.inputs[i].size) / g.length))));
};
export default patch;
