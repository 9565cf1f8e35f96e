import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitrariesFor } from './arbitraries.ts';

describe('num at the edge of the normal range', () => {
  // The smallest normal number of each dtype: 2^-1022 (float64: an 11-bit exponent with bias 1023)
  // and 2^-126 (float32: 8 bits, bias 127). Below it lie the subnormals, which num flushes to zero.
  const smallestNormal = { float64: 2 ** -1022, float32: 2 ** -126 };

  for (const dtype of ['float64', 'float32'] as const) {
    it(`keeps ±${smallestNormal[dtype]} (${dtype}) and flushes only what lies below it`, () => {
      const tiny = smallestNormal[dtype];
      // fast-check draws each bound of this range about once in a thousand draws: with seeds 1 to
      // 20, 10,000 draws held each bound 6 to 20 times.
      const xs = fc.sample(arbitrariesFor(dtype).num(-tiny, tiny), { seed: 1, numRuns: 10_000 });
      const count = (p: (x: number) => boolean) => xs.filter(p).length;
      expect(count((x) => x !== 0 && Math.abs(x) < tiny), 'subnormals').toBe(0);
      expect(count((x) => x === tiny), `${tiny}`).toBeGreaterThan(0);
      expect(count((x) => x === -tiny), `${-tiny}`).toBeGreaterThan(0);
    });
  }
});
