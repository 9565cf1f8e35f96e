/**
 * The capability names RULES.md fixes for training features (h9-claims declares them on the
 * built-in backends). Until that lands, the ops family's own registration and the bug zoo add
 * them to the reference's set, since the reference implements every one of them.
 */
import type { Backend } from '../../src/backends/backend.ts';

const OPTIONS: Record<string, string[]> = {
  sgd: ['momentum', 'dampening', 'nesterov', 'maximize', 'weightDecay'],
  sgdw: ['momentum', 'dampening', 'nesterov', 'maximize', 'weightDecay'],
  adam: ['amsgrad', 'maximize', 'weightDecay'],
  adamw: ['amsgrad', 'maximize', 'weightDecay'],
  rmsprop: ['centered', 'momentum', 'maximize', 'weightDecay'],
  adagrad: ['lrDecay', 'initialAccumulatorValue', 'maximize', 'weightDecay'],
};

export const TRAINING_CAPABILITIES: readonly string[] = [
  ...Object.entries(OPTIONS).flatMap(([kind, options]) => [`optimizer:${kind}`, ...options.map((o) => `${kind}:${o}`)]),
  'layer:linear',
  'act:relu',
  'act:tanh',
  'loss:mse:mean',
  'loss:mse:sum',
  'train:groups',
];

/** The backend with the training capability names added to its own. */
export const withTrainingCapabilities = (backend: Backend): Backend => ({ ...backend, capabilities: new Set([...backend.capabilities, ...TRAINING_CAPABILITIES]) });
