/** Bug: div's gradient for the divisor drops the minus sign: +g·a/b² instead of −g·a/b². */
import { OPS } from '../../../src/engine/index.ts';
import { replace, type Patch } from './patch.ts';

const patch: Patch = () => {
  const backward = OPS.div.backward;
  return replace(OPS.div, 'backward', (g, ctx) => {
    const [da, db] = backward(g, ctx);
    return [da, db === null ? null : db.map((v) => -v)];
  });
};
export default patch;
