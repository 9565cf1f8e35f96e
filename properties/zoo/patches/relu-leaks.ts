/** Bug: relu's negative branch leaks 0.01·x (a leaky ReLU shipped as ReLU), value and gradient. */
import { OPS } from '../../../src/engine/index.ts';
import { replace, type Patch } from './patch.ts';

const patch: Patch = () => {
  const undoForward = replace(OPS.relu, 'forward', ([x]) => ({ data: x.data.map((v) => (v < 0 ? 0.01 * v : v)), shape: x.shape }));
  const undoBackward = replace(OPS.relu, 'backward', (g, { inputs: [x] }) => [g.map((gi, i) => (x.data[i] < 0 ? 0.01 * gi : x.data[i] > 0 ? gi : 0))]);
  return () => {
    undoForward();
    undoBackward();
  };
};
export default patch;
