/** Bug: Adam with amsgrad keeping the running maximum of v but dividing by the current v. */
import { adamUpdate } from './adam-rules.ts';
import { brokenReference, replaceOptimizer } from './broken.ts';

export default brokenReference('zoo-adam-amsgrad-uses-current', { makeOptimizer: replaceOptimizer('adam', adamUpdate(false, { amsgradUsesCurrent: true })) });
