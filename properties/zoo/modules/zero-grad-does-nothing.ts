/** Bug: the optimizer's zero_grad does nothing, so gradients accumulate across steps. */
import { brokenReference, patchOptimizer } from './broken.ts';

export default brokenReference('zoo-zero-grad-does-nothing', {
  makeOptimizer: patchOptimizer((optimizer) => {
    optimizer.zeroGrad = () => undefined;
  }),
});
