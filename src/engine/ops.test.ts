import { describe, expect, it } from 'vitest';
import { OPS, Random, Tensor, apply, fromData, noGrad, tensor, zeros, GraphReleasedError, type OpDef } from './index.ts';
import * as ops from './ops.ts';
import { fma } from '../arith/fma.ts';

/**
 * Central differences: the truncation error is about h²·|f'''|/6 and the rounding error about
 * u·|f|/h, balanced by h ≈ u^(1/3)·max(1, |x|) ≈ 6e-6. For the smooth, O(1)-sized functions below
 * both are under 1e-9, so 1e-7 relative (plus 1e-7 absolute) leaves two orders of margin and still
 * catches any wrong derivative rule, which is off by O(1).
 */
function centralDifference(f: (x: Float64Array) => number, x: Float64Array, i: number): number {
  const h = Math.cbrt(Number.EPSILON) * Math.max(1, Math.abs(x[i]));
  const saved = x[i];
  x[i] = saved + h;
  const up = f(x);
  x[i] = saved - h;
  const down = f(x);
  x[i] = saved;
  return (up - down) / (2 * h);
}

type Case = { name: string; shapes: number[][]; sample: (rng: Random) => number; fn: (...xs: Tensor[]) => Tensor };

const anywhere = (rng: Random) => rng.uniform(-2, 2);
/** Away from the kinks of abs, relu and sign at 0, and from the pole of log and sqrt. */
const awayFromZero = (rng: Random) => (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.2, 2);
const positive = (rng: Random) => rng.uniform(0.2, 2);

const CASES: Case[] = [
  { name: 'add (broadcast row)', shapes: [[3, 4], [4]], sample: anywhere, fn: (a, b) => ops.add(a, b) },
  { name: 'sub (broadcast column)', shapes: [[3, 1], [1, 4]], sample: anywhere, fn: (a, b) => ops.sub(a, b) },
  { name: 'mul', shapes: [[2, 3], [2, 3]], sample: anywhere, fn: (a, b) => ops.mul(a, b) },
  { name: 'mul (scalar)', shapes: [[2, 3], []], sample: anywhere, fn: (a, b) => ops.mul(a, b) },
  { name: 'div', shapes: [[2, 3], [2, 3]], sample: awayFromZero, fn: (a, b) => ops.div(a, b) },
  { name: 'neg', shapes: [[5]], sample: anywhere, fn: (a) => ops.neg(a) },
  { name: 'pow 3', shapes: [[5]], sample: anywhere, fn: (a) => ops.pow(a, 3) },
  { name: 'pow 0.5', shapes: [[5]], sample: positive, fn: (a) => ops.pow(a, 0.5) },
  { name: 'square', shapes: [[5]], sample: anywhere, fn: (a) => ops.square(a) },
  { name: 'sqrt', shapes: [[5]], sample: positive, fn: (a) => ops.sqrt(a) },
  { name: 'exp', shapes: [[5]], sample: anywhere, fn: (a) => ops.exp(a) },
  { name: 'log', shapes: [[5]], sample: positive, fn: (a) => ops.log(a) },
  { name: 'abs', shapes: [[5]], sample: awayFromZero, fn: (a) => ops.abs(a) },
  { name: 'sign', shapes: [[5]], sample: awayFromZero, fn: (a) => ops.sign(a) },
  { name: 'relu', shapes: [[5]], sample: awayFromZero, fn: (a) => ops.relu(a) },
  { name: 'tanh', shapes: [[5]], sample: anywhere, fn: (a) => ops.tanh(a) },
  { name: 'matmul', shapes: [[3, 4], [4, 2]], sample: anywhere, fn: (a, b) => ops.matmul(a, b) },
  { name: 'sum all', shapes: [[3, 4]], sample: anywhere, fn: (a) => ops.sum(a) },
  { name: 'sum axis 0', shapes: [[3, 4]], sample: anywhere, fn: (a) => ops.sum(a, 0) },
  { name: 'sum axis -1 keepDim', shapes: [[2, 3, 4]], sample: anywhere, fn: (a) => ops.sum(a, -1, true) },
  { name: 'mean all', shapes: [[3, 4]], sample: anywhere, fn: (a) => ops.mean(a) },
  { name: 'mean axis 1', shapes: [[3, 4]], sample: anywhere, fn: (a) => ops.mean(a, 1) },
  { name: 'norm 1', shapes: [[3, 4]], sample: awayFromZero, fn: (a) => ops.norm(a, 1) },
  { name: 'norm 2', shapes: [[3, 4]], sample: anywhere, fn: (a) => ops.norm(a, 2) },
  { name: 'reshape', shapes: [[3, 4]], sample: anywhere, fn: (a) => ops.reshape(a, [2, -1]) },
  { name: 'transpose', shapes: [[3, 4]], sample: anywhere, fn: (a) => ops.transpose(a) },
];

