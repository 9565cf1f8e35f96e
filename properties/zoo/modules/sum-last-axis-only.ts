/** Bug: sum over every element of a tensor of two or more dimensions reduces only the last axis, and keeps the first of those sums. */
import patch from '../patches/sum-last-axis-only.ts';
import { patchedReference } from './patched.ts';

export default patchedReference('zoo-sum-last-axis-only', patch);
