import { describe, expect, it } from 'vitest';
import { CaseError, formatPath, isPrototypeName, orList, show } from './errors.ts';

describe('how the schema shows what it received', () => {
  it.each<[string, unknown, string]>([
    ['a missing field', undefined, 'nothing (the field is missing)'],
    ['null', null, 'null'],
    ['a short string, quoted', 'lol', '"lol"'],
    ['a 60-character string, whole', 'x'.repeat(60), `"${'x'.repeat(60)}"`],
    ['a 61-character string, cut to 57 and an ellipsis', `${'a'.repeat(57)}bcde`, `"${'a'.repeat(57)}..."`],
    ['−0, with its sign', -0, '-0'],
    ['NaN', NaN, 'NaN'],
    ['a number', 1.5, '1.5'],
    ['an array, by its length', [1, 2, 3], 'an array of 3'],
    ['an object', { a: 1 }, 'an object'],
    ['a boolean', true, 'true'],
    ['a symbol, as text', Symbol.for('s'), 'Symbol(s)'],
  ])('%s', (_what, value, shown) => {
    expect(show(value)).toBe(shown);
  });
});

describe('orList', () => {
  it.each<[string[], string]>([
    [[], ''],
    [['a'], 'a'],
    [['a', 'b'], 'a or b'],
    [['a', 'b', 'c'], 'a, b or c'],
  ])('%j', (items, text) => {
    expect(orList(items)).toBe(text);
  });
});

describe('CaseError', () => {
  it('names itself and lists one problem inline, several one per line', () => {
    const one = new CaseError('training case', [{ path: 'steps', message: 'expected an integer ≥ 1, got 0' }]);
    expect([one.name, one.message]).toEqual(['CaseError', 'invalid training case: steps: expected an integer ≥ 1, got 0']);
    const two = new CaseError('case', [{ path: '', message: 'first' }, { path: 'a[0].b', message: 'second' }]);
    expect(two.message).toBe('invalid case (2 problems):\n  first\n  a[0].b: second');
  });

  it('formats paths as code would write them', () => {
    expect(formatPath(['graph', 'args', 0, 'attrs', 'exponent'])).toBe('graph.args[0].attrs.exponent');
    expect(formatPath([0, 'x'])).toBe('[0].x');
  });

  it('knows the names every object inherits', () => {
    expect(['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'].every(isPrototypeName)).toBe(true);
    expect(['x', '0.weight', 'NaN'].some(isPrototypeName)).toBe(false);
  });
});