describe('every op gradient matches central finite differences', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const rng = new Random(c.name.length * 7919);
      const inputs = c.shapes.map((shape) => fromData(Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => c.sample(rng)), shape, { requiresGrad: true }));
      const out = c.fn(...inputs);
      const weights = fromData(Float64Array.from({ length: out.size }, () => rng.uniform(-1, 1)), out.shape);
      ops.sum(ops.mul(out, weights)).backward();
      inputs.forEach((input, k) => {
        const f = (x: Float64Array) =>
          noGrad(() => {
            const args = inputs.map((t, j) => (j === k ? fromData(x, t.shape) : t.detach()));
            return ops.sum(ops.mul(c.fn(...args), weights)).item();
          });
        const x = input.data.slice();
        for (let i = 0; i < x.length; i++) {
          const numeric = centralDifference(f, x, i);
          const analytic = input.grad!.data[i];
          expect(Math.abs(numeric - analytic), `${c.name}: input ${k}, element ${i}: numeric ${numeric}, analytic ${analytic}`).toBeLessThanOrEqual(1e-7 * (1 + Math.abs(analytic)));
        }
      });
    });
  }
});

describe("PyTorch's policy at non-differentiable points", () => {
  const gradAt = (fn: (t: Tensor) => Tensor, values: number[]) => {
    const t = tensor(values, { requiresGrad: true });
    ops.sum(fn(t)).backward();
    return Array.from(t.grad!.data);
  };
  it("abs'(±0) = 0, relu'(±0) = 0, sign' = 0", () => {
    expect(gradAt(ops.abs, [0, -0, 2, -2])).toEqual([0, 0, 1, -1]);
    expect(gradAt(ops.relu, [0, -0, 2, -2])).toEqual([0, 0, 1, 0]);
    expect(gradAt(ops.sign, [0, 1, -1])).toEqual([0, 0, 0]);
  });
  it('relu keeps −0 and NaN, and sign(−0) is 0, as torch 1.13 does', () => {
    expect(Object.is(ops.relu(tensor([-0])).data[0], -0)).toBe(true);
    expect(ops.relu(tensor([NaN])).data[0]).toBeNaN();
    expect(Object.is(ops.sign(tensor([-0])).data[0], 0)).toBe(true);
  });
  it('norm has gradient 0 at the zero tensor; sqrt(sum(w²)) is NaN there', () => {
    expect(gradAt((t) => ops.norm(t, 2), [0, 0, 0])).toEqual([0, 0, 0]);
    expect(gradAt((t) => ops.norm(t, 1), [0, -0, 3])).toEqual([0, 0, 1]);
    expect(gradAt((t) => ops.sqrt(ops.sum(ops.square(t))), [0, 0]).every(Number.isNaN)).toBe(true);
  });
  it('matmul keeps IEEE semantics: 0 · ∞ is NaN, not skipped', () => {
    expect(ops.matmul(tensor([[0, 1]]), tensor([[Infinity], [1]])).data[0]).toBeNaN();
  });
  it('pow with exponent 0 has gradient 0 even at x = 0', () => {
    expect(gradAt((t) => ops.pow(t, 0), [0, 2])).toEqual([0, 0]);
  });
});

