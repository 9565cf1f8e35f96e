/** The ops.* family: every declared op on its own, then losses, layers, optimizer steps and graph lifetime. */
import type { Claim } from '../../src/runner/claim.ts';
import { OP_NAMES, gradientsClaim, valuesClaim } from './reference-agreement.ts';
import { ownDifferencesClaim } from './own-differences.ts';

export const claims: Claim[] = [...OP_NAMES.flatMap((op) => [valuesClaim(op), gradientsClaim(op), ownDifferencesClaim(op)])];
