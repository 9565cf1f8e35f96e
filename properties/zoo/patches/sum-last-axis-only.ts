/** Bug: sum over every element of a tensor of two or more dimensions reduces only the last axis, and keeps the first of those sums. */
import { OPS } from '../../../src/engine/index.ts';
import { replace, type Patch } from './patch.ts';

const patch: Patch = () => {
  const forward = OPS.sum.forward;
  return replace(OPS.sum, 'forward', (inputs, attrs) => {
    const [x] = inputs;
    const out = forward(inputs, attrs);
    if (attrs.axis === null && x.ndim >= 2) out.data[0] = x.data.slice(0, x.shape[x.ndim - 1]).reduce((a, b) => a + b, 0);
    return out;
  });
};
export default patch;