describe('autograd mechanics', () => {
  it('a second backward through saved tensors throws and names retainGraph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = ops.sum(ops.mul(x, x));
    y.backward();
    expect(() => y.backward()).toThrow(GraphReleasedError);
    expect(() => y.backward()).toThrow(/retainGraph/);
  });

  it('retainGraph allows a second backward and gradients accumulate', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = ops.sum(ops.mul(x, x));
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(Array.from(x.grad!.data)).toEqual([4, 8]);
  });

  it('ops that save nothing can be backwarded again', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = ops.sum(ops.add(x, 3));
    y.backward();
    y.backward();
    expect(Array.from(x.grad!.data)).toEqual([2, 2]);
  });

  it('a tensor used twice gets both contributions', () => {
    const x = tensor([3], { requiresGrad: true });
    ops.sum(ops.add(x, x)).backward();
    expect(x.grad!.item()).toBe(2);
  });

  it("add's rates, and sub's for its first operand, are the incoming gradient itself, not a copy", () => {
    const g = Float64Array.of(1, -0, 3, 4, 5, 6);
    const rates = (op: typeof OPS.add, a: Tensor, b: Tensor) => {
      const output = op === OPS.add ? ops.add(a, b) : ops.sub(a, b);
      return op.backward(g, { inputs: [a, b], output, attrs: undefined, needsGrad: [true, true] });
    };
    const batch = zeros([2, 3]);
    const row = zeros([3]);
    const [ga, gb] = rates(OPS.add, batch, zeros([2, 3]));
    expect([ga, gb]).toEqual([g, g]);
    expect(ga).toBe(g);
    expect(gb).toBe(g);
    const [sa, sb] = rates(OPS.sub, batch, zeros([2, 3]));
    expect(sa).toBe(g);
    expect(Array.from(sb!)).toEqual([-1, 0, -3, -4, -5, -6]);
    // Broadcast: the batch takes g itself, the bias row its sum over the batch.
    const [ba, bb] = rates(OPS.add, batch, row);
    expect(ba).toBe(g);
    expect(Array.from(bb!)).toEqual([5, 5, 9]);
  });

  it('operands that share an incoming gradient get gradients of their own', () => {
    const twinAdd: OpDef = {
      name: 'twin-add',
      savesTensors: false,
      forward: ([a, b]) => ({ data: a.data.map((v, i) => v + b.data[i]), shape: a.shape }),
      backward: (g) => [g, g],
    };
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    const c = tensor([5, 6], { requiresGrad: true });
    ops.sum(ops.add(ops.add(a, b), ops.sub(c, a))).backward();
    expect([Array.from(a.grad!.data), Array.from(b.grad!.data), Array.from(c.grad!.data)]).toEqual([[0, 0], [1, 1], [1, 1]]);
    expect(new Set([a.grad!.data, b.grad!.data, c.grad!.data]).size).toBe(3);
    b.grad!.data[0] = 7;
    expect([a.grad!.data[0], c.grad!.data[0]]).toEqual([0, 1]);
    // y and x share g from y + x; x's later contribution must not be added into y's (either
    // order). By hand: d/dx, d/dy of Σ(y + x − 2x) = −1, 1; of Σ(2x − (y + x)) = 1, −1; of
    // Σ(y + x − (x + mean(y, −1))ᵀ) = 0, 0 (each row mean is read twice, at weight 1/2).
    const graphs: [(x: Tensor, y: Tensor) => Tensor, number, number][] = [
      [(x, y) => ops.sub(ops.add(y, x), ops.mul(x, 2)), -1, 1],
      [(x, y) => ops.sub(ops.mul(x, 2), ops.add(y, x)), 1, -1],
      [(x, y) => ops.sub(ops.add(y, x), ops.transpose(ops.add(x, ops.mean(y, -1)))), 0, 0],
      // The same through an op of the caller's own that hands g to both operands.
      [(x, y) => ops.sub(apply(twinAdd, [y, x], undefined), ops.transpose(ops.add(x, ops.mean(y, -1)))), 0, 0],
    ];
    for (const [f, dx, dy] of graphs) {
      const x = fromData([1, 2, 3, 4], [2, 2], { requiresGrad: true });
      const y = fromData([5, 6, 7, 8], [2, 2], { requiresGrad: true });
      ops.sum(f(x, y)).backward();
      expect([Array.from(x.grad!.data), Array.from(y.grad!.data)]).toEqual([[dx, dx, dx, dx], [dy, dy, dy, dy]]);
    }
  });

  it('noGrad records no graph, detach and item leave it', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(noGrad(() => ops.mul(x, 2)).requiresGrad).toBe(false);
    expect(x.detach().requiresGrad).toBe(false);
    expect(typeof ops.norm(x).item()).toBe('number');
  });

  it('zeroGrad zero-fills by default (PyTorch 1.13) and can drop the gradient', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    ops.sum(x).backward();
    x.zeroGrad();
    expect(Array.from(x.grad!.data)).toEqual([0, 0]);
    x.zeroGrad(true);
    expect(x.grad).toBeNull();
  });

  it('an explicit upstream gradient must match the output shape', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = ops.mul(x, 3);
    expect(() => y.backward()).toThrow(/one-element output/);
    expect(() => y.backward(zeros([3]))).toThrow(/does not match output shape \[2\]/);
    y.backward(tensor([1, 10]));
    expect(Array.from(x.grad!.data)).toEqual([3, 30]);
  });
});

