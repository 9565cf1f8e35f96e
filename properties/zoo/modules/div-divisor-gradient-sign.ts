/** Bug: div's gradient for the divisor drops the minus sign: +g·a/b² instead of −g·a/b². */
import patch from '../patches/div-divisor-gradient-sign.ts';
import { patchedReference } from './patched.ts';

export default patchedReference('zoo-div-divisor-gradient-sign', patch);
