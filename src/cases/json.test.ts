import { describe, expect, it } from 'vitest';
import { decodeJson, encodeDeep, encodeJson, JsonEncodingError } from './json.ts';

describe('JSON with every float64', () => {
  it('round-trips NaN, ±Infinity and −0, which plain JSON loses', () => {
    const value = { a: [NaN, Infinity, -Infinity, -0, 0, 1.5], nested: { x: -0 } };
    expect(JSON.parse(JSON.stringify(value)).a).toEqual([null, null, null, 0, 0, 1.5]);
    const back = decodeJson(encodeJson(value)) as typeof value;
    expect(back.a[0]).toBeNaN();
    expect(back.a.slice(1, 3)).toEqual([Infinity, -Infinity]);
    expect(Object.is(back.a[3], -0)).toBe(true);
    expect(Object.is(back.a[4], 0)).toBe(true);
    expect(Object.is(back.nested.x, -0)).toBe(true);
  });

  it('maps only its own four spellings to numbers, never a name inherited from Object', () => {
    expect(decodeJson('["constructor", "valueOf", "hasOwnProperty", "__proto__", "toString"]')).toEqual(['constructor', 'valueOf', 'hasOwnProperty', '__proto__', 'toString']);
  });

  it('rejects a number literal beyond float64, rather than reading it as Infinity', () => {
    expect(() => decodeJson('{"data": [1, 1e400]}')).toThrow(/the number at key "1" is beyond float64's range \(±1\.8e308\); write an infinity as the string "Infinity"/);
    expect(() => decodeJson('-1e400')).toThrow(JsonEncodingError);
    // Underflow is ordinary rounding (to a subnormal or a signed zero), as for any decimal literal.
    expect(Object.is(decodeJson('-1e-400'), -0)).toBe(true);
  });

  it('encodes typed arrays element by element, and keeps null and nested objects', () => {
    const text = encodeJson({ t: new Float64Array([1, -0, NaN, -Infinity]), n: null, o: { a: [null] } });
    expect(text).toBe('{"t":[1,"-0","NaN","-Infinity"],"n":null,"o":{"a":[null]}}');
  });

  it('names its error', () => {
    expect(() => decodeJson('[1e999]')).toThrow(expect.objectContaining({ name: 'JsonEncodingError' }));
  });
});

describe("encodeDeep, the explicit-stack writer for values too deep for JSON.stringify", () => {
  it("writes JSON.stringify's text: values JSON omits are dropped from objects and null in arrays", () => {
    const f = () => 1;
    const values: unknown[] = [
      undefined, 3, 'x', null,
      { a: undefined, b: f, c: Symbol('s'), d: 1, e: null },
      [undefined, f, Symbol('s'), 2, null],
      { nested: [{ k: [] }, {}], n: -0, big: new Float64Array([1, NaN]) },
    ];
    for (const v of values) {
      for (const indent of [undefined, 2]) expect(encodeDeep(v, indent)).toBe(encodeJson(v, indent));
    }
    // JSON.stringify's own spellings, written out: an omitted root is no text at all.
    expect([encodeJson(undefined), encodeJson({ a: undefined, b: f }), encodeJson([undefined, f])]).toEqual([undefined, '{}', '[null,null]']);
  });

  it('names a cycle, which never ends however deep the writer goes', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => encodeJson(cycle)).toThrow(/the value refers to itself \(a cycle\), which JSON cannot write/);
  });
});

describe('decodeJson walks every value', () => {
  it('keeps nulls in objects and arrays', () => {
    expect(decodeJson('{"a":null,"b":[null,"NaN"]}')).toEqual({ a: null, b: [null, NaN] });
  });

  it('names the root as the key "" when the whole text is a number beyond float64', () => {
    expect(() => decodeJson('1e400')).toThrow(/the number at key "" is beyond float64's range/);
    expect(() => decodeJson('{"w":[1e400]}')).toThrow(/the number at key "0" is beyond float64's range/);
  });
});

