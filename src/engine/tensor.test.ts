import { describe, expect, it } from 'vitest';
import { tensor } from './create.ts';
import * as ops from './ops.ts';
import { apply, GraphReleasedError, isGradEnabled, noGrad, Tensor, type OpDef } from './tensor.ts';

const values = (t: Tensor | null) => Array.from(t!.data);

describe('Tensor construction and accessors', () => {
  it('checks the shape it is given, naming the bad dimension', () => {
    // [-1, -1] has a product of 1, so only the dimension check can catch it.
    expect(() => new Tensor(new Float64Array(1), [-1, -1])).toThrow('Tensor: shape [-1, -1] has an invalid dimension -1');
  });
  it('names the value count and the count the shape needs', () => {
    expect(() => new Tensor(new Float64Array(3), [2, 2])).toThrow(RangeError);
    expect(() => new Tensor(new Float64Array(3), [2, 2])).toThrow('Tensor: 3 values do not fill shape [2, 2] (4 needed)');
  });
  it('keeps a frozen copy of the shape', () => {
    const shape = [2, 3];
    const t = new Tensor(new Float64Array(6), shape);
    shape[0] = 9;
    expect(t.shape).toEqual([2, 3]);
    expect(Object.isFrozen(t.shape)).toBe(true);
    expect(Object.isFrozen(ops.add(t, 1).shape)).toBe(true);
  });
  it('reports size, ndim, isLeaf and requiresGrad', () => {
    const t = new Tensor(new Float64Array(6), [2, 3]);
    expect([t.size, t.ndim, t.isLeaf, t.requiresGrad, t.node, t.grad]).toEqual([6, 2, true, false, null, null]);
    const s = new Tensor(new Float64Array(1), []);
    expect([s.size, s.ndim]).toEqual([1, 0]);
    const y = ops.mul(tensor([1, 2], { requiresGrad: true }), 2);
    expect([y.isLeaf, y.requiresGrad, y.node!.op.name]).toEqual([false, true, 'mul']);
  });
  it('zeroGrad leaves a tensor without gradient as it is', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.zeroGrad();
    x.zeroGrad(true);
    expect(x.grad).toBeNull();
  });
  it('lets a leaf change requiresGrad, and names the op of a computed tensor that cannot', () => {
    const x = tensor([1]);
    x.requiresGrad = true;
    expect(x.requiresGrad).toBe(true);
    x.requiresGrad = false;
    expect(x.requiresGrad).toBe(false);
    const y = ops.exp(tensor([1], { requiresGrad: true }));
    expect(() => {
      y.requiresGrad = false;
    }).toThrow("requiresGrad can only be changed on a leaf tensor; this one was computed by 'exp' (use detach() first)");
  });
});

describe('values out of a tensor', () => {
  it('item() reads the one element of any shape and names a shape with more', () => {
    expect(tensor([[7]]).item()).toBe(7);
    expect(tensor(-2).item()).toBe(-2);
    expect(() => tensor([1, 2]).item()).toThrow(RangeError);
    expect(() => tensor([[1, 2]]).item()).toThrow('item() needs a tensor with exactly one element, got shape [1, 2]');
    expect(() => tensor([]).item()).toThrow('got shape [0]');
  });
  it('detach shares the values without the graph; clone copies them', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = ops.mul(x, 3);
    const d = y.detach();
    expect(d.data).toBe(y.data);
    expect([d.isLeaf, d.requiresGrad]).toEqual([true, false]);
    expect(d.shape).toEqual([2]);
    const c = y.clone();
    expect(c.data).not.toBe(y.data);
    expect(values(c)).toEqual([3, 6]);
    expect([c.isLeaf, c.requiresGrad]).toEqual([true, false]);
  });
  it('toArray nests the values row-major', () => {
    expect(tensor(4).toArray()).toBe(4);
    expect(tensor([1, 2]).toArray()).toEqual([1, 2]);
    const nested = [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]];
    expect(tensor(nested).toArray()).toEqual(nested);
    expect(tensor([[1], [2], [3]]).toArray()).toEqual([[1], [2], [3]]);
    expect(tensor([[], []]).toArray()).toEqual([[], []]);
  });
  it('toString shows the values and where the tensor came from', () => {
    expect(String(tensor([[1, 2]]))).toBe('Tensor([[1,2]])');
    expect(String(tensor([1], { requiresGrad: true }))).toBe('Tensor([1], requiresGrad)');
    expect(String(ops.neg(tensor([1], { requiresGrad: true })))).toBe('Tensor([-1], gradFn=neg)');
  });
});

