import { describe, expect, it } from 'vitest';
import { Random } from './random.ts';

/** The generator's private state, set directly to feed it published reference vectors. */
interface State {
  s0: number;
  s1: number;
  s2: number;
  s3: number;
}

function withState(state: State): Random {
  return Object.assign(new Random(0), state);
}

// xoshiro128** from the C reference implementation (prng.di.unimi.it/xoshiro128starstar.c): the
// state 964D4A0C D40AB895 AD7FDECB 3006F0F0 yields F1391922 6FE53806 A5BE2840 F510EE70 and leaves
// FC65379C 52006D70 87487639 F1908343, as recorded by the test data of edorfaus/xoshiro-6502.
const REFERENCE: State = { s0: 0x964d4a0c, s1: 0xd40ab895, s2: 0xad7fdecb, s3: 0x3006f0f0 };
const REFERENCE_OUTPUTS = [0xf1391922, 0x6fe53806, 0xa5be2840, 0xf510ee70];
const REFERENCE_AFTER: State = { s0: 0xfc65379c, s1: 0x52006d70, s2: 0x87487639, s3: 0xf1908343 };

/** MurmurHash3's 32-bit finalizer, in BigInt arithmetic. */
function fmix32(h: bigint): bigint {
  const M = 0xffffffffn;
  h ^= h >> 16n;
  h = (h * 0x85ebca6bn) & M;
  h ^= h >> 13n;
  h = (h * 0xc2b2ae35n) & M;
  return h ^ (h >> 16n);
}

/**
 * The seeding described in random.ts, derived in BigInt: the seed's low 32 bits XOR its high 32
 * bits (two's complement), then four steps of a golden-ratio Weyl sequence, each mixed by fmix32.
 */
function seededState(seed: number): State {
  const s = BigInt(seed);
  let state = (s & 0xffffffffn) ^ ((s >> 32n) & 0xffffffffn);
  const words = [0, 1, 2, 3].map(() => {
    state = (state + 0x9e3779b9n) & 0xffffffffn;
    return Number(fmix32(state));
  });
  return { s0: words[0], s1: words[1], s2: words[2], s3: words[3] };
}

const stateOf = (r: Random): State => {
  const { s0, s1, s2, s3 } = r as unknown as State;
  return { s0, s1, s2, s3 };
};

describe('Random', () => {
  it('rejects a seed that is not a safe integer, naming it', () => {
    for (const seed of [1.5, NaN, 2 ** 53, Infinity]) {
      expect(() => new Random(seed)).toThrow(RangeError);
      expect(() => new Random(seed)).toThrow(`Random: the seed must be a safe integer, got ${seed}`);
    }
    expect(() => new Random(-(2 ** 53 - 1))).not.toThrow();
  });

  it.each([0, 1, 12345, 2 ** 32 + 7, -1, -12345, 2 ** 52 + 3, -(2 ** 40) - 5])('seeds %d by splitmix32 of its folded bits', (seed) => {
    expect(stateOf(new Random(seed))).toEqual(seededState(seed));
  });

  it('nextUint32 follows the xoshiro128** reference', () => {
    const r = withState(REFERENCE);
    expect(REFERENCE_OUTPUTS.map(() => r.nextUint32())).toEqual(REFERENCE_OUTPUTS);
    expect(stateOf(r)).toEqual(REFERENCE_AFTER);
  });

  it('next takes the top 27 and 26 bits of two outputs as a 53-bit fraction', () => {
    const r = withState(REFERENCE);
    const [a, b, c, d] = REFERENCE_OUTPUTS;
    expect(r.next()).toBe((Math.floor(a / 32) * 2 ** 26 + Math.floor(b / 64)) / 2 ** 53);
    expect(r.next()).toBe((Math.floor(c / 32) * 2 ** 26 + Math.floor(d / 64)) / 2 ** 53);
  });

  it('next and uniform stay in range', () => {
    const r = new Random(7);
    const us = Array.from({ length: 2000 }, () => r.next());
    const xs = Array.from({ length: 2000 }, () => r.uniform(-3, 5));
    expect(us.filter((u) => !(u >= 0 && u < 1))).toEqual([]);
    expect(xs.filter((x) => !(x >= -3 && x < 5))).toEqual([]);
  });

  it('uniform scales and shifts one next()', () => {
    const a = new Random(99);
    const b = new Random(99);
    for (let i = 0; i < 5; i++) expect(a.uniform(-3, 5)).toBe(-3 + 8 * b.next());
  });

  it('normal is Box–Muller over two draws, cosine first, then the sine it kept', () => {
    const r = new Random(3);
    const twin = new Random(3);
    for (let pair = 0; pair < 3; pair++) {
      const u = twin.next();
      const v = twin.next();
      const radius = Math.sqrt(-2 * Math.log(u));
      expect(r.normal()).toBe(radius * Math.cos(2 * Math.PI * v));
      expect(r.normal()).toBe(radius * Math.sin(2 * Math.PI * v));
    }
  });

  it('normal draws again when the first uniform is exactly 0', () => {
    // With s1 = 0 and s0 = s2, the next two outputs are 0, so next() returns exactly 0.
    const zeroFirst: State = { s0: 0x12345678, s1: 0, s2: 0x12345678, s3: 0x9abcdef0 };
    const twin = withState(zeroFirst);
    expect(twin.next()).toBe(0);
    const u = twin.next();
    const v = twin.next();
    expect(withState(zeroFirst).normal()).toBe(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  });

  it('normal draws have mean 0 and variance 1', () => {
    const r = new Random(11);
    const n = 20000;
    const xs = Array.from({ length: n }, () => r.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    // Standard errors: 1/√n ≈ 0.007 for the mean, √(2/n) ≈ 0.01 for the variance; 5 of each.
    expect(Math.abs(mean)).toBeLessThan(0.035);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});
