/** Bug: mean over one axis divides by the total number of elements instead of that axis's length. */
import { OPS } from '../../../src/engine/index.ts';
import { replace, type Patch } from './patch.ts';

const rescale = (axis: number | null, shape: readonly number[], data: Float64Array) => {
  if (axis !== null) data.forEach((v, i) => (data[i] = (v * shape[axis]) / shape.reduce((a, b) => a * b, 1)));
  return data;
};

const patch: Patch = () => {
  const { forward, backward } = OPS.mean;
  const undoForward = replace(OPS.mean, 'forward', (inputs, attrs) => {
    const out = forward(inputs, attrs);
    return { ...out, data: rescale(attrs.axis, inputs[0].shape, out.data) };
  });
  const undoBackward = replace(OPS.mean, 'backward', (g, ctx) => backward(g, ctx).map((d) => (d === null ? d : rescale(ctx.attrs.axis, ctx.inputs[0].shape, d))));
  return () => {
    undoForward();
    undoBackward();
  };
};
export default patch;
