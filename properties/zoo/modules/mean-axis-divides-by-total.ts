/** Bug: mean over one axis divides by the total number of elements instead of that axis's length. */
import patch from '../patches/mean-axis-divides-by-total.ts';
import { patchedReference } from './patched.ts';

export default patchedReference('zoo-mean-axis-divides-by-total', patch);
