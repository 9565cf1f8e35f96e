/** Bug: MSELoss('mean') divides the summed squares by N² (the batch size squared) instead of N·D. */
import { Tensor, div } from '../../../src/engine/index.ts';
import { replace, type Patch } from './patch.ts';

const patch: Patch = () => {
  const mean = Tensor.prototype.mean;
  return replace(Tensor.prototype, 'mean', function (this: Tensor, axis: number | null = null, keepDim = false): Tensor {
    return axis === null && this.ndim === 2 ? div(this.sum(), this.shape[0] ** 2) : mean.call(this, axis, keepDim);
  });
};
export default patch;
