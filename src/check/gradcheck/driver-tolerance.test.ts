/**
 * The terms of gradcheck's tolerances, each pinned by a function that needs it: without the term
 * a correct gradient fails (or is not checked), or the report says something untrue. Each test
 * derives its expectation by hand; driver.test.ts covers the driver's behaviour in general.
 */
import { describe, expect, it } from 'vitest';
import type { Dtype } from '../../backends/backend.ts';
import { Random, tensor, type Tensor } from '../../engine/index.ts';
import { gradcheck } from './driver.ts';
import {
  MAX_SHRINKS,
  SHRINK_FACTOR,
  STENCIL_MULTIPLES,
  direction,
  powerOfTwoScale,
  round,
} from './stencils.ts';
import { NOISE_ROUNDINGS, baseStep, unitRoundoff } from './tolerances.ts';

const x = (values: number[]): Tensor => tensor(values, { requiresGrad: true });
const u64 = unitRoundoff('float64');
const eta = 2 ** -1074;
/** How much a Richardson stencil amplifies evaluation noise over the finest step: (4 + 1/2)/3. */
const RICHARDSON_GAIN = 1.5;

describe('gradcheck sees the graph at every stencil point', () => {
  it('checks |x| at 2, whose kink at 0 lies outside the stencil, in both modes', () => {
    // |x| is x on [2 − 4h, 2 + 4h]: derivative 1, nothing to straddle. Judging that needs the
    // kink sites of every sample, so each sample must be evaluated with a graph: a sample
    // without one has no abs site, and looks like a graph that changes shape within the stencil.
    for (const mode of ['full', 'fast'] as const) {
      const r = gradcheck((t) => t.abs(), [x([2])], { mode });
      expect(r.notCheckable).toEqual([]);
      expect(r.verdict).toBe('pass');
    }
  });
});

describe('full mode: the noise scale follows every value of the graph, not |f| alone', () => {
  it('passes (x + C) − C at 0, which the differences see as flat', () => {
    // C = 3·2^43 lies in [2^44, 2^45), where doubles are 2^-8 apart. The offsets ±2^-11, ±2^-10
    // (h, 2h) are below half a spacing and round back to C; ±2^-9 (4h) is a tie and rounds to the
    // even neighbour, C itself (C/2^-8 = 3·2^51). Every sample is 0, so the differences give 0
    // with an error estimate of 0, while the derivative, and the engine's gradient, is 1. The
    // error, 1, is the rounding of the intermediate x + C: up to 2^-9 per evaluation over steps
    // of 2^-11. A noise floor taken from |f| ≈ 0 alone would call this correct gradient wrong.
    const C = tensor([3 * 2 ** 43]);
    const h = baseStep('richardson', 'float64');
    expect(h).toBe(2 ** -11);
    const r = gradcheck((t) => t.add(C).sub(C), [x([0])]);
    const [e] = r.elements;
    expect([e.analytical, e.numerical, e.errorEstimate]).toEqual([1, 0, 0]);
    // The rounding of x + C alone, u·C = 3·2^-10 per evaluation, gains 1.5 over h: 9, above 1.
    expect(e.noiseFloor).toBeGreaterThanOrEqual((RICHARDSON_GAIN * u64 * 3 * 2 ** 43) / h);
    expect(r.verdict).toBe('pass');
  });
});

describe('an adjoint that underflows in backward', () => {
  // f(x) = ((x·B)·τ)·c with B = 2^1000, τ = 16·η (η = 2^-1074, the subnormal spacing), c = 1/3.
  // Forward stays normal: at x = 1, x·B·τ = 2^-70 exactly and f = 2^-70/3, so the differences
  // find f' = B·τ·c = (16/3)·2^-74 to about 1e-12. Backward passes c·τ = (16/3)·η to x·B, which
  // is subnormal and rounds to 5η (|16/3 − 5| < 1/2), and multiplies it by ∂(x·B)/∂x = B: the
  // gradient is 5·2^-74, 1/16 = 6.25% below f'. Each rule is right; the error is one absolute
  // rounding of η/3 blown up by B (as PyTorch does), so the floor must add η times how fast the
  // graph's values move with x (B here), and a floor that subtracted it would fail this gradient.
  const B = tensor([2 ** 1000]);
  const tau = tensor([16 * eta]);
  const c = tensor([1 / 3]);
  const f = (t: Tensor): Tensor => t.mul(B).mul(tau).mul(c);
  const exact = (16 / 3) * 2 ** -74;

  it('full mode: passes, with a gradient 6.25% off', () => {
    const r = gradcheck(f, [x([1])]);
    const [e] = r.elements;
    expect(e.analytical).toBe(5 * 2 ** -74);
    expect(Math.abs(e.numerical - exact)).toBeLessThan(1e-12 * exact);
    expect(e.relativeError).toBeCloseTo(1 / 16, 10);
    expect(r.verdict).toBe('pass');
  });

  it('fast mode: passes, with the same error along each direction', () => {
    // One input element and one output: u = ±1 and v = ±1 (scaled to a largest magnitude of 1),
    // so vᵀJu = ±5·2^-74 against ±(16/3)·2^-74 from the differences.
    const r = gradcheck(f, [x([1])], { mode: 'fast' });
    for (const e of r.elements) {
      expect(Math.abs(e.analytical)).toBe(5 * 2 ** -74);
      expect(Math.abs(Math.abs(e.numerical) - exact)).toBeLessThan(1e-12 * exact);
    }
    expect(r.verdict).toBe('pass');
  });
});

