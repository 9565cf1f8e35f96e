import { describe, expect, it } from 'vitest';
import { arithmetic } from './arith.ts';

describe('arithmetic', () => {
  it('fuses add with alpha in the pytorch mode only, and rounds every float32 result', () => {
    const a = 1 + 2 ** -27;
    const self = -(1 + 2 ** -26);
    // a·a = 1 + 2^-26 + 2^-54: plain rounds the product to 1 + 2^-26 and returns 0; fused keeps 2^-54.
    expect(arithmetic('plain').addScaled(self, a, a)).toBe(0);
    expect(arithmetic('pytorch').addScaled(self, a, a)).toBe(2 ** -54);
    const f32 = arithmetic('pytorch', 'float32');
    expect(f32.scalar(0.1)).toBe(Math.fround(0.1));
    expect(f32.add(1, 2 ** -30)).toBe(1);
  });

  it('names an unknown mode or dtype', () => {
    expect(() => arithmetic('fast' as never)).toThrow(/unknown mode 'fast'/);
    expect(() => arithmetic('plain', 'float16' as never)).toThrow(/dtype 'float16'/);
  });
});
