export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function checkShape(shape: Shape, what: string): void {
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${what}: shape ${formatShape(shape)} has an invalid dimension ${d} (dimensions are non-negative integers)`);
    }
  }
}

/** A node of the shape trie: the frozen shape of the dimensions leading to it, and its children by next dimension. */
interface ShapeNode {
  readonly shape: Shape;
  readonly next: Map<number, ShapeNode>;
}

/**
 * The first n dimensions of shape in a new frozen array. It is built from an empty literal one
 * dimension at a time, whatever array it is copied from (a holey `new Array(n)`, a frozen or a
 * double array), so that every interned shape has the same hidden class and the code that reads
 * tensors' shapes sees one map, not one per way a shape was first made.
 */
function frozenPrefix(shape: Shape, n: number): Shape {
  const dims: number[] = [];
  for (let i = 0; i < n; i++) dims.push(shape[i]);
  return Object.freeze(dims);
}

const ROOT: ShapeNode = { shape: frozenPrefix([], 0), next: new Map() };
/** Past this many distinct shapes, new ones are frozen copies: ever new shapes cannot grow the trie without bound. */
export const INTERNED_LIMIT = 4096;
let internedCount = 1;

/**
 * The one frozen array kept for a dimension list, so tensors of one shape share it and freezing (a
 * fifth of a small op's cost) happens once per shape rather than once per tensor. The shape's own
 * array is never kept: the caller may change it afterwards.
 */
export function internShape(shape: Shape): Shape {
  let node = ROOT;
  for (let i = 0; i < shape.length; i++) {
    let child = node.next.get(shape[i]);
    if (child === undefined) {
      if (internedCount >= INTERNED_LIMIT) return frozenPrefix(shape, shape.length);
      child = { shape: frozenPrefix(shape, i + 1), next: new Map() };
      node.next.set(shape[i], child);
      internedCount++;
    }
    node = child;
  }
  return node.shape;
}

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** NumPy/PyTorch broadcasting: align trailing dimensions; a dimension of 1 stretches. */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together (dimension ${i} is ${da} versus ${db})`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * For each flat index of `outShape`, the flat index into a tensor of `inShape` broadcast to it.
 * Built once per op call; the elementwise loops then run without index arithmetic.
 */
export function broadcastIndex(inShape: Shape, outShape: Shape): Int32Array {
  const n = sizeOf(outShape);
  const index = new Int32Array(n);
  const m = sizeOf(inShape);
  if (isTrailingBlock(inShape, outShape)) {
    // The common case of a bias row added to a batch: the input repeats every m elements.
    for (let k = 0; k < n; k++) index[k] = k % m;
    return index;
  }
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  const strideInOut = new Array<number>(rank).fill(0);
  for (let i = 0; i < rank; i++) {
    const j = inShape.length - rank + i;
    if (j >= 0 && inShape[j] !== 1) strideInOut[i] = inStrides[j];
  }
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let k = 0; k < n; k++) {
    index[k] = offset;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      offset += strideInOut[d];
      if (counter[d] < outShape[d]) break;
      offset -= strideInOut[d] * counter[d];
      counter[d] = 0;
    }
  }
  return index;
}

/**
 * Whether inShape, leading 1s aside, equals the trailing dimensions of outShape. A core longer than
 * outShape needs no check of its own: its first dimension is compared with outShape[-1], undefined.
 */
function isTrailingBlock(inShape: Shape, outShape: Shape): boolean {
  let start = 0;
  while (start < inShape.length && inShape[start] === 1) start++;
  const core = inShape.length - start;
  for (let i = 0; i < core; i++) if (inShape[start + i] !== outShape[outShape.length - core + i]) return false;
  return true;
}

/**
 * How an operand broadcast to outShape is read. When it is a trailing block of outShape (the whole
 * shape, a bias row, a scalar), output element k reads element k mod `period` and no index is built;
 * otherwise `index` maps every output element to the element it reads.
 */
export interface BroadcastRead {
  period: number;
  index: Int32Array | null;
}

export function broadcastRead(inShape: Shape, outShape: Shape): BroadcastRead {
  if (isTrailingBlock(inShape, outShape)) return { period: sizeOf(inShape), index: null };
  return { period: 0, index: broadcastIndex(inShape, outShape) };
}
