/** Bug: Adam without bias correction: m and v are used as they are, not divided by 1 − β^t. */
import { adamUpdate } from './adam-rules.ts';
import { brokenReference, replaceOptimizer } from './broken.ts';

export default brokenReference('zoo-adam-no-bias-correction', { makeOptimizer: replaceOptimizer('adam', adamUpdate(false, { noBiasCorrection: true })) });
