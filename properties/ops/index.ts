/** The ops.* family: every declared op on its own, then losses, layers, optimizer steps, the training loop and graph lifetime. */
import type { Claim } from '../../src/runner/claim.ts';
import { claims as layers } from './layers.ts';
import { claims as lifetime } from './lifetime.ts';
import { claims as optimizers } from './optimizers.ts';
import { ownDifferencesClaim } from './own-differences.ts';
import { OP_NAMES, gradientsClaim, valuesClaim } from './reference-agreement.ts';
import { claims as zeroGrad } from './zero-grad.ts';

const perOp = OP_NAMES.flatMap((op) => [valuesClaim(op), gradientsClaim(op), ownDifferencesClaim(op)]);

export const claims: Claim[] = [...perOp, ...layers, ...optimizers, ...zeroGrad, ...lifetime];
