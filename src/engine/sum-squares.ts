/**
 * Σ over tensors of Σ over elements of w², as one op, for the L2 penalty: the same numbers as
 * add(…add(sum(pow(w₀, 2)), sum(pow(w₁, 2)))…), bit for bit, with one graph node where that chain
 * has three per tensor. The sums are the chain's, in its order: each tensor's ((0 + w₀²) + w₁²) + …,
 * then ((s₀ + s₁) + s₂) + … over the tensors (0 + s₀ is s₀: a sum of squares
 * is never −0). Backward gives each tensor g·(2·w), pow's rule for the
 * exponent 2 applied to the gradient that sum and add pass down unchanged.
 * It is not in OPS: it is a fusion of table ops, not an op a backend implements.
 */
import { allocate, scalarOf } from './alloc.ts';
import { apply, type OpDef, type Tensor } from './tensor.ts';

const sumOfSquaresOp: OpDef<undefined> = {
  name: 'sumOfSquares',
  savesTensors: true,
  forward(inputs) {
    let total = 0;
    for (let t = 0; t < inputs.length; t++) {
      const xs = inputs[t].data;
      let s = 0;
      for (let i = 0; i < xs.length; i++) s += xs[i] * xs[i];
      total += s;
    }
    return { data: scalarOf(total), shape: [] };
  },
  backward(g, { inputs, needsGrad }) {
    const scale = g[0];
    return inputs.map((input, t) => {
      if (!needsGrad[t]) return null;
      const xs = input.data;
      const out = allocate(xs.length);
      for (let i = 0; i < xs.length; i++) out[i] = scale * (2 * xs[i]);
      return out;
    });
  },
};

/** Σ of every element squared over every tensor, in the graph; at least one tensor. */
export function sumOfSquares(tensors: readonly Tensor[]): Tensor {
  if (tensors.length === 0) throw new RangeError('sumOfSquares: no tensors');
  return apply(sumOfSquaresOp, tensors, undefined);
}
