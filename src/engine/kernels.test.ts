import { describe, expect, it } from 'vitest';
import { fromData, Random, type Tensor } from './index.ts';
import {
  scalarMatmulInto, scalarMatmulTransposedLeftInto, scalarMatmulTransposedRightInto, scratchFloats,
} from './kernels.ts';
import * as ops from './ops.ts';

// The blocked kernels must give, bit for bit, what the textbook loops below give: each element is
// ((0 + t₀) + t₁) + … in index order. Values include −0, subnormals, infinities and NaN, whose
// propagation a reordered or differently seeded sum would change.

const SPECIAL = [-0, 0, 5e-324, -2.5e-310, Infinity, -Infinity, NaN, 1e308, -1e-300];

function values(rng: Random, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => (rng.next() < 0.1 ? SPECIAL[Math.floor(rng.next() * SPECIAL.length)] : rng.uniform(-3, 3)));
}

function naiveMatmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      out[i * n + j] = s;
    }
  }
  return out;
}

/** g·bᵀ, summed over n in order. */
function naiveGradLeft(g: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += g[i * n + j] * b[p * n + j];
      out[i * k + p] = s;
    }
  }
  return out;
}

/** aᵀ·g, summed over m in order. */
function naiveGradRight(a: Float64Array, g: Float64Array, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(k * n);
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += a[i * k + p] * g[i * n + j];
      out[p * n + j] = s;
    }
  }
  return out;
}

/** The first index where two arrays differ as bits (NaN equals NaN; −0 differs from 0), or −1. */
function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 13];
const SHAPES: [number, number, number][] = [
  ...SIZES.flatMap((m) => SIZES.map((n): [number, number, number] => [m, 1 + ((m * n) % 11), n])),
  [0, 3, 4], [3, 0, 4], [3, 4, 0], [33, 65, 17], [64, 31, 10],
];

const leaf = (data: Float64Array, shape: number[]): Tensor => fromData(data, shape, { requiresGrad: true });

describe('matmul kernels', () => {
  it('equal the textbook loops bit for bit: forward and both backward products, odd sizes included', () => {
    const rng = new Random(11);
    for (const [m, k, n] of SHAPES) {
      const a = leaf(values(rng, m * k), [m, k]);
      const b = leaf(values(rng, k * n), [k, n]);
      const g = values(rng, m * n);
      const y = ops.matmul(a, b);
      y.backward(fromData(g, [m, n]));
      const where = `[${m}×${k}]·[${k}×${n}]`;
      expect(firstDifference(y.data, naiveMatmul(a.data, b.data, m, k, n)), `forward ${where}`).toBe(-1);
      expect(firstDifference(a.grad!.data, naiveGradLeft(g, b.data, m, k, n)), `g·bᵀ ${where}`).toBe(-1);
      expect(firstDifference(b.grad!.data, naiveGradRight(a.data, g, m, k, n)), `aᵀ·g ${where}`).toBe(-1);
    }
  });

  it('would notice a sum taken in another order', () => {
    const rng = new Random(3);
    const [m, k, n] = [5, 40, 6];
    const a = values(rng, m * k).map((v) => (Number.isFinite(v) ? v : 1));
    const b = values(rng, k * n).map((v) => (Number.isFinite(v) ? v : 1));
    const reversed = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = k - 1; p >= 0; p--) s += a[i * k + p] * b[p * n + j];
        reversed[i * n + j] = s;
      }
    }
    expect(firstDifference(ops.matmul(fromData(a, [m, k]), fromData(b, [k, n])).data, reversed)).toBeGreaterThanOrEqual(0);
  });
});

