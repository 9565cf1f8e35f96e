import { describe, expect, it } from 'vitest';
import { failureKind } from './collect.ts';

describe('failureKind', () => {
  it('is one kind for one bug met at other values and shapes', () => {
    const at = (shape: string, data: string, i: number) =>
      new Error(`pow(x: [${shape}], exponent=0) at x = [${data}]: the gradient of x[${i}] is NaN, the reference's 0`);
    expect(failureKind(at('3, 1, 3', '1, 1, 0', 2))).toBe(failureKind(at('3', '0', 0)));
  });

  it('keeps apart messages that differ in words', () => {
    expect(failureKind(new Error('value[0] is 3, the reference 9'))).not.toBe(failureKind(new Error('the gradient of x[0] is 3, the reference 9')));
  });
});
