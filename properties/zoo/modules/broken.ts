/**
 * How the zoo's module backends are built: the reference backend with one part replaced, so that
 * each has exactly one bug. An optimizer bug is a per-element update rule run by
 * ElementwiseOptimizer over the case's parameter groups.
 */
import type { Backend } from '../../../src/backends/backend.ts';
import { makeOptimizer, referenceBackend, type OptimizerFactory, type ReferenceOverrides } from '../../../src/backends/reference.ts';
import type { OptimizerSpec } from '../../../src/cases/types.ts';
import type { Tensor } from '../../../src/engine/index.ts';
import { Optimizer, type ParamGroup, type SGDOptions } from '../../../src/optim/index.ts';

export function brokenReference(name: string, overrides: Omit<ReferenceOverrides, 'name'> = {}): Backend {
  return referenceBackend({ name, ...overrides });
}

/** Options as a spec gives them (numbers and flags by name). */
export type Options = Record<string, any>;

/** One element's update: returns the new parameter; `state` persists per element, `t` counts steps from 1. */
export type ElementUpdate = (p: number, g: number, state: Record<string, number>, o: Options, t: number) => number;

class ElementwiseOptimizer extends Optimizer<Options> {
  private readonly states = new Map<Tensor, { t: number; elements: Record<string, number>[] }>();

  constructor(groups: ParamGroup<SGDOptions>[], spec: OptimizerSpec, private readonly rule: ElementUpdate) {
    const { kind, ...options } = spec;
    super(`zoo-${kind}`, groups as ParamGroup<Options>[], options, {}, () => undefined);
  }

  protected update(param: Tensor, grad: Float64Array, o: Readonly<Options>): void {
    let state = this.states.get(param);
    if (state === undefined) {
      state = { t: 0, elements: Array.from({ length: param.size }, () => ({})) };
      this.states.set(param, state);
    }
    state.t += 1;
    for (let i = 0; i < param.size; i++) param.data[i] = this.rule(param.data[i], grad[i], state.elements[i], o, state.t);
  }
}

/** The reference's optimizers, except that `kind` runs `rule`. */
export function replaceOptimizer(kind: OptimizerSpec['kind'], rule: ElementUpdate): OptimizerFactory {
  return (groups, spec) => (spec.kind === kind ? new ElementwiseOptimizer(groups, spec, rule) : makeOptimizer(groups, spec));
}

/** The reference's optimizers, with `patch` applied to each one made. */
export function patchOptimizer(patch: (optimizer: ReturnType<OptimizerFactory>) => void): OptimizerFactory {
  return (groups, spec) => {
    const optimizer = makeOptimizer(groups, spec);
    patch(optimizer);
    return optimizer;
  };
}
