import { copyOf, scalarOf } from './alloc.ts';
import * as ops from './ops.ts';
import { checkShape, formatShape, internShape, sameShape, sizeOf, type Shape } from './shape.ts';

/** What an op's backward receives: everything it may need, nothing it has to look up. */
export interface BackwardContext<A> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: A;
  /** Which inputs need a gradient; a rule may skip the others and return null. */
  readonly needsGrad: readonly boolean[];
}

/**
 * One op: its forward and its backward side by side. `savesTensors` says whether backward reads the
 * inputs' or the output's values; such ops cannot be backwarded again once the graph is released.
 */
export interface OpDef<A = undefined> {
  readonly name: string;
  readonly savesTensors: boolean;
  forward(inputs: readonly Tensor[], attrs: A): { data: Float64Array; shape: Shape };
  backward(grad: Float64Array, ctx: BackwardContext<A>): (Float64Array | null)[];
}

export class GraphReleasedError extends Error {
  constructor(op: string) {
    super(
      `backward() reached op '${op}' a second time, but its saved tensors were freed by the first backward(). ` +
        `Pass { retainGraph: true } to the first backward() call if you really need to backward through this graph twice, ` +
        `or run the forward pass again to build a fresh graph.`,
    );
    this.name = 'GraphReleasedError';
  }
}

/** The record autograd keeps for a computed tensor. */
export class Node {
  released = false;
  constructor(
    readonly op: OpDef<any>,
    readonly inputs: readonly Tensor[],
    readonly attrs: unknown,
  ) {}
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording a graph, as `with torch.no_grad():`. */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

export interface BackwardOptions {
  retainGraph?: boolean;
}

/** Passed by the engine itself with a shape that internShape returned: no check, no lookup. */
const OWNED: unique symbol = Symbol('owned');

export interface TensorOptions {
  requiresGrad?: boolean;
  node?: Node | null;
}

const NO_OPTIONS: TensorOptions = {};

export class Tensor {
  readonly data: Float64Array;
  /** Frozen and shared by every tensor of this shape (see internShape). */
  readonly shape: Shape;
  /** Accumulated gradient of a leaf that requires grad; null until the first backward. */
  grad: Tensor | null = null;
  /** The op that produced this tensor, or null for a leaf. */
  readonly node: Node | null;
  private _requiresGrad: boolean;
  /** Scratch for backward's graph walk: the walk that last saw this tensor, and its place in that walk. */
  visit = 0;
  slot = -1;

