/** Bug: AdamW whose decay is added to the gradient (Adam's coupled L2) instead of p·(1 − lr·λ). */
import { adamUpdate } from './adam-rules.ts';
import { brokenReference, replaceOptimizer } from './broken.ts';

export default brokenReference('zoo-adamw-decay-coupled', { makeOptimizer: replaceOptimizer('adamw', adamUpdate(true, { coupledDecayInAdamW: true })) });
