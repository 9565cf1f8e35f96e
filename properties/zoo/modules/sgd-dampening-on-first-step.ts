/** Bug: SGD dampening the first step too: buf = (1 − τ)·g instead of buf = g. */
import { brokenReference, replaceOptimizer } from './broken.ts';
import { sgdUpdate } from './sgd-rules.ts';

export default brokenReference('zoo-sgd-dampening-on-first-step', { makeOptimizer: replaceOptimizer('sgd', sgdUpdate({ dampenFirstStep: true })) });
