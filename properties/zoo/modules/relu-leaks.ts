/** Bug: relu's negative branch leaks 0.01·x (a leaky ReLU shipped as ReLU), value and gradient. */
import patch from '../patches/relu-leaks.ts';
import { patchedReference } from './patched.ts';

export default patchedReference('zoo-relu-leaks', patch);