describe('clear errors for bad input', () => {
  it('names shapes that cannot broadcast', () => {
    expect(() => ops.add(zeros([2, 3]), zeros([4]))).toThrow(/add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
  });
  it('names matmul inner dimensions', () => {
    expect(() => ops.matmul(zeros([2, 3]), zeros([2, 3]))).toThrow(/inner dimensions differ: \[2, 3\] @ \[2, 3\]/);
  });
  it('rejects item() on many elements, bad reshapes, bad axes and bad p', () => {
    expect(() => zeros([2]).item()).toThrow(/exactly one element/);
    expect(() => ops.reshape(zeros([2, 3]), [4, 2])).toThrow(/cannot view shape \[2, 3\]/);
    expect(() => ops.sum(zeros([2, 3]), 2)).toThrow(/axis 2 is out of range/);
    expect(() => ops.norm(zeros([2]), 3 as 2)).toThrow(/p must be 1 or 2/);
  });
  it('rejects ragged arrays and non-numbers', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => ops.add(zeros([1]), [1] as unknown as number)).toThrow(/wrap it with tensor/);
  });
  it('refuses to change requiresGrad on a computed tensor', () => {
    const y = ops.mul(tensor([1], { requiresGrad: true }), 2);
    expect(() => {
      y.requiresGrad = false;
    }).toThrow(/leaf/);
  });
  it('backward on a tensor without graph explains why', () => {
    expect(() => tensor([1]).backward()).toThrow(/does not require grad/);
  });
});

