/** Bug: Adam with eps inside the square root: √(v̂ + eps) instead of √v̂ + eps. */
import { adamUpdate } from './adam-rules.ts';
import { brokenReference, replaceOptimizer } from './broken.ts';

export default brokenReference('zoo-adam-eps-inside-sqrt', { makeOptimizer: replaceOptimizer('adam', adamUpdate(false, { epsInsideSqrt: true })) });