describe('broadcasting and reductions', () => {
  it('add a bias row and sum its gradient over the batch in order', () => {
    const rng = new Random(5);
    for (const [m, n] of [[1, 1], [3, 5], [7, 4], [64, 10], [9, 13]]) {
      const x = leaf(values(rng, m * n), [m, n]);
      const bias = leaf(values(rng, n), [n]);
      const g = values(rng, m * n);
      const y = ops.add(x, bias);
      y.backward(fromData(g, [m, n]));
      const forward = new Float64Array(m * n);
      const biasGrad = new Float64Array(n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          forward[i * n + j] = x.data[i * n + j] + bias.data[j];
          biasGrad[j] += g[i * n + j];
        }
      }
      expect(firstDifference(y.data, forward), `forward [${m}, ${n}]`).toBe(-1);
      expect(firstDifference(x.grad!.data, g), `input gradient [${m}, ${n}]`).toBe(-1);
      expect(firstDifference(bias.grad!.data, biasGrad), `bias gradient [${m}, ${n}]`).toBe(-1);
    }
  });

  it('sum and mean over every element and along each axis, in index order', () => {
    const rng = new Random(9);
    for (const [r, c] of [[1, 1], [3, 5], [8, 9], [13, 2]]) {
      const x = fromData(values(rng, r * c), [r, c]);
      let all = 0;
      const rows = new Float64Array(c);
      const cols = new Float64Array(r);
      for (let i = 0; i < r; i++) {
        for (let j = 0; j < c; j++) {
          all += x.data[i * c + j];
          rows[j] += x.data[i * c + j];
          cols[i] += x.data[i * c + j];
        }
      }
      expect(firstDifference(ops.sum(x).data, Float64Array.of(all))).toBe(-1);
      expect(firstDifference(ops.sum(x, 0).data, rows)).toBe(-1);
      expect(firstDifference(ops.sum(x, 1).data, cols)).toBe(-1);
      expect(firstDifference(ops.mean(x).data, Float64Array.of(all / (r * c)))).toBe(-1);
      expect(firstDifference(ops.mean(x, 0).data, rows.map((s) => s / r))).toBe(-1);
    }
  });
});

describe('the JavaScript kernels\' scratch', () => {
  const ones = (n: number) => new Float64Array(n).fill(1);
  // Each call returns the scratch sizes after it; the sizes before come from the previous call, so
  // the checks hold whatever ran earlier in this file.
  const forward = (m: number, k: number, n: number) => {
    scalarMatmulInto(ones(m * k), ones(k * n), new Float64Array(m * n), m, k, n);
    return scratchFloats();
  };
  /** g[m×n]·bᵀ with b [k×n]: transposes b (k·n floats), then packs bᵀ's columns (4n). */
  const right = (m: number, n: number, k: number) => {
    scalarMatmulTransposedRightInto(ones(m * n), ones(k * n), new Float64Array(m * k), m, n, k);
    return scratchFloats();
  };
  /** aᵀ·g with a [m×k]: transposes a (m·k floats), then packs g's columns (4m). */
  const left = (m: number, k: number, n: number) => {
    scalarMatmulTransposedLeftInto(ones(m * k), ones(m * n), new Float64Array(k * n), m, k, n);
    return scratchFloats();
  };

  it('packs four columns of k values: grown to what a product needs, or to twice its size if that is more', () => {
    const k1 = scratchFloats().packed + 3; // 4·k1 is more than twice the scratch held
    const p1 = forward(2, k1, 5).packed;
    expect(p1).toBe(4 * k1);
    expect(forward(3, k1 + 1, 4).packed).toBe(2 * p1); // 4·(k1 + 1) ≤ 2·p1
    expect(forward(2, p1 / 2, 1).packed).toBe(2 * p1); // exactly what it holds: kept
    expect(forward(1, 1, 1).packed).toBe(2 * p1);
  });

  it('transposes into one scratch array for both backward products, grown the same way', () => {
    const f0 = scratchFloats().flipped;
    const f1 = right(2, 3, f0 + 1).flipped; // 3·(f0 + 1) floats, more than twice f0
    expect(f1).toBe(3 * (f0 + 1));
    expect(left(2, Math.ceil((f1 + 1) / 2), 3).flipped).toBe(2 * f1); // just more than it holds
    expect(left(4, f1 / 2, 2).flipped).toBe(2 * f1); // exactly what it holds: kept
    const f2 = left(3, 2 * f1 + 1, 1).flipped;
    expect(f2).toBe(3 * (2 * f1 + 1));
    expect(right(5, 2, f2 / 2).flipped).toBe(f2);
    // The packed columns of the backward products: 4n for g·bᵀ, 4m for aᵀ·g.
    const p = scratchFloats().packed;
    expect([right(1, p, 1).packed, left(4 * p + 1, 1, 1).packed]).toEqual([4 * p, 16 * p + 4]);
  });
});
