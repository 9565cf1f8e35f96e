/** Bug: Linear's bias gradient is averaged over the batch instead of summed (its add's backward takes the mean over rows). */
import { OPS, apply, type OpDef, type Tensor } from '../../../src/engine/index.ts';
import { Linear } from '../../../src/nn/index.ts';
import { replace, type Patch } from './patch.ts';

const addBias: OpDef = {
  ...OPS.add,
  backward: (g, ctx) => {
    const [dy, db] = OPS.add.backward(g, ctx);
    const rows = g.length / ctx.inputs[1].size;
    return [dy, db === null ? null : db.map((v) => v / rows)];
  },
};

const patch: Patch = () =>
  replace(Linear.prototype, 'forward', function (this: Linear, x: Tensor): Tensor {
    const y = x.matmul(this.weight.transpose());
    return this.bias === null ? y : apply(addBias, [y, this.bias], undefined);
  });
export default patch;
