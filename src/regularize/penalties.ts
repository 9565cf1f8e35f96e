import { Tensor, abs, add, mul, sum, sumOfSquares } from '../engine/index.ts';
import type { ParamSelect } from '../cases/types.ts';

function checkLambda(fn: string, lambda: number): void {
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0) {
    throw new RangeError(`${fn}: λ must be a finite number ≥ 0, got ${String(lambda)}`);
  }
}

function checkParams(fn: string, params: readonly Tensor[]): void {
  if (params.length === 0) throw new RangeError(`${fn}: no parameters to penalize (did a filter exclude all of them?)`);
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${fn}: parameter ${i} is not a Tensor`);
  });
}

/** λ·0.5·Σw² over every element of every parameter, in the graph: its gradient is exactly λ·w. */
export function l2Penalty(params: readonly Tensor[], lambda: number): Tensor {
  checkLambda('l2Penalty', lambda);
  checkParams('l2Penalty', params);
  // One op with the numbers of params.map((p) => sum(pow(p, 2))).reduce(add), bit for bit.
  return mul(lambda, mul(0.5, sumOfSquares(params)));
}

/** λ·Σ|w|, in the graph; its gradient is λ·sign(w), and 0 at exact zeros (abs'(0) = 0). */
export function l1Penalty(params: readonly Tensor[], lambda: number): Tensor {
  checkLambda('l1Penalty', lambda);
  checkParams('l1Penalty', params);
  const total = params.map((p) => sum(abs(p))).reduce((acc, s) => add(acc, s));
  return mul(lambda, total);
}

/** Which parameter names each selection keeps. */
const KEEP: Record<ParamSelect, (name: string) => boolean> = {
  all: () => true,
  weights: (name) => name === 'weight' || name.endsWith('.weight'),
  biases: (name) => name === 'bias' || name.endsWith('.bias'),
};

/** Chooses parameters by name, as `named_parameters()` filters do: `*.weight` or `*.bias`. */
export function selectParams(named: Iterable<[string, Tensor]>, select: ParamSelect): Tensor[] {
  // An own-property lookup: 'constructor' or 'toString' must not find Object's members.
  const test = Object.hasOwn(KEEP, select) ? KEEP[select] : undefined;
  if (test === undefined) throw new RangeError(`selectParams: select must be 'all', 'weights' or 'biases', got '${String(select)}'`);
  const out: Tensor[] = [];
  for (const [name, p] of named) if (test(name)) out.push(p);
  return out;
}
