import { describe, expect, it } from 'vitest';
import { decodeJson, encodeJson, JsonEncodingError } from './json.ts';

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