describe('forward values, shapes and input checks, op by op', () => {
  const v = (t: Tensor) => Array.from(t.data);
  it('reads a number as a scalar and names anything else', () => {
    expect(v(ops.add(tensor([1, 2]), 3))).toEqual([4, 5]);
    expect(v(ops.sub(3, tensor([1, 2])))).toEqual([2, 1]);
    const bad = (x: unknown) => () => ops.neg(x as Tensor);
    expect(bad(null)).toThrow(TypeError);
    expect(bad(null)).toThrow('expected a Tensor or a number, got null');
    expect(bad([1])).toThrow('expected a Tensor or a number, got an array (wrap it with tensor())');
    expect(bad('1')).toThrow('expected a Tensor or a number, got string');
    expect(bad({ data: [1] })).toThrow('expected a Tensor or a number, got object');
  });
  it('sign is PyTorch’s: ±1, 0 at ±0, NaN at NaN', () => {
    const s = v(ops.sign(tensor([3, -0.5, 0, -0, NaN])));
    expect(s.slice(0, 4)).toEqual([1, -1, 0, 0]);
    expect(s[4]).toBeNaN();
  });
  it('unary ops compute their textbook values', () => {
    expect(v(ops.neg(tensor([2, -3])))).toEqual([-2, 3]);
    expect(v(ops.exp(tensor([0, 1])))).toEqual([1, Math.E]);
    expect(v(ops.log(tensor([1, Math.E])))).toEqual([0, 1]);
    expect(v(ops.sqrt(tensor([4, 9])))).toEqual([2, 3]);
    expect(v(ops.abs(tensor([-2, 3])))).toEqual([2, 3]);
    expect(v(ops.relu(tensor([-2, 3, 0])))).toEqual([0, 3, 0]);
    expect(v(ops.tanh(tensor([0])))).toEqual([0]);
    expect(v(ops.square(tensor([-3])))).toEqual([9]);
    expect(v(ops.pow(tensor([2, 3]), 3))).toEqual([8, 27]);
  });
  it('tanh backward at saturated and tiny outputs is g·fma(−y, y, 1) as everywhere else, bit for bit', () => {
    // ±2⁻²⁷ and its neighbours: where 1 − y² stops rounding to 1; tanh(x) = x this small.
    const edge = 2 ** -27;
    const next = edge * (1 + Number.EPSILON);
    const below = edge * (1 - Number.EPSILON / 2);
    const xs = [30, -30, 0.5, -1e-200, 5e-324, 0, -0, edge, -edge, next, -next, below, NaN, 2 ** -26];
    const x = tensor(xs, { requiresGrad: true });
    const y = ops.tanh(x);
    expect([v(y)[7], v(y)[9] > edge, v(y)[11] < edge]).toEqual([edge, true, true]);
    const g = [-3, 2, -0.25, 7, 1, -1, 1, -2, 3, 0.5, -0.5, 1, 1, 1];
    y.backward(tensor(g));
    expect(v(y).slice(0, 2)).toEqual([1, -1]);
    const expected = v(y).map((t, i) => g[i] * fma(-t, t, 1));
    v(x.grad!).forEach((d, i) => expect(Object.is(d, expected[i])).toBe(true));
    expect(Object.is(v(x.grad!)[0], -0)).toBe(true);
  });
  it('pow names an exponent that is not a number', () => {
    expect(() => ops.pow(tensor([1]), '2' as unknown as number)).toThrow(TypeError);
    expect(() => ops.pow(tensor([1]), '2' as unknown as number)).toThrow('pow: the exponent must be a number, got string');
  });
  it('binary ops broadcast both ways', () => {
    const col = tensor([[1], [2]]);
    const row = tensor([10, 20, 30]);
    const sum = ops.add(col, row);
    expect(sum.shape).toEqual([2, 3]);
    expect(v(sum)).toEqual([11, 21, 31, 12, 22, 32]);
    expect(v(ops.sub(row, col))).toEqual([9, 19, 29, 8, 18, 28]);
    expect(v(ops.mul(col, row))).toEqual([10, 20, 30, 20, 40, 60]);
    expect(v(ops.div(row, col))).toEqual([10, 20, 30, 5, 10, 15]);
    expect(ops.add(tensor([[1, 2]]), tensor([[3, 4]])).shape).toEqual([1, 2]);
  });
  it('a gradient of −0 reaches an input of the output’s shape as −0', () => {
    // d(a·b)/da = b and d(a·b)/db = a: here −0, which adding to a zero-filled sum would turn into +0.
    const a = tensor([-0, 2], { requiresGrad: true });
    const b = tensor([-0, 3], { requiresGrad: true });
    ops.sum(ops.mul(a, b)).backward();
    expect(Object.is(a.grad!.data[0], -0)).toBe(true);
    expect(Object.is(b.grad!.data[0], -0)).toBe(true);
    expect(v(a.grad!)).toEqual([-0, 3]);
    expect(v(b.grad!)).toEqual([-0, 2]);
  });
  it('a broadcast input’s gradient sums over every element that read it', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const b = tensor([[10], [20]], { requiresGrad: true });
    ops.sum(ops.mul(a, b)).backward();
    expect(v(a.grad!)).toEqual([10, 10, 10, 20, 20, 20]);
    expect(v(b.grad!)).toEqual([6, 15]);
    const c = tensor([1, 2, 3], { requiresGrad: true });
    const d = tensor(4, { requiresGrad: true });
    ops.sum(ops.sub(c, d)).backward();
    expect(v(c.grad!)).toEqual([1, 1, 1]);
    expect(v(d.grad!)).toEqual([-3]);
  });
  it('only the inputs that need a gradient get one', () => {
    const a = tensor([[1, 2]], { requiresGrad: true });
    const b = tensor([[3], [4]]);
    ops.sum(ops.matmul(a, b)).backward();
    expect(v(a.grad!)).toEqual([3, 4]);
    expect(b.grad).toBeNull();
    const c = tensor([[1, 2]]);
    const d = tensor([[3], [4]], { requiresGrad: true });
    ops.sum(ops.matmul(c, d)).backward();
    expect(v(d.grad!)).toEqual([1, 2]);
    const e = tensor([1, 2]);
    const f = tensor([3, 4], { requiresGrad: true });
    ops.sum(ops.div(e, f)).backward();
    expect(v(f.grad!)).toEqual([-1 / 9, -2 / 16]);
  });
  it('matmul names operands that are not 2-D', () => {
    expect(() => ops.matmul(zeros([2]), zeros([2, 2]))).toThrow('matmul: both operands must be 2-D, got [2] and [2, 2]');
    expect(() => ops.matmul(zeros([2, 2]), zeros([2]))).toThrow(RangeError);
    expect(v(ops.matmul(tensor([[1, 2], [3, 4]]), tensor([[5], [6]])))).toEqual([17, 39]);
  });
  it('sum and mean take an axis, negative from the end, and keepDim', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(v(ops.sum(x, -1))).toEqual([6, 15]);
    expect(v(ops.sum(x, -2))).toEqual([5, 7, 9]);
    expect(ops.sum(x, null, true).shape).toEqual([1, 1]);
    expect(ops.sum(x, 1, true).shape).toEqual([2, 1]);
    expect(ops.sum(x, 0).shape).toEqual([3]);
    expect(v(ops.mean(x, -1))).toEqual([2, 5]);
    expect(v(ops.mean(x, 0))).toEqual([2.5, 3.5, 4.5]);
    expect(v(ops.mean(x))).toEqual([3.5]);
    const y = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    ops.mean(y, 0).backward(tensor([2, 4, 6]));
    expect(v(y.grad!)).toEqual([1, 2, 3, 1, 2, 3]);
  });
  it('names an axis out of range, or not an integer, for sum and mean', () => {
    const x = zeros([2, 3]);
    for (const axis of [2, -3, 0.5]) {
      expect(() => ops.sum(x, axis)).toThrow(`sum: axis ${axis} is out of range for a 2-D tensor`);
      expect(() => ops.mean(x, axis)).toThrow(`mean: axis ${axis} is out of range for a 2-D tensor`);
    }
    expect(() => ops.mean(x, 2)).toThrow(RangeError);
  });
  it('mean of an empty tensor is an error, not NaN', () => {
    expect(() => ops.mean(zeros([0, 3]))).toThrow(RangeError);
    expect(() => ops.mean(zeros([0, 3]))).toThrow('mean: the tensor is empty');
    expect(v(ops.sum(zeros([0, 3])))).toEqual([0]);
  });
  it('norm is the vector norm for p = 1 or 2 and names any other p', () => {
    expect(v(ops.norm(tensor([[3, -4], [0, 0]]), 1))).toEqual([7]);
    expect(v(ops.norm(tensor([[3, -4], [0, 0]])))).toEqual([5]);
    expect(() => ops.norm(tensor([1]), 3 as 2)).toThrow(RangeError);
    expect(() => ops.norm(tensor([1]), 3 as 2)).toThrow('norm: p must be 1 or 2, got 3');
  });
  it('reshape infers one −1 and names a shape it cannot view', () => {
    const x = tensor([1, 2, 3, 4, 5, 6]);
    expect(ops.reshape(x, [-1, 2]).shape).toEqual([3, 2]);
    expect(ops.reshape(x, [3, -1]).shape).toEqual([3, 2]);
    expect(v(ops.reshape(x, [2, 3]))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ops.reshape(zeros([0, 3]), [-1, 3]).shape).toEqual([0, 3]);
    for (const shape of [[4, -1], [-1, -1], [-2, -3], [7]]) {
      expect(() => ops.reshape(x, shape)).toThrow(RangeError);
      expect(() => ops.reshape(x, shape)).toThrow(`reshape: cannot view shape [6] (6 elements) as [${shape.join(', ')}]`);
    }
    expect(() => ops.reshape(zeros([0]), [0, -1])).toThrow('cannot view shape [0]');
  });
  it('transpose swaps a matrix’s axes and names a tensor that is not 2-D', () => {
    const t = ops.transpose(tensor([[1, 2, 3], [4, 5, 6]]));
    expect(t.shape).toEqual([3, 2]);
    expect(v(t)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(() => ops.transpose(zeros([3]))).toThrow(RangeError);
    expect(() => ops.transpose(zeros([3]))).toThrow('transpose: needs a 2-D tensor, got shape [3]');
  });
});

