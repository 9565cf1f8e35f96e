/** Bug: SGD ignoring nesterov: it steps along the buffer, not g + μ·buf. */
import { brokenReference, replaceOptimizer } from './broken.ts';
import { sgdUpdate } from './sgd-rules.ts';

export default brokenReference('zoo-sgd-nesterov-ignored', { makeOptimizer: replaceOptimizer('sgd', sgdUpdate({ ignoreNesterov: true })) });
