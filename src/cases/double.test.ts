/**
 * doubleInRange against the construction it replaces, fc.double({ min, max, noNaN: true }): the
 * same values, the same draws from the generator (what is drawn after them agrees too), the same
 * shrinks and the same counterexamples, over many seeds, with and without fast-check's bias, on
 * ranges that take each of its paths.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { doubleInRange } from './double.ts';

/** n values drawn with a given bias factor, then one more draw that shows where the generator is. */
class Draws extends fc.Arbitrary<{ values: fc.Value<number>[]; after: number }> {
  constructor(
    private readonly arb: fc.Arbitrary<number>,
    private readonly bias: number | undefined,
    private readonly n: number,
  ) {
    super();
  }
  generate(mrng: fc.Random): fc.Value<{ values: fc.Value<number>[]; after: number }> {
    const values = Array.from({ length: this.n }, () => this.arb.generate(mrng, this.bias));
    return new fc.Value({ values, after: mrng.nextInt() }, undefined);
  }
  canShrinkWithoutContext(value: unknown): value is { values: fc.Value<number>[]; after: number } {
    return false;
  }
  shrink(): fc.Stream<fc.Value<{ values: fc.Value<number>[]; after: number }>> {
    return fc.Stream.nil();
  }
}

const reference = (min: number, max: number) => fc.double({ min, max, noNaN: true });
const draw = (arb: fc.Arbitrary<number>, seed: number, bias: number | undefined, n = 8) => fc.sample(new Draws(arb, bias, n), { seed, numRuns: 1 })[0];
const same = (a: number, b: number) => Object.is(a, b);

/**
 * Ranges on every path: one-word draws (a range of at most 2³² doubles), two-word draws reduced by
 * subtraction (ranges spanning much of the exponents) and by a remainder (a few binades); signs,
 * zeros, subnormals, a single double and every finite double. The first ones are arbitraries.ts's.
 */
const RANGES: [number, number][] = [
  [-2, 2], [1e-100, 2], [1e-6, 2], [1e-4, 0.5], [0, 0.99], [0, 1], [-1, 1], [1e-15, 2],
  [0.25, 2], [-1, -0.5], [1, 1 + 2 ** -40], [3, 3], [-0, 0], [0, 0], [-0, -0], [-5, 1e-300], [-1e300, -1e-300],
  [-(2 ** -1070), 2 ** -1070], [2 ** -1074, 1], [-Number.MAX_VALUE, Number.MAX_VALUE], [-Number.MAX_VALUE, -0], [0, Number.MAX_VALUE],
  // 2³¹ + 1, 2³² and 2³² + 1 doubles: half the one-word draws rejected, the most one word holds, the fewest that take two.
  [1, 1 + 2 ** 31 * 2 ** -52], [1, 1 + (2 ** 32 - 1) * 2 ** -52], [1, 1 + 2 ** 32 * 2 ** -52],
];
const BIASES = [undefined, 1, 2, 3, 10];