describe('the op table', () => {
  it('names every op by its key', () => {
    for (const [key, op] of Object.entries(ops.OPS)) expect(op.name).toBe(key);
  });

  // An op saves tensors when its backward reads its inputs' or its output's values: then a second
  // backward after the graph is released must fail. Read off each derivative: neg, sign (zero),
  // add, sub, sum, mean, reshape and transpose use only the incoming gradient and the shapes.
  const x = () => tensor([[0.5, 2], [1.5, 3]], { requiresGrad: true });
  const SAVES: [string, boolean, (t: Tensor) => Tensor][] = [
    ['neg', false, (t) => ops.neg(t)],
    ['exp', true, (t) => ops.exp(t)],
    ['log', true, (t) => ops.log(t)],
    ['sqrt', true, (t) => ops.sqrt(t)],
    ['abs', true, (t) => ops.abs(t)],
    ['sign', false, (t) => ops.sign(t)],
    ['relu', true, (t) => ops.relu(t)],
    ['tanh', true, (t) => ops.tanh(t)],
    ['square', true, (t) => ops.square(t)],
    ['pow', true, (t) => ops.pow(t, 3)],
    ['add', false, (t) => ops.add(t, t)],
    ['sub', false, (t) => ops.sub(t, t)],
    ['mul', true, (t) => ops.mul(t, t)],
    ['div', true, (t) => ops.div(t, t)],
    ['matmul', true, (t) => ops.matmul(t, t)],
    ['sum', false, (t) => ops.sum(t, 0)],
    ['mean', false, (t) => ops.mean(t, 0)],
    ['norm', true, (t) => ops.norm(t)],
    ['reshape', false, (t) => ops.reshape(t, [4])],
    ['transpose', false, (t) => ops.transpose(t)],
  ];
  it.each(SAVES)('%s: a second backward after release fails exactly when backward reads values (%s)', (name, saves, f) => {
    const y = ops.sum(f(x()));
    y.backward();
    if (saves) expect(() => y.backward()).toThrow(`reached op '${name}' a second time`);
    else expect(() => y.backward()).not.toThrow();
  });

  it('matmul skips the product for an input that needs no gradient', () => {
    const a = tensor([[1, 2]]);
    const b = tensor([[3], [4]]);
    const output = ops.matmul(a, b);
    const g = new Float64Array([1]);
    const backward = (needsGrad: boolean[]) => ops.OPS.matmul.backward(g, { inputs: [a, b], output, attrs: undefined, needsGrad });
    expect(backward([true, false])[1]).toBeNull();
    expect(backward([false, true])[0]).toBeNull();
  });

  it('sum and mean over a middle axis, forward and backward', () => {
    // x[i][j][k] = 100i + 10j + k, shape [2, 3, 2]; summing over j gives 300i + 30 + 3k.
    const data = [0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121];
    const x = fromData(data, [2, 3, 2], { requiresGrad: true });
    expect(Array.from(ops.sum(x, 1).data)).toEqual([30, 33, 330, 333]);
    expect(Array.from(ops.mean(x, 1).data)).toEqual([10, 11, 110, 111]);
    ops.sum(x, 1).backward(tensor([[1, 2], [3, 4]]));
    expect(Array.from(x.grad!.data)).toEqual([1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4]);
  });
});

