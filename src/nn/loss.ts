import { Tensor, formatShape, sameShape } from '../engine/index.ts';

export type Reduction = 'mean' | 'sum';

/** Mean squared error, as torch.nn.MSELoss: 'mean' divides by every element (N·D), not by N. */
export function mseLoss(prediction: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  if (!sameShape(prediction.shape, target.shape)) {
    throw new RangeError(`mseLoss: prediction ${formatShape(prediction.shape)} and target ${formatShape(target.shape)} must have the same shape`);
  }
  if (reduction !== 'mean' && reduction !== 'sum') throw new RangeError(`mseLoss: reduction must be 'mean' or 'sum', got '${String(reduction)}'`);
  const squared = prediction.sub(target).square();
  return reduction === 'mean' ? squared.mean() : squared.sum();
}