describe('doubleInRange draws what fc.double draws', () => {
  it.each(RANGES)('[%d, %d]: the same values and generator state, biased or not', (min, max) => {
    const mine = doubleInRange(min, max);
    const ref = reference(min, max);
    for (let seed = 0; seed < 200; seed++) {
      for (const bias of BIASES) {
        const a = draw(mine, seed, bias);
        const b = draw(ref, seed, bias);
        expect(a.values.map((v) => v.value).every((x, i) => same(x, b.values[i].value)), `seed ${seed}, bias ${bias}`).toBe(true);
        expect(a.after, `seed ${seed}, bias ${bias}`).toBe(b.after);
      }
    }
  });

  it.each(RANGES.slice(0, 12))('[%d, %d]: the same shrinks, two levels deep', (min, max) => {
    const mine = doubleInRange(min, max);
    const ref = reference(min, max);
    const level = (arb: fc.Arbitrary<number>, v: fc.Value<number>) => [...arb.shrink(v.value, v.context).take(40)];
    for (let seed = 0; seed < 20; seed++) {
      const a = draw(mine, seed, 2, 2).values;
      const b = draw(ref, seed, 2, 2).values;
      for (let i = 0; i < a.length; i++) {
        const first = level(mine, a[i]);
        const expected = level(ref, b[i]);
        expect(first.map((v) => v.value)).toEqual(expected.map((v) => v.value));
        for (let j = 0; j < Math.min(3, first.length); j++) {
          expect(level(mine, first[j]).map((v) => v.value)).toEqual(level(ref, expected[j]).map((v) => v.value));
        }
      }
    }
  });

  it('finds and shrinks to the same counterexamples, by the same path', () => {
    const predicates: [string, (x: number) => boolean][] = [
      ['|x| < 0.3', (x) => Math.abs(x) < 0.3],
      ['x <= 0', (x) => x <= 0],
      ['x >= -1e-300', (x) => x >= -1e-300],
      ['|x| < 1e-200', (x) => Math.abs(x) < 1e-200],
    ];
    for (const [name, predicate] of predicates) {
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        const a = fc.check(fc.property(doubleInRange(-2, 2), predicate), { seed });
        const b = fc.check(fc.property(reference(-2, 2), predicate), { seed });
        expect(a.failed, name).toBe(true);
        expect([a.counterexample, a.counterexamplePath, a.numShrinks, a.numRuns], name).toEqual([b.counterexample, b.counterexamplePath, b.numShrinks, b.numRuns]);
      }
    }
  });

  it('can shrink without a context what fc.double can', () => {
    const mine = doubleInRange(-1, 2);
    const ref = reference(-1, 2);
    for (const x of [0, -0, 1.5, 2, -1, 2.5, -1.5, NaN, Infinity, '1']) {
      expect(mine.canShrinkWithoutContext(x), String(x)).toBe(ref.canShrinkWithoutContext(x));
    }
    const shrinks = (arb: fc.Arbitrary<number>) => [...arb.shrink(1.5, undefined).take(20)].map((v) => v.value);
    expect(shrinks(mine)).toEqual(shrinks(ref));
  });
});

/** A generator that gives the 32-bit words listed (as rng.next gives them, less 2³¹), then counts on. */
function scripted(words: number[], at = 0): ConstructorParameters<typeof fc.Random>[0] {
  let i = at;
  const next = () => {
    const word = i < words.length ? words[i] : i;
    i += 1;
    return word - 2 ** 31;
  };
  return { next, clone: () => scripted(words, i), jump: () => {}, getState: () => [i] } as unknown as ConstructorParameters<typeof fc.Random>[0];
}

describe('doubleInRange at the edges of uniformBigInt\'s draws', () => {
  const index = (x: number) => new BigInt64Array(new Float64Array([x]).buffer)[0];
  const hiLo = (v: bigint) => [Number(v >> 32n), Number(v & 0xffffffffn)];
  // Draws at, just below and just above the rejection limit and each multiple of the size, and
  // a draw whose low word the size's low word cancels: taken only by words chosen so.
  it.each([[1e-6, 2], [0, 0.99], [-2, 2], [1, 1 + 19 * 2 ** -52]])('[%d, %d]: the same values as fc.double', (min, max) => {
    const size = index(max) - index(min) + 1n;
    const span = size <= 2n ** 32n ? 2n ** 32n : 2n ** 64n;
    const limit = span - (span % size);
    const edges = [limit, size, 2n * size, 3n * size, limit - size, size + 2n ** 32n];
    for (const edge of edges) {
      for (const v of [edge - 1n, edge, edge + 1n].filter((x) => x >= 0n && x < span)) {
        const words = span === 2n ** 32n ? [Number(v)] : hiLo(v);
        const [a, b] = [doubleInRange(min, max), reference(min, max)].map((arb) => {
          const mrng = new fc.Random(scripted(words));
          return [arb.generate(mrng, undefined).value, mrng.nextInt()];
        });
        expect(a.every((x, i) => same(x, b[i])), `draw ${v}: ${a} against ${b}`).toBe(true);
      }
    }
  });
});

describe('doubleInRange bounds', () => {
  it('rejects bounds that are not finite, or out of order, by name', () => {
    expect(() => doubleInRange(NaN, 1)).toThrow('doubleInRange: the bounds must be finite numbers, got [NaN, 1]');
    expect(() => doubleInRange(0, Infinity)).toThrow('must be finite numbers, got [0, Infinity]');
    expect(() => doubleInRange(2, 1)).toThrow('doubleInRange: min 2 is above max 1');
    expect(() => doubleInRange(0, -0)).toThrow('doubleInRange: min 0 is above max -0');
    expect(() => reference(0, -0)).toThrow();
  });
});
