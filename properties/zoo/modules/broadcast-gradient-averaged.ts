/** Bug: add's gradient for a broadcast input is averaged over the positions it was stretched to, instead of summed. */
import patch from '../patches/broadcast-gradient-averaged.ts';
import { patchedReference } from './patched.ts';

export default patchedReference('zoo-broadcast-gradient-averaged', patch);
