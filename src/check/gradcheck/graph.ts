/** Walks over the recorded graph below an output. */
import type { Tensor } from '../../engine/index.ts';

/** The tensors of the graph below `out` (leaves too), every one after its operands. */
export function topologicalOrder(out: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Two parallel stacks rather than a stack of [tensor, expanded] pairs: no pair per visit.
  const stack: Tensor[] = [out];
  const expanded: boolean[] = [false];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (expanded.pop()) {
      order.push(t);
      continue;
    }
    const before = seen.size;
    seen.add(t);
    if (seen.size === before) continue;
    stack.push(t);
    expanded.push(true);
    if (t.node === null) continue;
    for (const input of t.node.inputs) {
      if (seen.has(input)) continue;
      stack.push(input);
      expanded.push(false);
    }
  }
  return order;
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
