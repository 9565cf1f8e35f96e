/**
 * Error radii op by op: how far the rounding errors of an op's operands can move its result, to
 * first order, (|J|·r)_e = Σ_k |∂v_e/∂w_k|·r_k. Each rule costs about one forward or backward of
 * its op, so a running error analysis of the whole graph costs about one pass over it.
 */
import { fromData, type OpName, type Tensor } from '../../engine/index.ts';
import { broadcastIndex } from '../../engine/shape.ts';
import { packedMap } from '../packed.ts';

/** Adds |J|·r to `into` (the result's radius so far), for the operands whose radius is not null. */
export type RadiusRule = (t: Tensor, radii: readonly (Float64Array | null)[], into: Float64Array) => void;

/** x spread over the output's shape (x itself when no element repeats). */
function spread(x: Float64Array, shape: readonly number[], t: Tensor): Float64Array {
  if (x.length === t.size) return x;
  const index = broadcastIndex(shape, t.shape);
  return Float64Array.from(index, (i) => x[i]);
}

/**
 * Elementwise ops, broadcasting included: each output element depends on one element of each
 * operand, so J is diagonal once the operands are spread over the output's shape, and the op's
 * own backward with upstream gradient 1 gives that diagonal.
 */
const elementwise: RadiusRule = (t, radii, into) => {
  const { op, inputs, attrs } = t.node!;
  const operands = packedMap(inputs, (x) => (x.size === t.size ? x : fromData(spread(x.data, x.shape, t), t.shape)));
  const ones = new Float64Array(t.size).fill(1);
  const partials = op.backward(ones, { inputs: operands, output: t, attrs, needsGrad: packedMap(radii, (r) => r !== null) });
  radii.forEach((r, i) => {
    if (r === null) return;
    const d = partials[i]!;
    const reaching = spread(r, inputs[i].shape, t);
    // A zero radius adds nothing, even where the derivative is infinite (0·∞ would be NaN).
    for (let e = 0; e < into.length; e++) if (reaching[e] !== 0) into[e] += Math.abs(d[e]) * reaching[e];
  });
};

/** Linear ops whose coefficients are all ≥ 0 (sums, means, views): |J|·r = J·r, the op's own forward on r. */
const nonnegativeLinear: RadiusRule = (t, [r], into) => {
  if (r === null) return;
  const { op, inputs, attrs } = t.node!;
  const reached = op.forward([fromData(r, inputs[0].shape)], attrs).data;
  for (let e = 0; e < into.length; e++) into[e] += reached[e];
};

/** A·B: |J|·(r_A, r_B) = r_A·|B| + |A|·r_B, two products with the op's own forward. */
const bilinear: RadiusRule = (t, [ra, rb], into) => {
  const { op, inputs, attrs } = t.node!;
  const [a, b] = inputs;
  const abs = (x: Tensor): Tensor => fromData(x.data.map(Math.abs), x.shape);
  const terms = [ra === null ? null : [fromData(ra, a.shape), abs(b)], rb === null ? null : [abs(a), fromData(rb, b.shape)]];
  for (const term of terms) {
    if (term === null) continue;
    const reached = op.forward(term, attrs).data;
    for (let e = 0; e < into.length; e++) into[e] += reached[e];
  }
};

/**
 * Any op: one backward per output element, each giving a row of J. Exact for every op, and cheap
 * for a scalar result (one call); for ops outside the table it costs size² element operations.
 */
export const byRows: RadiusRule = (t, radii, into) => {
  const { op, inputs, attrs } = t.node!;
  const needsGrad = packedMap(radii, (r) => r !== null);
  for (let e = 0; e < t.size; e++) {
    const unit = new Float64Array(t.size);
    unit[e] = 1;
    const rows = op.backward(unit, { inputs, output: t, attrs, needsGrad });
    radii.forEach((r, i) => {
      const row = rows[i];
      if (r === null || row === null) return;
      for (let k = 0; k < r.length; k++) if (r[k] !== 0) into[e] += Math.abs(row[k]) * r[k];
    });
  }
};

/** The rule of every op of the engine's OPS table. */
export const RADIUS_RULES: Record<OpName, RadiusRule> = {
  neg: elementwise,
  exp: elementwise,
  log: elementwise,
  sqrt: elementwise,
  abs: elementwise,
  sign: elementwise,
  relu: elementwise,
  tanh: elementwise,
  square: elementwise,
  pow: elementwise,
  add: elementwise,
  sub: elementwise,
  mul: elementwise,
  div: elementwise,
  matmul: bilinear,
  sum: nonnegativeLinear,
  mean: nonnegativeLinear,
  reshape: nonnegativeLinear,
  transpose: nonnegativeLinear,
  // A scalar result: one row.
  norm: byRows,
};

/** The rule for an op by name; ops outside the table (user-defined ones) go row by row. */
export function radiusRule(name: string): RadiusRule {
  return Object.hasOwn(RADIUS_RULES, name) ? RADIUS_RULES[name as OpName] : byRows;
}
