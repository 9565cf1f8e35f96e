/**
 * A bug as a patch of the engine: applying it returns the function that undoes it. A process
 * adapter applies its patch for good; a module backend applies it around each (synchronous) case
 * only, so the reference that the claims compare against, in the same process, stays intact.
 */
export type Patch = () => () => void;

/** Replaces one property and returns the undo. */
export function replace<T extends object, K extends keyof T>(target: T, key: K, value: T[K]): () => void {
  const old = target[key];
  target[key] = value;
  return () => {
    target[key] = old;
  };
}
