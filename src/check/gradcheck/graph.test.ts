import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../engine/index.ts';
import { graphNodes, topologicalOrder } from './graph.ts';

// A diamond with a shared operand: out = (x·y + exp(x)) · y, built by hand so that the expected
// orders can be read off the picture.
function diamond() {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = tensor([3, 4], { requiresGrad: true });
  const xy = x.mul(y);
  const ex = x.exp();
  const s = xy.add(ex);
  const out = s.mul(y);
  return { x, y, xy, ex, s, out };
}

const names = (order: Tensor[], named: Record<string, Tensor>): string[] =>
  order.map((t) => Object.keys(named).find((k) => named[k] === t) ?? '?');

describe('topologicalOrder', () => {
  it('lists every tensor once, leaves too, each after its operands', () => {
    const g = diamond();
    const { order } = topologicalOrder(g.out);
    expect(names(order, g)).toEqual(['y', 'x', 'ex', 'xy', 's', 'out']);
  });

  it('lists an operand used twice once', () => {
    const x = tensor([2], { requiresGrad: true });
    const out = x.mul(x);
    expect(topologicalOrder(out).order).toEqual([x, out]);
  });

  it("gives each tensor's position in the order", () => {
    const g = diamond();
    const { order, position } = topologicalOrder(g.out);
    expect(position.size).toBe(order.length);
    order.forEach((t, n) => expect(position.get(t)).toBe(n));
  });

  it('is a single leaf for a leaf', () => {
    const x = tensor([1], { requiresGrad: true });
    expect(topologicalOrder(x).order).toEqual([x]);
  });
});

describe('graphNodes', () => {
  it('lists the computed tensors once each, depth first from the output, operands left to right', () => {
    const g = diamond();
    expect(names(graphNodes(g.out), g)).toEqual(['out', 's', 'xy', 'ex']);
  });

  it('lists a computed tensor used twice once', () => {
    const x = tensor([2], { requiresGrad: true });
    const t = x.exp();
    const out = t.mul(t);
    expect(graphNodes(out)).toEqual([out, t]);
    expect(topologicalOrder(out).order).toEqual([x, t, out]);
  });

  it('is empty for a leaf', () => {
    expect(graphNodes(tensor([1], { requiresGrad: true }))).toEqual([]);
  });
});
