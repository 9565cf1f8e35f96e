import type fc from 'fast-check';
import type { Backend, Capability } from '../backends/backend.ts';
import type { BackendRequest } from './instrument.ts';

/**
 * A claim: an id, the statement in one sentence, and a fast-check property over a backend.
 * Defined once in properties/<family>.ts; vitest and the CLI both run it through runClaim.
 */
export interface Claim {
  readonly id: string;
  readonly statement: string;
  /**
   * Backend capabilities the property uses; a backend without one of them gets "not applicable".
   * An entry may list alternatives joined by `|`, any one of which will do (see capabilities.ts).
   */
  readonly requires: readonly Capability[];
  /** Multiplies the run count for claims whose single case is much dearer or cheaper than usual. */
  readonly runsScale?: number;
  /** The property; `observe` takes notes that are not failures, such as a policy difference. */
  property(backend: Backend, observe?: Observer): fc.IAsyncPropertyWithHooks<any>;
}

/**
 * A backend that picks another valid subgradient at a kink (say sign(0) = 1) is not wrong, but
 * it trains differently: such a choice is reported apart from failures, with its consequence.
 */
export interface PolicyNote {
  what: string;
  consequence: string;
  example: unknown;
}

export interface Observer {
  policy(note: PolicyNote): void;
  /** A case too close to a kink for agreement or disagreement to mean anything: set aside and counted. */
  illConditioned(reason: string): void;
}

/** 'error': the backend failed (see BackendError), so the claim could not be judged. */
export type Verdict = 'pass' | 'fail' | 'not-applicable' | 'error' | 'policy-difference';

export interface ClaimFailure {
  /** The claim's own seed and fast-check's path to the shrunk case: together they replay it. */
  seed: number;
  path: string;
  counterexample: unknown;
  message: string;
  replayed: boolean;
  /** The message with numbers masked: failures of one kind share it. */
  kind?: string;
  /** Generated cases (of the claim's runs) that failed this way. */
  count?: number;
  /** False for a kind found after the limit on shrinking: its first case as generated. */
  shrunk?: boolean;
  /** Exactly what the backend received while this case ran, and where that was saved. */
  requests?: BackendRequest[];
  requestFile?: string;
}

export interface ClaimResult {
  id: string;
  statement: string;
  backend: string;
  verdict: Verdict;
  runs: number;
  seed: number;
  ms: number;
  missing?: string[];
  /** The first of `failures`, kept for readers that need one. */
  failure?: ClaimFailure;
  /** Each distinct kind of failure with its shrunk case and count, in the order they were found. */
  failures?: ClaimFailure[];
  /** Cases the backend declined (CaseDeclined): not applicable one by one, counted per reason. */
  declined?: { count: number; reasons: { reason: string; count: number }[] };
  /** Problems beside the verdict, such as a saved-failure file that could not be read or written. */
  warnings?: string[];
  /** Valid choices at non-differentiable points that differ from the reference's, one per kind. */
  policy?: PolicyNote[];
  /** Cases set aside as ill-conditioned, with the first reason. */
  illConditioned?: { count: number; example: string };
}
