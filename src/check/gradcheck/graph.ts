/** Walks over the recorded graph below an output. */
import type { Tensor } from '../../engine/index.ts';

/** The tensors of the graph below `out` (leaves too), every one after its operands. */
export function topologicalOrder(out: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[out, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    if (t.node !== null) for (const input of t.node.inputs) if (!seen.has(input)) stack.push([input, false]);
  }
  return order;
}

/** The computed tensors of the graph below `out`, depth first from the output (the same order for the same graph). */
export function graphNodes(out: Tensor): Tensor[] {
  const nodes: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: Tensor[] = [out];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t) || t.node === null) continue;
    seen.add(t);
    nodes.push(t);
    for (let i = t.node.inputs.length - 1; i >= 0; i--) stack.push(t.node.inputs[i]);
  }
  return nodes;
}
