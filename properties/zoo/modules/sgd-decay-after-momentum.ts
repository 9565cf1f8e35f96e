/** Bug: SGD adding weight decay after the momentum buffer instead of to the gradient before it. */
import { brokenReference, replaceOptimizer } from './broken.ts';
import { sgdUpdate } from './sgd-rules.ts';

export default brokenReference('zoo-sgd-decay-after-momentum', { makeOptimizer: replaceOptimizer('sgd', sgdUpdate({ decayAfterMomentum: true })) });
