/** Every claim family, in the order the report lists them. */
import type { Claim } from '../src/runner/claim.ts';
import { claims as l2 } from './l2.ts';
import { claims as accumulators } from './accumulators.ts';
import { claims as zero } from './zero.ts';
import { claims as bias } from './bias.ts';
import { claims as mse } from './mse.ts';
import { claims as graph } from './graph.ts';
import { claims as stability } from './stability.ts';
import { claims as sgd } from './sgd.ts';
import { claims as thread } from './thread.ts';
import { claims as fixtures } from './fixtures.ts';
import { claims as fixturesExact } from './fixtures-exact.ts';
import { claims as adaptive } from './adaptive.ts';
import { claims as gradcheck } from './gradcheck.ts';
import { claims as differential } from './differential.ts';
import { claims as ops } from './ops/index.ts';

export const FAMILIES: Record<string, readonly Claim[]> = { ops, l2, accumulators, zero, bias, mse, graph, stability, sgd, thread, adaptive, fixtures, 'fixtures-exact': fixturesExact, differential, gradcheck };

export const ALL_CLAIMS: readonly Claim[] = Object.values(FAMILIES).flat();