describe('methods are the ops', () => {
  const x = tensor([[1, 4], [9, 16]]);
  const cases: [string, Tensor, number[], number[]][] = [
    ['add', x.add(1), [2, 5, 10, 17], [2, 2]],
    ['sub', x.sub(1), [0, 3, 8, 15], [2, 2]],
    ['mul', x.mul(2), [2, 8, 18, 32], [2, 2]],
    ['div', x.div(2), [0.5, 2, 4.5, 8], [2, 2]],
    ['neg', x.neg(), [-1, -4, -9, -16], [2, 2]],
    ['pow', x.pow(0.5), [1, 2, 3, 4], [2, 2]],
    ['square', x.square(), [1, 16, 81, 256], [2, 2]],
    ['sqrt', x.sqrt(), [1, 2, 3, 4], [2, 2]],
    ['exp', tensor([0]).exp(), [1], [1]],
    ['log', tensor([1]).log(), [0], [1]],
    ['abs', tensor([-3, 2]).abs(), [3, 2], [2]],
    ['sign', tensor([-3, 0, 2]).sign(), [-1, 0, 1], [3]],
    ['relu', tensor([-3, 2]).relu(), [0, 2], [2]],
    ['tanh', tensor([0]).tanh(), [0], [1]],
    ['matmul', x.matmul(tensor([[1], [1]])), [5, 25], [2, 1]],
    ['sum', x.sum(), [30], []],
    ['sum axis 0', x.sum(0), [10, 20], [2]],
    ['sum axis 1 keepDim', x.sum(1, true), [5, 25], [2, 1]],
    ['mean', x.mean(), [7.5], []],
    ['mean axis 0', x.mean(0), [5, 10], [2]],
    ['mean axis 0 keepDim', x.mean(0, true), [5, 10], [1, 2]],
    ['norm', tensor([3, 4]).norm(), [5], []],
    ['norm 1', tensor([3, -4]).norm(1), [7], []],
    ['reshape', x.reshape([4]), [1, 4, 9, 16], [4]],
    ['transpose', x.transpose(), [1, 9, 4, 16], [2, 2]],
  ];
  it.each(cases)('%s', (_name, t, data, shape) => {
    expect(values(t)).toEqual(data);
    expect(t.shape).toEqual(shape);
  });
});

