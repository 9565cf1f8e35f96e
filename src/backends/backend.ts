import type { ExprCase, ExprResult, TrainCase, TrainResult } from '../cases/types.ts';

export type Dtype = 'float64' | 'float32';

/**
 * What a backend can do, as fine-grained capability names: `op:<name>`, `recipe:<id>`,
 * `sgd:<option>`, `graph:<feature>`. A claim that needs a missing one is not applicable.
 */
export type Capability = string;

/** The contract a backend implements: one small async interface. */
export interface Backend {
  readonly name: string;
  readonly version: string;
  readonly dtype: Dtype;
  readonly capabilities: ReadonlySet<Capability>;
  runExpr(c: ExprCase): Promise<ExprResult>;
  runTrain(c: TrainCase): Promise<TrainResult>;
  close?(): Promise<void>;
}

/**
 * The backend itself failed (its process crashed, hung or replied garbage): not evidence about a
 * claim. A claim that hits one is reported as an error, and the run goes on to the next claim.
 */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

/**
 * The backend declines this one case (an input it cannot represent, a size it will not run):
 * not evidence either way. The runner counts the case as not applicable and shows the reason; a
 * claim whose every case is declined is not applicable.
 */
export class CaseDeclined extends Error {
  constructor(readonly reason: string) {
    super(`the backend declined the case: ${reason}`);
    this.name = 'CaseDeclined';
  }
}
