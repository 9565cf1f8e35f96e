/**
 * A strict test backend: the reference engine declaring only a subset of its capabilities, which
 * refuses (with a BackendError, so the runner reports an error, never a verdict) any request that
 * uses something it did not declare. Every claim run against it must come out passed or not
 * applicable: a claim that sends an undeclared feature, or that fails on the reference's own
 * numbers once it may not assume the reference's arithmetic, is a defect of the claim.
 */
import { BackendError, type Backend, type Capability } from '../src/backends/backend.ts';
import { ARITH_REFERENCE, caseCapabilities, everyCapability, opCapability } from '../src/backends/capabilities.ts';
import { referenceBackend } from '../src/backends/reference.ts';
import { TFJS_CAPABILITIES } from '../src/backends/tfjs.ts';
import type { ExprCase, TrainCase } from '../src/cases/types.ts';

export function strictBackend(name: string, capabilities: Iterable<Capability>, inner: Backend = referenceBackend()): Backend {
  const declared = new Set(capabilities);
  const check = (c: ExprCase | TrainCase): void => {
    const undeclared = [...caseCapabilities(c)].filter((cap) => !declared.has(cap));
    if (undeclared.length > 0) throw new BackendError(`strict backend '${name}' was sent a ${c.kind} case using ${undeclared.join(', ')}, which it does not declare`);
  };
  return {
    name,
    version: inner.version,
    dtype: inner.dtype,
    capabilities: declared,
    runExpr: async (c) => {
      check(c);
      return inner.runExpr(c);
    },
    runTrain: async (c) => {
      check(c);
      return inner.runTrain(c);
    },
  };
}

const ops = (...names: string[]) => names.map(opCapability);

/**
 * Capability subsets that stress the claims' honesty: everything but the reference's arithmetic
 * (every bounded branch), a few ops only, plain SGD without the usual ops, TensorFlow.js's set,
 * adaptive optimizers with some options missing, and the reference's arithmetic over a subset.
 */
export const STRICT_SUBSETS: Record<string, readonly Capability[]> = {
  'everything-but-arith': everyCapability(),
  'four-ops': ops('neg', 'add', 'mul', 'sum'),
  'plain-sgd-no-square': [
    ...ops('add', 'sub', 'mul', 'div', 'sum', 'mean', 'pow', 'relu', 'sqrt', 'norm', 'abs'),
    'layer:linear', 'act:relu', 'loss:mse:sum', 'optimizer:sgd', 'recipe:half-pow-sum', 'recipe:l1', 'recipe:norm', 'train:noZeroGrad',
  ],
  'tfjs-like': TFJS_CAPABILITIES.filter((c) => !c.startsWith('convention:')),
  'adaptive-partial': [
    ...ops('add', 'sub', 'neg', 'mul', 'sum', 'exp', 'tanh', 'transpose'),
    'layer:linear', 'act:tanh', 'loss:mse:mean', 'optimizer:sgd', 'sgd:momentum', 'sgd:weightDecay', 'optimizer:sgdw', 'sgdw:weightDecay',
    'optimizer:adam', 'adam:weightDecay', 'optimizer:adamw', 'adamw:weightDecay', 'optimizer:rmsprop', 'rmsprop:centered', 'optimizer:adagrad',
    'recipe:half-pow-sum', 'recipe:pow-sum', 'train:groups', 'graph:accumulates', 'graph:retainGraph', 'graph:releasesSaved',
  ],
  'exact-subset': [
    ...ops('add', 'sub', 'mul', 'div', 'sum', 'mean', 'square', 'norm', 'abs', 'sqrt', 'pow'),
    'layer:linear', 'act:relu', 'act:tanh', 'loss:mse:mean', 'loss:mse:sum', 'optimizer:sgd', 'sgd:weightDecay', 'sgd:maximize',
    'recipe:half-pow-sum', 'recipe:pow-sum', 'recipe:norm-item', 'recipe:norm', 'recipe:norm-from-zero', 'train:noZeroGrad', ARITH_REFERENCE,
  ],
};
