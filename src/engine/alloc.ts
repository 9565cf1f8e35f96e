/**
 * Where the engine's intermediate arrays come from. V8 gives a Float64Array of more than 8 elements
 * its own off-heap buffer, and making one costs as much as a small op's whole arithmetic (about
 * 0.4 µs against 0.04 µs for a view). Small arrays are therefore views carved, in order, out of a
 * shared 16 KiB buffer that is never reused: each starts zeroed like a fresh array, and the buffer
 * is freed once every view of it is garbage.
 *
 * A consequence for callers: a small tensor's `data.buffer` is shared with other tensors. Copy
 * (`slice()`) before transferring it to another thread.
 */
const SLAB_BYTES = 16 * 1024;
/** Arrays up to this many elements come from the slab; larger ones pay for their own buffer gladly. */
const SLAB_LIMIT = 256;
/** At or below this many elements V8 keeps the array on its heap, which is cheaper still. */
const IN_HEAP_LIMIT = 8;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A zeroed Float64Array of n elements. */
export function allocate(n: number): Float64Array {
  if (n <= IN_HEAP_LIMIT || n > SLAB_LIMIT) return new Float64Array(n);
  const bytes = n * 8;
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const view = new Float64Array(slab, used, n);
  used += bytes;
  return view;
}

/** A copy of values in a freshly allocated array. */
export function copyOf(values: Float64Array): Float64Array {
  const out = allocate(values.length);
  out.set(values);
  return out;
}

/** A one-element array holding x: `new Float64Array([x])` walks its argument as an iterable, several times slower. */
export function scalarOf(x: number): Float64Array {
  const out = new Float64Array(1);
  out[0] = x;
  return out;
}