describe('fast mode: the analytical dot product and the projection round too', () => {
  it('passes K·Σx over 1000 elements at 0 with rtol 0', () => {
    // At x = 0 the function is 0 and moves by K·t·Σu over the stencil, so the noise floor is a
    // few u·K·Σ|u| while wᵀu sums 1000 terms K·u_k and may be off by up to 1000·u·Σ|K·u_k|
    // (as may the sum in f). With rtol 0 that allowance, total·u·Σ|w·u|, is the analytical
    // side's only floor: the gradient (K everywhere) is right, so the verdict must be a pass.
    // The error estimate and the noise floor together stay below that allowance, so a floor of
    // −total·u·Σ|w·u| would leave a negative tolerance and fail this gradient whatever its error.
    const K = tensor([1024]);
    const r = gradcheck((t) => t.sum().mul(K), [x(new Array(1000).fill(0))], { mode: 'fast', rtol: 0 });
    for (const e of r.elements) {
      const { u, v } = e.direction!;
      const dotScale = u[0].reduce((acc, uk) => acc + Math.abs(1024 * v[0] * uk), 0);
      expect(2 * e.errorEstimate + e.noiseFloor).toBeLessThan(1000 * u64 * dotScale);
    }
    expect(r.verdict).toBe('pass');
  });

  it('passes an output that is exactly 0 at x', () => {
    // y = 3x at 0: f(x) = 0, vᵀJu = 3·v·u, and every stencil value is finite.
    const three = tensor([3]);
    const r = gradcheck((t) => t.mul(three), [x([0])], { mode: 'fast' });
    expect(r.nonFinite).toEqual([]);
    expect(r.verdict).toBe('pass');
  });

  it('covers the rounding of vᵀf where it cancels', () => {
    // Two outputs f = x + C with C_i = ±K/v_i for the first direction's v (seed 0, drawn first),
    // so φ = vᵀf is about 0 while Σ|v_i·f_i| is about 2K. The rounding scale lets each graph
    // value, the outputs included, carry NOISE_ROUNDINGS roundings (NOISE_ROUNDINGS·u·Σ|v_i|·|f_i|).
    // φ is computed by the checker, outside the graph, and rounds once more: each product v_i·f_i
    // by up to u·|v_i·f_i|, and their sum by u·|φ|. |φ| ≈ 0 does not bound the products' part,
    // Σ|v·f| does, so the noise floor must reach 1.5·(NOISE_ROUNDINGS + 1)·u·Σ|v·f| over the step.
    const v = direction(new Random(0), 2);
    const K = 2 ** 20;
    const C = tensor([K / v[0], -K / v[1]]);
    const r = gradcheck((t) => t.add(C), [x([0.25, 0.5])], { mode: 'fast', directions: 1 });
    const [e] = r.elements;
    expect([...e.direction!.v]).toEqual([...v]);
    const fx = [0.25 + C.data[0], 0.5 + C.data[1]];
    const spread = Math.abs(v[0] * fx[0]) + Math.abs(v[1] * fx[1]);
    expect(Math.abs(v[0] * fx[0] + v[1] * fx[1])).toBeLessThan(1e-6 * spread);
    const perEvaluation = (NOISE_ROUNDINGS + 1) * u64 * spread;
    expect(e.noiseFloor).toBeGreaterThanOrEqual((RICHARDSON_GAIN * perEvaluation) / e.step);
    expect(r.verdict).toBe('pass');
  });
});

describe('fast mode: directions whose every stencil point is exact', () => {
  /**
   * The direction over one input as fast mode must draw it: the raw entries from the same
   * generator (v first, then each input's), scaled by x's power of two, and an entry kept only
   * if x ± t·u is exact for every step t the stencil may use: k·h for each multiple k, and the
   * same shrunk by SHRINK_FACTOR up to MAX_SHRINKS times around a kink.
   */
  function expected(values: number[], m: number, dtype: Dtype): number[] {
    const rng = new Random(0);
    direction(rng, m);
    const h = baseStep('richardson', dtype);
    const steps: number[] = [];
    for (const k of STENCIL_MULTIPLES.richardson) {
      for (let a = 0; a <= MAX_SHRINKS; a++) steps.push((k * h) / SHRINK_FACTOR ** a);
    }
    const z = direction(rng, values.length);
    return values.map((xk, k) => {
      const d = z[k] * powerOfTwoScale(xk);
      const exact = (t: number): boolean => round(dtype, xk + t) - xk === t;
      return steps.every((t) => exact(t * d) && exact(-t * d)) ? d : 0;
    });
  }

  it.each([
    // 0.1 (in [1/16, 1/8)) stays exact for every step up to 4h = 2^-9, not for steps 16 or
    // 2^20 times as long; 1/8 − 2^-10 + 2^-56 (its last bit set) rounds where x + 4h·u crosses
    // 1/8 (u > 1/2), above which doubles are 2^-55 apart.
    ['float64', [...new Array(24).fill(0.1), ...new Array(24).fill(2 ** -3 - 2 ** -10 + 2 ** -56)]],
    // Float32 ones: h = 2^-5, and t·u keeps 20 bits of u below t, so x ± t·u is exact at every
    // step only if u's last 10 bits are 0 (the shrunk steps reach 2^-13 against x's ulp 2^-23).
    ['float32', new Array(48).fill(1)],
  ] as const)('%s: keeps exactly the entries that stay exact', (dtype, values) => {
    const r = gradcheck((t) => t.sum(), [x([...values])], { mode: 'fast', directions: 1, dtype });
    const u = [...r.elements[0].direction!.u[0]];
    const want = expected([...values], 1, dtype);
    expect(want.filter((w) => w !== 0).length).toBeGreaterThan(0);
    expect(want.filter((w) => w === 0).length).toBeGreaterThan(0);
    expect(u).toEqual(want);
    expect(r.verdict).toBe('pass');
  });
});
