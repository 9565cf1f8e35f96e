/**
 * The one vocabulary of capabilities: a name for everything a case can contain. A backend
 * declares the names it implements; case generators draw only from them; a claim that needs a
 * missing one is not applicable. caseCapabilities says which names one case uses, so a test can
 * hold every generated case to what the backend declared.
 */
import { OPS, type OpName } from '../engine/index.ts';
import { PENALTIES } from '../regularize/recipes.ts';
import type { ExprCase, ExprNode, OptimizerSpec, TrainCase } from '../cases/types.ts';
import type { Capability } from './backend.ts';

export type OptimizerKind = OptimizerSpec['kind'];

export const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['sgd', 'sgdw', 'adam', 'adamw', 'rmsprop', 'adagrad'];

const SGD_OPTIONS = { momentum: 0, dampening: 0, nesterov: false, maximize: false, weightDecay: 0 };
const ADAM_OPTIONS = { amsgrad: false, maximize: false, weightDecay: 0 };

/**
 * Each optimizer's options that have an "off" value, with that value. A case that sets one to
 * anything else uses `<kind>:<option>`; the hyperparameters every implementation has (lr, betas,
 * eps, alpha) need no capability.
 */
export const OPTIMIZER_OPTIONS: { readonly [K in OptimizerKind]: Readonly<Record<string, number | boolean>> } = {
  sgd: SGD_OPTIONS,
  sgdw: SGD_OPTIONS,
  adam: ADAM_OPTIONS,
  adamw: ADAM_OPTIONS,
  rmsprop: { momentum: 0, centered: false, maximize: false, weightDecay: 0 },
  adagrad: { lrDecay: 0, initialAccumulatorValue: 0, maximize: false, weightDecay: 0 },
};

export const opCapability = (op: string): Capability => `op:${op}`;
export const optimizerCapability = (kind: OptimizerKind): Capability => `optimizer:${kind}`;
export const optionCapability = (kind: OptimizerKind, option: string): Capability => `${kind}:${option}`;
export const recipeCapability = (recipe: string): Capability => `recipe:${recipe}`;

export const LAYER_LINEAR = 'layer:linear';
export const ACT_RELU = 'act:relu';
export const ACT_TANH = 'act:tanh';
export const LOSS_MSE_MEAN = 'loss:mse:mean';
export const LOSS_MSE_SUM = 'loss:mse:sum';
export const TRAIN_GROUPS = 'train:groups';
export const TRAIN_NO_ZERO_GRAD = 'train:noZeroGrad';
export const GRAPH_ACCUMULATES = 'graph:accumulates';
export const GRAPH_RETAIN = 'graph:retainGraph';
export const GRAPH_RELEASES_SAVED = 'graph:releasesSaved';
export const ARITH_REFERENCE = 'arith:reference';
export const ARITH_PYTORCH = 'arith:pytorch';

/** Every name a case can use, for a backend that implements everything (the reference). */
export function everyCapability(): Capability[] {
  return [
    ...Object.keys(OPS).map(opCapability),
    ...OPTIMIZER_KINDS.flatMap((kind) => [optimizerCapability(kind), ...Object.keys(OPTIMIZER_OPTIONS[kind]).map((o) => optionCapability(kind, o))]),
    LAYER_LINEAR, ACT_RELU, ACT_TANH, LOSS_MSE_MEAN, LOSS_MSE_SUM,
    ...Object.keys(PENALTIES).map(recipeCapability),
    TRAIN_GROUPS, TRAIN_NO_ZERO_GRAD, GRAPH_ACCUMULATES, GRAPH_RETAIN, GRAPH_RELEASES_SAVED,
  ];
}

/**
 * A requirement is one capability name, or alternatives joined by `|` (any one of them will do:
 * `op:square|op:pow|op:mul` for a claim that squares through whichever op the backend has).
 */
export function satisfies(capabilities: ReadonlySet<Capability>, requirement: string): boolean {
  return requirement.split('|').some((c) => capabilities.has(c));
}

/** The requirements a backend does not meet. */
export function missingCapabilities(capabilities: ReadonlySet<Capability>, requires: readonly string[]): string[] {
  return requires.filter((r) => !satisfies(capabilities, r));
}

/** An expression node that applies an op (neither an input nor a constant). */
export type OpNode = Exclude<ExprNode, { op: 'input' } | { op: 'const' }>;

/** The graph's op nodes, walked with an explicit stack: a case's graph may be 100,000 ops deep. */
function* opNodes(graph: ExprNode): Generator<OpNode> {
  const pending = [graph];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.op === 'input' || node.op === 'const') continue;
    yield node;
    pending.push(...node.args);
  }
}

function graphCapabilities(graph: ExprNode, into: Set<Capability>): void {
  for (const node of opNodes(graph)) into.add(opCapability(node.op));
}

/** Whether the graph holds an op that saves tensors for backward (so a second backward meets a released graph). */
function savesTensors(graph: ExprNode): boolean {
  // An op outside the table is assumed to save tensors: the safe side for a graph-lifetime requirement.
  for (const node of opNodes(graph)) if ((OPS[node.op as OpName] as { savesTensors?: boolean } | undefined)?.savesTensors !== false) return true;
  return false;
}

function trainCapabilities(c: TrainCase, into: Set<Capability>): void {
  into.add(LAYER_LINEAR);
  for (const layer of c.model.layers) if (layer.activation !== 'identity') into.add(`act:${layer.activation}`);
  into.add(`loss:mse:${c.loss.reduction}`);
  const o = c.optimizer;
  into.add(optimizerCapability(o.kind));
  const off = OPTIMIZER_OPTIONS[o.kind];
  for (const [option, value] of Object.entries(off)) {
    if ((o as unknown as Record<string, unknown>)[option] !== value) into.add(optionCapability(o.kind, option));
  }
  if (c.groups !== undefined) {
    into.add(TRAIN_GROUPS);
    if (c.groups.some((g) => g.weightDecay !== 0)) into.add(optionCapability(o.kind, 'weightDecay'));
  }
  if (c.penalty !== null) into.add(recipeCapability(c.penalty.recipe));
  if (!c.zeroGrad) into.add(TRAIN_NO_ZERO_GRAD);
}

/** The capabilities one case uses: a backend must declare every one of them to be sent the case. */
export function caseCapabilities(c: ExprCase | TrainCase): Set<Capability> {
  const into = new Set<Capability>();
  if (c.kind === 'train') {
    trainCapabilities(c, into);
    return into;
  }
  graphCapabilities(c.graph, into);
  const plan = c.backward;
  if (plan !== undefined && plan.times === 2) {
    into.add(GRAPH_ACCUMULATES);
    if (plan.retainGraph) into.add(GRAPH_RETAIN);
    else if (savesTensors(c.graph)) into.add(GRAPH_RELEASES_SAVED);
  }
  return into;
}
