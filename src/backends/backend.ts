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
 * Recognise one with isBackendError, not instanceof: a module may bring its own copy of regproof.
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

/**
 * Whether `e` is an error of the class named `name` or of a subclass: by the class names along its
 * prototype chain and by its `name`, so errors from another copy of regproof's package (a module
 * backend that bundles or installs its own) are recognised too, where instanceof would fail.
 */
function isErrorNamed(e: unknown, name: string): e is Error {
  if (typeof e !== 'object' || e === null) return false;
  if ((e as { name?: unknown }).name === name) return true;
  for (let proto = Object.getPrototypeOf(e); proto !== null; proto = Object.getPrototypeOf(proto)) {
    if (Object.hasOwn(proto, 'constructor') && (proto.constructor as { name?: unknown }).name === name) return true;
  }
  return false;
}

/** A BackendError from any copy of regproof (see isErrorNamed). */
export function isBackendError(e: unknown): e is BackendError {
  return e instanceof BackendError || isErrorNamed(e, 'BackendError');
}

/** A CaseDeclined from any copy of regproof; its reason is `reason`, or else its message. */
export function isCaseDeclined(e: unknown): e is CaseDeclined {
  return e instanceof CaseDeclined || isErrorNamed(e, 'CaseDeclined');
}
