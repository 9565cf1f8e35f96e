/**
 * Each optimizer's update, option by option, against its documented rule (rules.ts): a training
 * case of two steps from given initial values, and each step's parameters checked against the
 * rule applied to the backend's own gradients and its own parameters before the step. Two steps,
 * because the state's corrections show on the second (momentum's dampening, a decay added after
 * momentum, amsgrad's maximum). An option varies only where the backend declares it
 * (`<optimizer>:<option>`); elsewhere it keeps its neutral value.
 */
import fc from 'fast-check';
import type { Backend } from '../../src/backends/backend.ts';
import { OPTIMIZER_OPTIONS } from '../../src/backends/capabilities.ts';
import { arbitrariesFor } from '../../src/cases/arbitraries.ts';
import type { OptimizerSpec, TrainCase, TrainResult } from '../../src/cases/types.ts';
import type { Claim } from '../../src/runner/claim.ts';
import { fmt } from '../support.ts';
import { allowedError } from './accuracy.ts';
import { documentedRule, type ElementState } from './rules.ts';
import { layerCaseArb, reductionsOf } from './training.ts';

type Kind = OptimizerSpec['kind'];

function optimizerArb(backend: Backend, kind: Kind): fc.Arbitrary<OptimizerSpec> {
  const A = arbitrariesFor(backend);
  const has = (option: string) => backend.capabilities.has(`${kind}:${option}`);
  // An option shrinks toward its neutral value, so a shrunk failure shows only the options it needs.
  const choose = <T>(option: string, neutral: T, varied: fc.Arbitrary<T>): fc.Arbitrary<T> =>
    has(option) ? fc.oneof({ withCrossShrink: true }, fc.constant(neutral), varied) : fc.constant(neutral);
  const flag = (option: string) => choose(option, false, fc.constant(true));
  // Readable values first, so that a failing case shrinks toward them (withCrossShrink).
  const readable = (values: number[], other: fc.Arbitrary<number>) => fc.oneof({ withCrossShrink: true }, fc.constantFrom(...values.map(A.round)), other);
  const eps = readable([1e-8, 0.01], A.num(1e-3, 0.5));
  const lr = readable([0.1, 0.5], A.lr);
  const beta1 = readable([0.9, 0.5], A.num(0.5, 0.95));
  const beta2 = readable([0.99, 0.9], A.num(0.8, 0.999));
  const fraction = readable([0.5, 0.9], A.num(0.05, 0.95));
  const decay = readable([0.5, 1], A.num(0.05, 1));
  switch (kind) {
    case 'sgd':
    case 'sgdw':
      return fc
        .record({
          lr,
          momentum: choose('momentum', 0, fraction),
          dampening: choose('dampening', 0, fraction),
          maximize: flag('maximize'),
          weightDecay: choose('weightDecay', 0, decay),
        })
        .chain((o) => (o.momentum > 0 && o.dampening === 0 ? flag('nesterov') : fc.constant(false)).map((nesterov) => ({ kind, ...o, nesterov })));
    case 'adam':
    case 'adamw':
      return fc.record({
        kind: fc.constant(kind),
        lr,
        betas: fc.tuple(beta1, beta2),
        eps,
        weightDecay: choose('weightDecay', 0, decay),
        amsgrad: flag('amsgrad'),
        maximize: flag('maximize'),
      });
    case 'rmsprop':
      // α ≥ 0.5: centered's s − a² cancels by at most a factor α at the first steps, which the tolerance's margin covers.
      return fc.record({
        kind: fc.constant(kind),
        lr,
        alpha: readable([0.9, 0.99], A.num(0.5, 0.99)),
        eps,
        weightDecay: choose('weightDecay', 0, decay),
        momentum: choose('momentum', 0, fraction),
        centered: flag('centered'),
        maximize: flag('maximize'),
      });
    case 'adagrad':
      return fc.record({
        kind: fc.constant(kind),
        lr,
        lrDecay: choose('lrDecay', 0, decay),
        weightDecay: choose('weightDecay', 0, decay),
        initialAccumulatorValue: choose('initialAccumulatorValue', 0, decay),
        eps,
        maximize: flag('maximize'),
      });
  }
}

/** The options that differ from their neutral value, as a message shows them. */
function describeOptions(spec: OptimizerSpec): string {
  const neutral: Readonly<Record<string, unknown>> = OPTIMIZER_OPTIONS[spec.kind];
  const shown = Object.entries(spec).filter(([k, v]) => k !== 'kind' && neutral[k] !== v);
  return `${spec.kind}(${shown.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')})`;
}

/**
 * The rule applied to the backend's gradients from its parameters before each step. The rule
 * rerun on absolute values (no maximize) gives Σ|terms| of each update, so the allowed error is
 * 64 roundings of the parameter and of those terms: about fifteen operations per step (Adam's
 * bias corrections, square root and division), each within u, with a factor of four to spare.
 */
function expectFollowsRule(backend: Backend, c: TrainCase, theirs: TrainResult): void {
  const rule = documentedRule(c.optimizer);
  const absRule = documentedRule({ ...c.optimizer, maximize: false });
  for (const [name, init] of Object.entries(c.init)) {
    init.forEach((_, i) => {
      const state: ElementState = {};
      const absState: ElementState = {};
      for (let t = 1; t <= c.steps; t++) {
        const before = t === 1 ? init[i] : theirs.params[t - 2][name][i];
        const g = theirs.grads[t - 1][name][i];
        const expected = rule(before, g, state, t);
        const terms = Math.abs(absRule(Math.abs(before), Math.abs(g), absState, t) - Math.abs(before));
        const allowed = allowedError(64, backend.dtype, 1, Math.abs(before) + Math.abs(expected) + terms);
        const got = theirs.params[t - 1][name][i];
        if (!(Math.abs(got - expected) <= allowed)) {
          const where = `${describeOptions(c.optimizer)}, step ${t}, parameter ${name}[${i}] from ${fmt(before)} with gradient ${fmt(g)}`;
          throw new Error(`${where}: the backend gives ${fmt(got)}, the documented rule ${fmt(expected)} (allowed error ${allowed})`);
        }
      }
    });
  }
}

export function optimizerClaim(kind: Kind): Claim {
  return {
    id: `ops.optimizer.${kind}`,
    statement: `Two ${kind} steps from given parameters follow the documented update rule, option by option, applied to the backend's own gradients.`,
    requires: [`optimizer:${kind}`, 'layer:linear', 'loss:mse:mean'],
    property: (backend) =>
      fc.asyncProperty(layerCaseArb(backend, optimizerArb(backend, kind), 2, reductionsOf(backend)), async (c) => {
        expectFollowsRule(backend, c, await backend.runTrain(c));
      }),
  };
}

export const claims: Claim[] = (['sgd', 'sgdw', 'adam', 'adamw', 'rmsprop', 'adagrad'] as const).map(optimizerClaim);