describe('grad mode', () => {
  it('noGrad turns recording off inside and restores it after, even when fn throws', () => {
    expect(isGradEnabled()).toBe(true);
    expect(noGrad(() => isGradEnabled())).toBe(false);
    expect(noGrad(() => noGrad(() => 1) + Number(isGradEnabled()))).toBe(1);
    expect(() =>
      noGrad(() => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(isGradEnabled()).toBe(true);
  });
  it('apply records a node when any input, not only the first, requires grad', () => {
    const a = tensor([1]);
    const b = tensor([2], { requiresGrad: true });
    const y = ops.add(a, b);
    expect(y.node!.inputs).toEqual([a, b]);
    expect(ops.add(b, a).requiresGrad).toBe(true);
    expect(ops.add(a, a).node).toBeNull();
    expect(noGrad(() => ops.add(a, b)).node).toBeNull();
  });
});

/** An op that records what backward was given and returns `grads(g)`. */
function probe(grads: (g: Float64Array) => (Float64Array | null)[], seen: boolean[][] = []): OpDef<undefined> {
  return {
    name: 'probe',
    savesTensors: false,
    forward: (inputs) => ({ data: new Float64Array(inputs[0].data), shape: inputs[0].shape }),
    backward(g, ctx) {
      seen.push([...ctx.needsGrad]);
      return grads(g);
    },
  };
}

describe('apply', () => {
  it('names an op whose forward does not fill the shape it gives', () => {
    const short: OpDef<undefined> = {
      name: 'short',
      savesTensors: false,
      forward: () => ({ data: new Float64Array(3), shape: [2, 2] }),
      backward: () => [],
    };
    expect(() => apply(short, [tensor([1])], undefined)).toThrow('short: its forward gave 3 values for shape [2, 2] (4 needed)');
  });
});

describe('backward', () => {
  it('names a tensor without graph, a missing gradient and a gradient of the wrong shape', () => {
    expect(() => tensor([1]).backward()).toThrow(
      'backward(): this tensor does not require grad and has no graph (was it computed under noGrad(), from detached values, or through item()?)',
    );
    const y = ops.mul(tensor([[1, 2]], { requiresGrad: true }), 2);
    expect(() => y.backward()).toThrow(RangeError);
    expect(() => y.backward()).toThrow(
      'backward(): a gradient can only be created implicitly for a one-element output; this output has shape [1, 2], so pass a gradient of that shape',
    );
    expect(() => y.backward(tensor([1, 2]))).toThrow(RangeError);
    expect(() => y.backward(tensor([1, 2]))).toThrow('backward(): gradient shape [2] does not match output shape [1, 2]');
  });

  it('a one-element output of any rank seeds with 1', () => {
    const x = tensor([[3]], { requiresGrad: true });
    ops.mul(x, 5).backward();
    expect(values(x.grad)).toEqual([5]);
  });

  it('leaves the caller’s gradient untouched and the leaf gradient its own', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const seed = tensor([10, 20]);
    const y = ops.reshape(x, [2]);
    y.backward(seed);
    expect(values(x.grad)).toEqual([10, 20]);
    expect(x.grad!.data).not.toBe(seed.data);
    x.grad!.data[0] = 99;
    expect(values(seed)).toEqual([10, 20]);
  });

  it('a leaf that is the root gets the seed as its gradient', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.backward(tensor([3, 4]));
    expect(values(x.grad)).toEqual([3, 4]);
  });

  it('sums every path into a shared input (a diamond), each input once', () => {
    // y = (a·b) + (a + b): dy/da = b + 1, dy/db = a + 1.
    const a = tensor([2, 3], { requiresGrad: true });
    const b = tensor([5, 7], { requiresGrad: true });
    const ab = ops.mul(a, b);
    const s = ops.add(a, b);
    ops.sum(ops.add(ab, s)).backward();
    expect(values(a.grad)).toEqual([6, 8]);
    expect(values(b.grad)).toEqual([3, 4]);
    // A deeper diamond: z = u·u with u = a + a, so dz/da = 2·u·2 = 8a.
    const c = tensor([1, -2], { requiresGrad: true });
    const u = ops.add(c, c);
    ops.sum(ops.mul(u, u)).backward();
    expect(values(c.grad)).toEqual([8, -16]);
  });

  it('tells backward which inputs need a gradient and skips the rest', () => {
    const seen: boolean[][] = [];
    const a = tensor([1, 2]);
    const b = tensor([3, 4], { requiresGrad: true });
    const y = apply(probe((g) => [new Float64Array(g), new Float64Array(g)], seen), [a, b], undefined);
    y.backward(tensor([1, 1]));
    expect(seen).toEqual([[false, true]]);
    expect(a.grad).toBeNull();
    expect(values(b.grad)).toEqual([1, 1]);
  });

  it('takes null from a rule as no gradient', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    apply(probe((g) => [null, new Float64Array(g)]), [a, b], undefined).backward(tensor([1, 1]));
    expect(a.grad).toBeNull();
    expect(values(b.grad)).toEqual([1, 1]);
  });

  it('copies an incoming gradient a rule hands to two inputs before adding into either', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    const c = ops.mul(a, 1);
    // Both inputs get g itself; a also gets a second contribution through c.
    const y = apply(probe((g) => [g, g]), [a, b], undefined);
    ops.sum(ops.add(ops.sum(y), ops.sum(c))).backward();
    expect(values(a.grad)).toEqual([2, 2]);
    expect(values(b.grad)).toEqual([1, 1]);
    const twice = apply(probe((g) => [g, g]), [a, a], undefined);
    ops.sum(twice).backward();
    expect(values(a.grad)).toEqual([4, 4]);
  });

  it('places each tensor of the graph once, in reverse topological order, and no constant', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const c = tensor([3, 4]);
    const a = ops.add(x, x);
    const m = ops.mul(a, c);
    const s = ops.sum(m);
    s.backward();
    expect([s.slot, m.slot, a.slot, x.slot]).toEqual([0, 1, 2, 3]);
    expect([c.slot, c.visit]).toEqual([-1, 0]);
  });

  it('never adds into an array that another input or a leaf gradient still holds', () => {
    // probe hands its incoming gradient g to several inputs; r = reshape(x) passes g on to x, which
    // also gets a gradient through a second reshape. Adding that into g in place would change b's.
    // Both operand orders, so that either path may reach x first.
    for (const order of [0, 1]) {
      const x = tensor([1, 2], { requiresGrad: true });
      const b = tensor([5, 6], { requiresGrad: true });
      const d = tensor([7, 8], { requiresGrad: true });
      const p = apply(probe((g) => [g, g, g]), [ops.reshape(x, [2]), b, d], undefined);
      const other = ops.reshape(x, [2]);
      ops.sum(order === 0 ? ops.add(p, other) : ops.add(other, p)).backward();
      expect([values(x.grad), values(b.grad), values(d.grad)]).toEqual([[2, 2], [1, 1], [1, 1]]);
    }
  });

  it('copies g handed to two inputs when one of them is reached again by the same rule', () => {
    // Inputs [a, b, a] with gradients [g, g, fresh]: a's second gradient must not be added into g,
    // which b still holds.
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    apply(probe((g) => [g, g, new Float64Array(g)]), [a, b, a], undefined).backward(tensor([1, 1]));
    expect([values(a.grad), values(b.grad)]).toEqual([[2, 2], [1, 1]]);
  });

  it('accumulates into an existing leaf gradient', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    ops.sum(ops.mul(x, 2)).backward();
    ops.sum(ops.mul(x, 3)).backward();
    expect(values(x.grad)).toEqual([5, 5]);
  });

  it('releases the graph unless retainGraph, and then names the op reached again', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = ops.sum(ops.exp(ops.mul(x, 0)));
    y.backward(undefined, { retainGraph: true });
    y.backward(undefined, { retainGraph: true });
    expect(values(x.grad)).toEqual([0, 0]);
    const z = ops.sum(ops.exp(x));
    z.backward();
    expect(() => z.backward()).toThrow(GraphReleasedError);
    expect(() => z.backward()).toThrow(
      "backward() reached op 'exp' a second time, but its saved tensors were freed by the first backward(). " +
        'Pass { retainGraph: true } to the first backward() call if you really need to backward through this graph twice, ' +
        'or run the forward pass again to build a fresh graph.',
    );
    let caught: unknown = null;
    try {
      z.backward();
    } catch (e) {
      caught = e;
    }
    expect((caught as Error).name).toBe('GraphReleasedError');
  });
});
