/**
 * x·Wᵀ + b as one op, for nn.Linear: the same numbers as matmul(x, transpose(W)) + b, bit for bit,
 * without the transposed copy of W, the broadcast add and their two graph nodes. Every element is
 * the sum the composed ops compute, in the same order:
 * - y[i][j] = ((0 + x[i][0]·W[j][0]) + x[i][1]·W[j][1]) + … , then + b[j];
 * - dx = g·W, each element summed over the outputs j in order (matmul's backward through Wᵀ);
 * - dW = gᵀ·x, each element summed over the batch i in order (matmul's, then transposed);
 * - db[j] = ((0 + g[0][j]) + g[1][j]) + … , the broadcast add's sum over the batch.
 * It is not in OPS: it is a fusion of table ops, not an op a backend implements.
 */
import { allocate } from './alloc.ts';
import { matmulInto, matmulTransposedLeftInto, matmulTransposedRightInto } from './kernels.ts';
import { formatShape } from './shape.ts';
import { apply, Tensor, type OpDef } from './tensor.ts';

const linearOp: OpDef<undefined> = {
  name: 'linear',
  savesTensors: true,
  forward(inputs) {
    const [x, w] = inputs;
    const [m, k] = x.shape;
    const n = w.shape[0];
    const out = allocate(m * n);
    matmulTransposedRightInto(x.data, w.data, out, m, k, n);
    if (inputs.length === 3) {
      const b = inputs[2].data;
      for (let i = 0, o = 0; i < m; i++) for (let j = 0; j < n; j++, o++) out[o] += b[j];
    }
    return { data: out, shape: [m, n] };
  },
  backward(g, { inputs, needsGrad }) {
    const [x, w] = inputs;
    const [m, k] = x.shape;
    const n = w.shape[0];
    let gx: Float64Array | null = null;
    let gw: Float64Array | null = null;
    let gb: Float64Array | null = null;
    if (needsGrad[0]) {
      gx = allocate(m * k);
      matmulInto(g, w.data, gx, m, n, k);
    }
    if (needsGrad[1]) {
      gw = allocate(n * k);
      matmulTransposedLeftInto(g, x.data, gw, m, n, k);
    }
    if (inputs.length === 3 && needsGrad[2]) {
      gb = allocate(n);
      for (let i = 0, o = 0; i < m; i++) for (let j = 0; j < n; j++, o++) gb[j] += g[o];
    }
    return inputs.length === 3 ? [gx, gw, gb] : [gx, gw];
  },
};

/** x·Wᵀ + b for x [batch, in], weight [out, in] and bias [out] (or null): torch.nn.functional.linear. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [out, inFeatures] = weight.shape;
  if (x.ndim !== 2 || weight.ndim !== 2 || x.shape[1] !== inFeatures || (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== out))) {
    const b = bias === null ? 'no bias' : `bias ${formatShape(bias.shape)}`;
    throw new RangeError(`linear: input ${formatShape(x.shape)}, weight ${formatShape(weight.shape)} and ${b} do not fit [batch, in], [out, in], [out]`);
  }
  return apply(linearOp, bias === null ? [x, weight] : [x, weight, bias], undefined);
}
