/** Walks over the recorded graph below an output. */
import type { Tensor } from '../../engine/index.ts';

/**
 * The tensors of the graph below `out` (leaves too), every one after its operands, and each one's
 * position in that order.
 */
export function topologicalOrder(out: Tensor): { order: Tensor[]; position: Map<Tensor, number> } {
  const order: Tensor[] = [];
  // A tensor seen but not yet placed has position −1: one map serves as the visited set and the index.
  const position = new Map<Tensor, number>();
  // Two parallel stacks rather than a stack of [tensor, expanded] pairs: no pair per visit.
  const stack: Tensor[] = [out];
  const expanded: boolean[] = [false];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (expanded.pop()) {
      position.set(t, order.length);
      order.push(t);
      continue;
    }
    if (position.has(t)) continue;
    position.set(t, -1);
    stack.push(t);
    expanded.push(true);
    if (t.node === null) continue;
    for (const input of t.node.inputs) {
      if (position.has(input)) continue;
      stack.push(input);
      expanded.push(false);
    }
  }
  return { order, position };
}

/** The computed tensors of the graph below `out`, depth first from the output (the same order for the same graph). */
export function graphNodes(out: Tensor): Tensor[] {
  const nodes: Tensor[] = [];
  if (out.node === null) return nodes;
  const seen = new Set<Tensor>();
  const stack: Tensor[] = [out];
  while (stack.length > 0) {
    const t = stack.pop()!;
    const before = seen.size;
    seen.add(t);
    if (seen.size === before) continue;
    nodes.push(t);
    const inputs = t.node!.inputs;
    // Leaves are never pushed: they are not listed, and skipping them here saves a set lookup each.
    for (let i = inputs.length - 1; i >= 0; i--) if (inputs[i].node !== null) stack.push(inputs[i]);
  }
  return nodes;
}