  constructor(data: Float64Array, shape: Shape, options: TensorOptions = NO_OPTIONS, owned?: typeof OWNED) {
    if (owned !== OWNED) {
      checkShape(shape, 'Tensor');
      if (data.length !== sizeOf(shape)) {
        throw new RangeError(`Tensor: ${data.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} needed)`);
      }
    }
    this.data = data;
    this.shape = owned === OWNED ? shape : internShape(shape);
    this.node = options.node ?? null;
    this._requiresGrad = this.node !== null || (options.requiresGrad ?? false);
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get isLeaf(): boolean {
    return this.node === null;
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(value: boolean) {
    if (!this.isLeaf) {
      throw new Error(`requiresGrad can only be changed on a leaf tensor; this one was computed by '${this.node!.op.name}' (use detach() first)`);
    }
    this._requiresGrad = value;
  }

  /** The value of a one-element tensor as a plain number: it leaves the graph. */
  item(): number {
    if (this.size !== 1) {
      throw new RangeError(`item() needs a tensor with exactly one element, got shape ${formatShape(this.shape)}`);
    }
    return this.data[0];
  }

  /** A tensor sharing this one's values, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Nested arrays of numbers, as `tensor.tolist()`. */
  toArray(): unknown {
    if (this.ndim === 0) return this.data[0];
    const build = (dim: number, offset: number, stride: number): unknown[] => {
      const n = this.shape[dim];
      const inner = stride / n;
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) {
        out.push(dim === this.ndim - 1 ? this.data[offset + i] : build(dim + 1, offset + i * inner, inner));
      }
      return out;
    };
    return build(0, 0, this.size);
  }

  /** Sets the gradient to zeros (PyTorch 1.13's default) or, with setToNone, to null. */
  zeroGrad(setToNone = false): void {
    if (this.grad === null) return;
    if (setToNone) this.grad = null;
    else this.grad.data.fill(0);
  }

  backward(grad?: Tensor, options: BackwardOptions = {}): void {
    runBackward(this, grad, options.retainGraph ?? false);
  }

  add(other: Tensor | number): Tensor { return ops.add(this, other); }
  sub(other: Tensor | number): Tensor { return ops.sub(this, other); }
  mul(other: Tensor | number): Tensor { return ops.mul(this, other); }
  div(other: Tensor | number): Tensor { return ops.div(this, other); }
  neg(): Tensor { return ops.neg(this); }
  pow(exponent: number): Tensor { return ops.pow(this, exponent); }
  square(): Tensor { return ops.square(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  abs(): Tensor { return ops.abs(this); }
  sign(): Tensor { return ops.sign(this); }
  relu(): Tensor { return ops.relu(this); }
  tanh(): Tensor { return ops.tanh(this); }
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  sum(axis: number | null = null, keepDim = false): Tensor { return ops.sum(this, axis, keepDim); }
  mean(axis: number | null = null, keepDim = false): Tensor { return ops.mean(this, axis, keepDim); }
  norm(p: 1 | 2 = 2): Tensor { return ops.norm(this, p); }
  reshape(shape: readonly number[]): Tensor { return ops.reshape(this, shape); }
  transpose(): Tensor { return ops.transpose(this); }

  toString(): string {
    return `Tensor(${JSON.stringify(this.toArray())}${this.node ? `, gradFn=${this.node.op.name}` : this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

const NO_GRAPH = { node: null };

/** Runs an op, recording the graph when grad mode is on and some input requires grad. */
export function apply<A>(op: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  const { data, shape } = op.forward(inputs, attrs);
  if (data.length !== sizeOf(shape)) {
    throw new RangeError(`${op.name}: its forward gave ${data.length} values for shape ${formatShape(shape)} (${sizeOf(shape)} needed)`);
  }
  let record = false;
  if (gradEnabled) for (let i = 0; i < inputs.length && !record; i++) record = inputs[i].requiresGrad;
  return new Tensor(data, canonicalShape(shape, inputs), record ? { node: new Node(op, inputs, attrs) } : NO_GRAPH, OWNED);
}

/** An op's output shape as internShape gives it: an input's shape handed back as it is already is. */
function canonicalShape(shape: Shape, inputs: readonly Tensor[]): Shape {
  for (let i = 0; i < inputs.length; i++) if (shape === inputs[i].shape) return shape;
  return internShape(shape);
}

let walks = 0;

/**
 * Reverse topological order of the graph below root: every tensor comes before its inputs. Each
 * tensor's place in the order is left in its `slot`, so backward keeps gradients in an array.
 * A tensor is stamped 2w when the walk w opens it and 2w + 1 when it is done: no sets to allocate.
 */
function reverseTopologicalOrder(root: Tensor): Tensor[] {
  const walk = ++walks;
  const opened = 2 * walk;
  const done = opened + 1;
  const postorder: Tensor[] = [];
  const stack: Tensor[] = [root];
  while (stack.length > 0) {
    const t = stack[stack.length - 1];
    if (t.visit === done) {
      stack.pop();
      continue;
    }
    if (t.visit !== opened) {
      t.visit = opened;
      if (t.node !== null) {
        for (const input of t.node.inputs) if (input.requiresGrad && input.visit !== done) stack.push(input);
      }
      continue;
    }
    stack.pop();
    t.visit = done;
    postorder.push(t);
  }
  postorder.reverse();
  for (let i = 0; i < postorder.length; i++) postorder[i].slot = i;
  return postorder;
}

function runBackward(root: Tensor, seed: Tensor | undefined, retainGraph: boolean): void {
  if (!root.requiresGrad) {
    throw new Error('backward(): this tensor does not require grad and has no graph (was it computed under noGrad(), from detached values, or through item()?)');
  }
  let seedData: Float64Array;
  if (seed === undefined) {
    if (root.size !== 1) {
      throw new RangeError(`backward(): a gradient can only be created implicitly for a one-element output; this output has shape ${formatShape(root.shape)}, so pass a gradient of that shape`);
    }
    seedData = scalarOf(1);
  } else {
    if (!sameShape(seed.shape, root.shape)) {
      throw new RangeError(`backward(): gradient shape ${formatShape(seed.shape)} does not match output shape ${formatShape(root.shape)}`);
    }
    seedData = copyOf(seed.data);
  }

  const order = reverseTopologicalOrder(root);
  for (const t of order) {
    if (t.node !== null && t.node.released && t.node.op.savesTensors) throw new GraphReleasedError(t.node.op.name);
  }
  // pending[i]: the gradient gathered so far for order[i]; `owned` says whether backward may add into it.
  // owned[i] is set with pending[i], and read only where pending[i] is.
  const pending: (Float64Array | undefined)[] = new Array(order.length);
  const owned: boolean[] = new Array(order.length);
  pending[0] = seedData;
  owned[0] = true;
  for (let i = 0; i < order.length; i++) {
    const g = pending[i];
    if (g === undefined) continue;
    const t = order[i];
    const node = t.node;
    if (node === null) {
      if (t.grad === null) t.grad = new Tensor(owned[i] ? g : copyOf(g), t.shape, NO_GRAPH, OWNED);
      else {
        const acc = t.grad.data;
        for (let k = 0; k < acc.length; k++) acc[k] += g[k];
      }
      continue;
    }
    const inputs = node.inputs;
    const needsGrad: boolean[] = [];
    for (let j = 0; j < inputs.length; j++) needsGrad.push(inputs[j].requiresGrad);
    const inputGrads = node.op.backward(g, { inputs, output: t, attrs: node.attrs, needsGrad });
    if (!retainGraph) node.released = true;
    for (let j = 0; j < inputs.length; j++) {
      const gi = inputGrads[j];
      if (!needsGrad[j] || gi === null) continue;
      const slot = inputs[j].slot;
      const existing = pending[slot];
      if (existing === undefined) {
        // A rule may hand back its incoming gradient itself, and one array to several inputs (add
        // hands g to both, x + y and x + x alike): an array held in more than one place is copied
        // before anything adds into it.
        pending[slot] = gi;
        owned[slot] = (gi !== g || owned[i]) && inputGrads.indexOf(gi) === j && !inputGrads.includes(gi, j + 1);
      } else {
        const sum = owned[slot] ? existing : copyOf(existing);
        for (let k = 0; k < sum.length; k++) sum[k] += gi[k];
        pending[slot] = sum;
        owned[slot] = true;
      }
    }
  }
}
