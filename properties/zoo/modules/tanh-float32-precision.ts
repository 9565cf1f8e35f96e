/** Bug: tanh computed in float32 (a float32 kernel behind a float64 API), so its values carry 2^-24 relative error. */
import patch from '../patches/tanh-float32-precision.ts';
import { patchedReference } from './patched.ts';

export default patchedReference('zoo-tanh-float32-precision', patch);
