/**
 * `fc.double({ min, max, noNaN: true })` for finite bounds, drawn without bigints. fast-check
 * numbers the doubles (+0 and up by their bits read as an integer, −0 and down by −1 − that of the
 * magnitude), draws an index with bigint arithmetic (pure-rand's uniformBigInt over 32-bit
 * draws, after its bias picks a range) and maps it back to a double: a fifth of the CPU of drawing
 * the cases of a verify. Here the same draws are taken from the same generator, in the same order,
 * and the index is kept as two 32-bit words, which are the double's bits: the same values for the
 * same seed. Shrinking is fast-check's own, handed to an fc.double of the same bounds.
 * double.test.ts compares both over many seeds.
 */
import fc from 'fast-check';

const WORD = 2 ** 32;
const words = new Float64Array(1);
const word = new Uint32Array(words.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** fast-check's index of a double (not NaN). */
function indexOf(x: number): bigint {
  words[0] = Math.abs(x);
  const bits = (BigInt(word[HI]) << 32n) | BigInt(word[LO]);
  return x > 0 || Object.is(x, 0) ? bits : -bits - 1n;
}

/** The double at an index given as its two's complement words (hi signed, lo unsigned). */
function doubleAt(hi: number, lo: number): number {
  if (hi >= 0) {
    word[HI] = hi;
    word[LO] = lo;
    return words[0];
  }
  word[HI] = ~hi;
  word[LO] = ~lo;
  return -words[0];
}

/** fast-check's digit count of a bigint, which sizes its biased ranges. */
const logLike = (v: bigint): bigint => (v === 0n ? 0n : BigInt(String(v).length));

/** fast-check's biased ranges of indices: small ones near zero and near the bounds. */
function biasedRanges(min: bigint, max: bigint): [bigint, bigint][] {
  if (min === max) return [[min, max]];
  if (min < 0n && max > 0n) {
    const logMin = logLike(-min);
    const logMax = logLike(max);
    return [[-logMin, logMax], [max - logMax, max], [min, min + logMin]];
  }
  const gap = logLike(max - min);
  const nearMin: [bigint, bigint] = [min, min + gap];
  const nearMax: [bigint, bigint] = [max - gap, max];
  return min < 0n ? [nearMax, nearMin] : [nearMin, nearMax];
}

/**
 * A range of indices [from, from + size) with uniformBigInt's rejection bound: a draw of one or two
 * 32-bit words (as many as the size needs) is kept below `limit`, the largest multiple of the size
 * the words can hold, and taken modulo the size. Two-word draws reduce by at most `quotient`
 * subtractions when the size is large, else by a bigint remainder.
 */
class Range {
  readonly fromHi: number;
  readonly fromLo: number;
  readonly twoWords: boolean;
  readonly size: number;
  readonly limit: number;
  readonly sizeHi: number;
  readonly sizeLo: number;
  readonly limitHi: number;
  readonly limitLo: number;
  readonly bigSize: bigint;
  readonly quotient: number;

  constructor(min: bigint, max: bigint) {
    const size = max - min + 1n;
    const span = size <= BigInt(WORD) ? BigInt(WORD) : BigInt(WORD) ** 2n;
    const limit = span - (span % size);
    this.fromHi = Number(BigInt.asIntN(32, min >> 32n));
    this.fromLo = Number(BigInt.asUintN(32, min));
    this.twoWords = span > BigInt(WORD);
    this.bigSize = size;
    this.size = Number(size);
    this.limit = Number(limit);
    this.sizeHi = Number(size >> 32n);
    this.sizeLo = Number(BigInt.asUintN(32, size));
    this.limitHi = Number(limit >> 32n);
    this.limitLo = Number(BigInt.asUintN(32, limit));
    this.quotient = Number(limit / size);
  }
}

const QUOTIENT_BY_SUBTRACTION = 16;

/** One 32-bit draw as uniformBigInt reads it, in [0, 2³²). */
const draw = (mrng: fc.Random): number => mrng.nextInt(-0x80000000, 0x7fffffff) + 0x80000000;

class DoubleArbitrary extends fc.Arbitrary<number> {
  private readonly full: Range;
  private readonly biased: Range[];
  private shrinker: fc.Arbitrary<number> | undefined;

  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {
    super();
    const lo = indexOf(min);
    const hi = indexOf(max);
    this.full = new Range(lo, hi);
    this.biased = biasedRanges(lo, hi).map(([a, b]) => new Range(a, b));
  }

  /** fc.double itself, made when first asked to shrink. */
  private get reference(): fc.Arbitrary<number> {
    return (this.shrinker ??= fc.double({ min: this.min, max: this.max, noNaN: true }));
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<number> {
    const range = biasFactor === undefined || mrng.nextInt(1, biasFactor) !== 1 ? this.full : this.pickBiased(mrng);
    if (range.twoWords) twoWordOffset(mrng, range);
    else {
      let v = draw(mrng);
      while (v >= range.limit) v = draw(mrng);
      offset.hi = 0;
      offset.lo = v % range.size;
    }
    // The low word may reach 2³²: doubleAt's Uint32Array keeps it modulo 2³², the carry goes up.
    const lo = offset.lo + range.fromLo;
    const carry = lo >= WORD ? 1 : 0;
    // No context: fc.double shrinks a value without one exactly as with its own, since its
    // mapping back to the index is exact and the index's own context is empty.
    return new fc.Value(doubleAt((offset.hi + range.fromHi + carry) | 0, lo), undefined);
  }

  private pickBiased(mrng: fc.Random): Range {
    const n = this.biased.length;
    if (n === 1) return this.biased[0];
    const id = mrng.nextInt(-2 * (n - 1), n - 2);
    return id < 0 ? this.biased[0] : this.biased[id + 1];
  }

  canShrinkWithoutContext(value: unknown): value is number {
    return this.reference.canShrinkWithoutContext(value);
  }

  shrink(value: number, context: unknown): fc.Stream<fc.Value<number>> {
    return this.reference.shrink(value, context);
  }
}

/** The offset of the index drawn in its range, as two unsigned words. */
const offset = { hi: 0, lo: 0 };

/** A two-word draw below the range's limit, reduced modulo its size, into `offset`. */
function twoWordOffset(mrng: fc.Random, range: Range): void {
  let hi = draw(mrng);
  let lo = draw(mrng);
  while (hi > range.limitHi || (hi === range.limitHi && lo >= range.limitLo)) {
    hi = draw(mrng);
    lo = draw(mrng);
  }
  if (range.quotient > QUOTIENT_BY_SUBTRACTION) {
    const r = ((BigInt(hi) << 32n) | BigInt(lo)) % range.bigSize;
    offset.hi = Number(r >> 32n);
    offset.lo = Number(BigInt.asUintN(32, r));
    return;
  }
  while (hi > range.sizeHi || (hi === range.sizeHi && lo >= range.sizeLo)) {
    hi -= range.sizeHi;
    lo -= range.sizeLo;
    if (lo < 0) {
      lo += WORD;
      hi -= 1;
    }
  }
  offset.hi = hi;
  offset.lo = lo;
}

/** The doubles in [min, max] (finite bounds), no NaN: `fc.double({ min, max, noNaN: true })`. */
export function doubleInRange(min: number, max: number): fc.Arbitrary<number> {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError(`doubleInRange: the bounds must be finite numbers, got [${min}, ${max}]`);
  if (indexOf(min) > indexOf(max)) throw new RangeError(`doubleInRange: min ${show(min)} is above max ${show(max)}`);
  return new DoubleArbitrary(min, max);
}

/** A number as written, −0 apart from 0. */
const show = (x: number) => (Object.is(x, -0) ? '-0' : String(x));
