import { describe, expect, it } from 'vitest';
import { decodeJson, encodeJson } from './json.ts';

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
});
