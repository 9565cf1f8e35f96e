export { Tensor, Node, GraphReleasedError, noGrad, isGradEnabled, apply, type OpDef, type BackwardContext, type BackwardOptions } from './tensor.ts';
export * from './ops.ts';
export { linear } from './linear.ts';
export { sumOfSquares } from './sum-squares.ts';
export { tensor, fromData, zeros, full, type CreateOptions } from './create.ts';
export { Random } from './random.ts';
export { type Shape, sizeOf, sameShape, formatShape } from './shape.ts';
