/** Bug: sqrt's backward is g/y, without the 1/2 of d√x/dx = 1/(2√x). */
import patch from '../patches/sqrt-backward-missing-half.ts';
import { patchedReference } from './patched.ts';

export default patchedReference('zoo-sqrt-backward-missing-half', patch);
