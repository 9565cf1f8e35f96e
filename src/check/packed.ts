/** Arrays of one hidden class whether the code that builds them is optimized or not. */

/**
 * xs.map(f), with a result of the same elements kind every time. V8's optimized code builds
 * map's result with holes (HOLEY_ELEMENTS) where its interpreter builds it packed, so the arrays
 * one call site returns change hidden class once that site is optimized, and each optimized
 * reader of them is deoptimized ("wrong map"). An array grown by push is packed either way.
 */
export function packedMap<T, U>(xs: readonly T[], f: (x: T, i: number) => U): U[] {
  const out: U[] = [];
  for (let i = 0; i < xs.length; i++) out.push(f(xs[i], i));
  return out;
}
