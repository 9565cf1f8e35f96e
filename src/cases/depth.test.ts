/**
 * Values of any depth through the JSON encoding and the case schema: a 100,000-op chain is a
 * valid case, and nothing on its way may overflow the call stack (JSON.stringify and a JSON.parse
 * reviver both do, near depth 3,000).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeJson, encodeDeep, encodeJson, JsonEncodingError } from './json.ts';
import { parseCaseJson } from './schema.ts';

const DEPTH = 100_000;

/** `inner` inside DEPTH arrays of one element. */
function nest(inner: unknown): unknown {
  let v = inner;
  for (let i = 0; i < DEPTH; i++) v = [v];
  return v;
}

/** What DEPTH arrays of one element hold, walking down without recursion. */
function innermost(value: unknown): unknown {
  let v = value;
  for (let i = 0; i < DEPTH; i++) v = (v as unknown[])[0];
  return v;
}

const values = fc.oneof(
  fc.anything({ withTypedArray: true, withNullPrototype: true, withSparseArray: true }),
  fc.array(fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1.5, 'NaN', undefined)),
);

describe('JSON at any depth', () => {
  it('encodeDeep writes the text JSON.stringify writes (with the special numbers), at every indent', () => {
    fc.assert(fc.property(values, fc.integer({ min: -1, max: 12 }), (v, indent) => encodeDeep(v, indent) === encodeJson(v, indent)));
  });

  it('encodeJson writes and decodeJson reads a value 100,000 arrays deep, special numbers included', () => {
    const text = encodeJson(nest({ x: [-0, NaN, -Infinity], __proto__: 1 }));
    expect(text).toBe(`${'['.repeat(DEPTH)}{"x":["-0","NaN","-Infinity"]}${']'.repeat(DEPTH)}`);
    const back = innermost(decodeJson(`${'['.repeat(DEPTH)}{"x":["-0","NaN"],"__proto__":"Infinity"}${']'.repeat(DEPTH)}`));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toBe(Infinity);
    expect(Object.is((back as { x: number[] }).x[0], -0)).toBe(true);
    expect((back as { x: number[] }).x[1]).toBeNaN();
  });

  it('decodeJson rejects a number beyond float64 at any depth, naming its key', () => {
    expect(() => decodeJson(`${'['.repeat(DEPTH)}{"data":[1,1e400]}${']'.repeat(DEPTH)}`)).toThrow(JsonEncodingError);
    expect(() => decodeJson(`${'['.repeat(DEPTH)}{"data":[1,1e400]}${']'.repeat(DEPTH)}`)).toThrow(/the number at key "1" is beyond/);
  });

  it('a value that contains itself is an error, not a loop', () => {
    const cyclic: unknown[] = [];
    cyclic.push({ again: cyclic });
    expect(() => encodeJson(cyclic)).toThrow(/refers to itself \(a cycle\)/);
  });
});

describe('the case schema at any depth', () => {
  it('reads a 100,000-op chain from its JSON text', () => {
    const chain = `${'{"op":"neg","args":['.repeat(DEPTH)}{"op":"input","name":"x"}${']}'.repeat(DEPTH)}`;
    const c = parseCaseJson(`{"kind":"expr","version":1,"inputs":{"x":{"shape":[2],"data":["-0",1],"requiresGrad":true}},"graph":{"op":"sum","args":[${chain}]}}`);
    expect(c.kind === 'expr' && c.graph.op).toBe('sum');
  });
});