describe('pow with the exponent 2, which skips Math.pow', () => {
  it("gives Math.pow's value and gradient g·(2·x^1) bit for bit, specials and random doubles", () => {
    const bits = new BigUint64Array(4096);
    const doubles = new Float64Array(bits.buffer);
    let state = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < bits.length; i++) {
      state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
      bits[i] = state;
    }
    const specials = [0, -0, NaN, Infinity, -Infinity, 5e-324, -5e-324, 2.2250738585072014e-308, 1.4916681462400413e-154, 1.3407807929942596e154, -3, 1.7976931348623157e308];
    const xs = [...specials, ...doubles];
    const x = fromData(Float64Array.from(xs), [xs.length], { requiresGrad: true });
    const y = ops.pow(x, 2);
    // Gradients of every size, the largest double meeting 1e-300: g·(2·x) = 1e-300·∞ = ∞, where
    // (g·2)·x would be 3.6e8, so the order of the products shows.
    const g = xs.map((_, i) => [1, -0.75, 3e300, 1e-300][i % 4]);
    y.backward(fromData(Float64Array.from(g), [xs.length]));
    const differ = xs.filter((v, i) => !Object.is(y.data[i], Math.pow(v, 2)) || !Object.is(x.grad!.data[i], g[i] * (2 * Math.pow(v, 1))));
    expect(differ).toEqual([]);
  });
});
