/** regproof's public API: the engine, nn, optimizers, penalties, cases, backends, the adapter kit and the claim runner. */
export * from './engine/index.ts';
export * from './nn/index.ts';
export * from './optim/index.ts';
export { l1Penalty, l2Penalty, selectParams } from './regularize/penalties.ts';
export { CATALOGUE, PENALTIES, type CatalogueEntry, type PenaltyFn } from './regularize/recipes.ts';
export * as arbitraries from './cases/arbitraries.ts';
export * from './kit.ts';
export { referenceBackend } from './backends/reference.ts';
export { loadBackend } from './backends/load.ts';
export { runClaim, formatFailure } from './runner/run.ts';
export type { Claim, ClaimResult, Verdict } from './runner/claim.ts';
export { ALL_CLAIMS, FAMILIES } from '../properties/index.ts';
