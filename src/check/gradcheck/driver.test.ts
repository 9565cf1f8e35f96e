import { describe, expect, it } from 'vitest';
import { apply, fromData, noGrad, tensor, type OpDef, type Tensor } from '../../engine/index.ts';
import { gradcheck } from './driver.ts';
import { GradcheckError } from './report.ts';
import { DEFAULT_TOLERANCES, baseStep } from './tolerances.ts';

const x = (values: number[] = [1]): Tensor => tensor(values, { requiresGrad: true });
const id = (t: Tensor): Tensor => t;

/** y = 3·x elementwise, with the backward `grad` computes (the correct one by default). */
function scaled(grad: (g: Float64Array) => Float64Array = (g) => g.map((v) => 3 * v)): (t: Tensor) => Tensor {
  const op: OpDef = {
    name: 'scaled',
    savesTensors: false,
    forward: ([t]) => ({ data: t.data.map((v) => 3 * v), shape: t.shape }),
    backward: (g) => [grad(g)],
  };
  return (t) => apply(op, [t], undefined);
}

describe('gradcheck rejects bad input by name', () => {
  it.each([
    ['a function', () => gradcheck(3 as never, [x()]), 'gradcheck: the first argument must be a function from tensors to a tensor'],
    ['no inputs', () => gradcheck(id, []), 'gradcheck: inputs must be a non-empty array of tensors'],
    ['inputs not an array', () => gradcheck(id, x() as never), 'gradcheck: inputs must be a non-empty array of tensors'],
    ['an input that is no tensor', () => gradcheck(id, [x(), [1] as never]), 'gradcheck: input 1 is not a Tensor'],
    ['an unknown option', () => gradcheck(id, [x()], { step: 1 } as object), "gradcheck: unknown option 'step' (known: mode, method, dtype, names, directions, seed, rtol, throwOnFailure)"],
    ['a mode', () => gradcheck(id, [x()], { mode: 'quick' as 'fast' }), "gradcheck: mode must be 'full' or 'fast', got 'quick'"],
    ['a method', () => gradcheck(id, [x()], { method: 'forward' as 'central' }), "gradcheck: method must be 'central' or 'richardson', got 'forward'"],
    ['a dtype', () => gradcheck(id, [x()], { dtype: 'int8' as 'float32' }), "gradcheck: dtype must be 'float64' or 'float32', got 'int8'"],
    ['too many names', () => gradcheck(id, [x()], { names: ['a', 'b'] }), 'gradcheck: names must give 1 distinct names, one per input, got [a, b]'],
    ['names twice', () => gradcheck((a) => a, [x(), x()], { names: ['a', 'a'] }), 'gradcheck: names must give 2 distinct names, one per input, got [a, a]'],
    ['directions 0', () => gradcheck(id, [x()], { directions: 0 }), 'gradcheck: directions must be a positive integer, got 0'],
    ['directions 1.5', () => gradcheck(id, [x()], { directions: 1.5 }), 'gradcheck: directions must be a positive integer, got 1.5'],
    ['a seed', () => gradcheck(id, [x()], { seed: 2 ** 53 }), `gradcheck: seed must be a safe integer, got ${2 ** 53}`],
    ['rtol < 0', () => gradcheck(id, [x()], { rtol: -1 }), 'gradcheck: rtol must be a finite number ≥ 0, got -1'],
    ['rtol ∞', () => gradcheck(id, [x()], { rtol: Infinity }), 'gradcheck: rtol must be a finite number ≥ 0, got Infinity'],
    ['rtol NaN', () => gradcheck(id, [x()], { rtol: NaN }), 'gradcheck: rtol must be a finite number ≥ 0, got NaN'],
    ['nothing to check', () => gradcheck(id, [tensor([1])]), 'gradcheck: no input requires grad, so there is nothing to check (create the inputs with { requiresGrad: true })'],
    ['grad mode off', () => noGrad(() => gradcheck(id, [x()])), 'gradcheck: grad mode is off (called inside noGrad()), so no graph can be recorded'],
    ['an infinite input', () => gradcheck((a, b) => a.add(b), [x(), x([1, -Infinity])], { names: ['a', 'b'] }), 'gradcheck: input b[1] is -Infinity; differences need finite inputs'],
    ['a float64 input for float32', () => gradcheck(id, [x([0.5, 0.1])], { dtype: 'float32' }), 'gradcheck: input x0[1] = 0.1 is not a float32 value; round the inputs with Math.fround for dtype float32'],
    ['no tensor at x', () => gradcheck(() => null as never, [x()]), 'gradcheck: the function returned null, expected a Tensor'],
    ['a number at x', () => gradcheck(() => 3 as never, [x()]), 'gradcheck: the function returned number, expected a Tensor'],
  ])('%s', (_what, run, message) => {
    expect(run).toThrow(message);
  });

  it('accepts what it may: float32 inputs, a float64 input of any value, rtol 0', () => {
    expect(gradcheck(scaled(), [x([0.1])], { rtol: 0 }).verdict).toBe('pass');
    expect(gradcheck(scaled(), [x([0.5])], { dtype: 'float32' }).verdict).toBe('pass');
  });

  it('names the point where the function stops returning a tensor or changes its shape', () => {
    const changing = (t: Tensor): Tensor => (t.data[0] === 1 ? t : t.reshape([1, 1]));
    expect(() => gradcheck(changing, [x()])).toThrow(/^gradcheck: the output shape changed from \[1\] to \[1, 1\] at x0\[0\] \+ \d/);
    const vanishing = (t: Tensor): Tensor => (t.data[0] === 1 ? t : (undefined as never));
    expect(() => gradcheck(vanishing, [x()], { mode: 'fast' })).toThrow(/^gradcheck: the function returned undefined at x \+ \d.*·u \(direction 1 of 4\), expected a Tensor$/);
    const negative = (t: Tensor): Tensor => (t.data[0] >= 1 ? t : t.reshape([1, 1]));
    expect(() => gradcheck(negative, [x()])).toThrow(/at x0\[0\] − \d/);
  });
});

describe('gradcheck counts and reports', () => {
  it('full mode: one check per output and input element, 6 evaluations per input element (richardson), 4 (central)', () => {
    const r = gradcheck((a, c) => scaled()(a).mul(c), [x([1, 2]), tensor([1, 1])], { names: ['a', 'c'] });
    expect(r).toMatchObject({ verdict: 'pass', mode: 'full', method: 'richardson', dtype: 'float64', rtol: DEFAULT_TOLERANCES.float64.richardson, evaluations: 12, detached: false });
    expect(r.elements.map((e) => [e.output, e.input, e.analytical, e.at])).toEqual([
      ['output[0]', 'a[0]', 3, { output: 0, input: 0, element: 0 }],
      ['output[1]', 'a[0]', 0, { output: 1, input: 0, element: 0 }],
      ['output[0]', 'a[1]', 0, { output: 0, input: 0, element: 1 }],
      ['output[1]', 'a[1]', 3, { output: 1, input: 0, element: 1 }],
    ]);
    for (const e of r.elements) {
      expect(e.numerical).toBeCloseTo(e.analytical, 12);
      expect(e.status).toBe('pass');
    }
    expect(gradcheck(scaled(), [x([1, 2, 4])], { method: 'central' }).evaluations).toBe(12);
    expect(gradcheck(scaled(), [x([1])], { rtol: 0.25 }).rtol).toBe(0.25);
    expect(gradcheck(scaled(), [x([1])], { dtype: 'float32', method: 'central' }).rtol).toBe(DEFAULT_TOLERANCES.float32.central);
  });

  it('fast mode: 6 evaluations per direction whatever the number of inputs, vᵀJu against the differences', () => {
    const r = gradcheck((a, c) => scaled()(a).add(c), [x([1, 2, 3, 4]), tensor([5, 6, 7, 8])], { mode: 'fast', directions: 3, seed: 7 });
    expect(r).toMatchObject({ verdict: 'pass', mode: 'fast', evaluations: 18 });
    expect(r.elements.map((e) => [e.output, e.input])).toEqual([1, 2, 3].map((d) => [`vᵀ·output (direction ${d} of 3)`, `u (direction ${d} of 3, 4 elements)`]));
    for (const e of r.elements) {
      const { v, u, w } = e.direction!;
      // J = 3·I: w = Jᵀv = 3v, and vᵀJu = 3·Σ v·u; the constant's direction is all zeros.
      expect([...w[0]]).toEqual([...v].map((vi) => 3 * vi));
      expect([...u[1]]).toEqual([0, 0, 0, 0]);
      expect(e.analytical).toBeCloseTo(3 * v.reduce((acc, vi, i) => acc + vi * u[0][i], 0), 14);
      expect(e.numerical).toBeCloseTo(e.analytical, 9);
      expect(e.status).toBe('pass');
    }
    expect(gradcheck(scaled(), [x([1, 2])], { mode: 'fast' }).evaluations).toBe(24);
    expect(gradcheck(scaled(), [x([1, 2])], { mode: 'fast', method: 'central', directions: 1 }).evaluations).toBe(4);
    // Another seed, other directions.
    const [d7, d8] = [7, 8].map((seed) => gradcheck(scaled(), [x([1, 2])], { mode: 'fast', directions: 1, seed }).elements[0].direction!.v);
    expect([...d7]).not.toEqual([...d8]);
  });

  it('fails a wrong gradient in both modes, and throws on request', () => {
    const wrong = scaled((g) => g.map((v) => 2 * v));
    const full = gradcheck(wrong, [x([1, 2])]);
    expect(full.verdict).toBe('fail');
    expect(full.failures.map((e) => [e.input, e.analytical])).toEqual([['x0[0]', 2], ['x0[1]', 2]]);
    expect(gradcheck(wrong, [x([1, 2])], { mode: 'fast' }).failures).toHaveLength(4);
    expect(() => gradcheck(wrong, [x([1])], { throwOnFailure: true })).toThrow(GradcheckError);
    expect(() => gradcheck(scaled(), [x([1])], { throwOnFailure: true })).not.toThrow();
  });

  it('passes a gradient off by 1e-6 at rtol 2e-6 and fails it at rtol 0.5e-6, in both modes', () => {
    const off = scaled((g) => g.map((v) => 3 * (1 + 1e-6) * v));
    for (const mode of ['full', 'fast'] as const) {
      for (const method of ['central', 'richardson'] as const) {
        expect(gradcheck(off, [x([1])], { mode, method, rtol: 2e-6 }).verdict).toBe('pass');
        expect(gradcheck(off, [x([1])], { mode, method, rtol: 0.5e-6 }).verdict).toBe('fail');
      }
    }
  });

  it('sees a detached output: zero analytical gradients, no zero-gradient check', () => {
    const r = gradcheck((t) => fromData(t.data.map((v) => 3 * v), t.shape), [x([1, 2])]);
    expect(r).toMatchObject({ verdict: 'fail', detached: true, zeroGradient: [], reentrancy: [] });
    expect(r.elements.map((e) => e.analytical)).toEqual([0, 0, 0, 0]);
    expect(r.failures.map((e) => e.input)).toEqual(['x0[0]', 'x0[1]']);
  });

  it('fails a backward that answers a zero upstream gradient, or answers twice differently', () => {
    const r = gradcheck(scaled((g) => g.map((v) => 3 * v + 1e-3)), [x([1])], { rtol: 0.01 });
    expect(r.zeroGradient).toEqual([{ input: 'x0[0]', value: 1e-3, kind: 'fail', reason: 'a zero upstream gradient gave a nonzero gradient' }]);
    expect(r.verdict).toBe('fail');
    const nan = gradcheck(scaled((g) => g.map((v) => (v === 0 ? NaN : 3 * v))), [x([1])]);
    expect(nan.zeroGradient).toEqual([{ input: 'x0[0]', value: NaN, kind: 'fail', reason: 'NaN from a zero upstream gradient, and the graph has no singular point' }]);
    let calls = 0;
    const drifting = gradcheck(scaled((g) => g.map((v) => 3 * v + calls++)), [x([1, 2])], { names: ['w'] });
    expect(drifting.reentrancy).toEqual(['output[0]: the gradient of w[0] is 3 after one backward and 5 after another', 'output[1]: the gradient of w[0] is 4 after one backward and 6 after another']);
    expect(drifting.verdict).toBe('fail');
  });

  it('counts NaN from a zero upstream gradient as singular where the gradient itself is not finite', () => {
    // x/y at y = 1e-154 with x = −1.9: −x/y² overflows in backward, so 0·(that) may be NaN.
    const r = gradcheck((a) => scaled((g) => g.map((v) => (v === 0 ? NaN : v * Infinity)))(a), [x([1])]);
    expect(r.zeroGradient).toEqual([{ input: 'x0[0]', value: NaN, kind: 'singular', reason: '0·∞ at a singular point: the gradient of this element is not finite' }]);
    const fast = gradcheck((a) => scaled((g) => g.map((v) => (v === 0 ? NaN : v * Infinity)))(a), [x([1])], { mode: 'fast', directions: 1 });
    expect(fast.zeroGradient.map((z) => z.kind)).toEqual(['singular']);
  });

  it('names the singular point behind NaN from a zero upstream gradient', () => {
    // sqrt at (1, 0): 0/(2·0) = NaN at the operand that is exactly 0, none at 1.
    expect(gradcheck((t) => t.sqrt(), [x([1, 0])]).zeroGradient).toEqual([
      { input: 'x0[1]', value: NaN, kind: 'singular', reason: "0·∞ at a singular point: sqrt has an infinite derivative at 0 and no real value below (op 'sqrt' has an operand exactly at 0)" },
    ]);
    // exp(1000) = ∞, and 0·∞ = NaN in its backward.
    expect(gradcheck((t) => t.exp(), [x([1000])]).zeroGradient).toEqual([
      { input: 'x0[0]', value: NaN, kind: 'singular', reason: "0·∞ at a singular point: op 'exp' has a value that is not finite" },
    ]);
  });

  it('names the singular point among other kink sites', () => {
    // relu (not singular), log at (2, 1) (singular, no operand at 0), sqrt at (1, 0): sqrt is named.
    const r = gradcheck((t) => t.relu().add(t.add(1).log()).add(t.sqrt()), [x([1, 0])]);
    expect(r.zeroGradient.map((z) => z.reason)).toEqual(["0·∞ at a singular point: sqrt has an infinite derivative at 0 and no real value below (op 'sqrt' has an operand exactly at 0)"]);
  });

  it('fast mode: a NaN answer to a zero upstream gradient fails where the gradient is finite', () => {
    const nan = gradcheck(scaled((g) => g.map((v) => (v === 0 ? NaN : 3 * v))), [x([1])], { mode: 'fast', directions: 1 });
    expect(nan.zeroGradient.map((z) => z.kind)).toEqual(['fail']);
  });

  it('fails on reentrancy alone, and names the direction in fast mode', () => {
    let calls = 0;
    const r = gradcheck(scaled((g) => g.map((v) => 3 * v * (1 + 2 ** -50 * (calls++ % 2)))), [x([1])], { mode: 'fast', directions: 1 });
    expect(r.failures).toEqual([]);
    expect(r.reentrancy).toHaveLength(1);
    expect(r.reentrancy[0]).toMatch(/^vᵀ·output \(direction 1 of 1\): the gradient of x0\[0\] is /);
    expect(r.verdict).toBe('fail');
  });

  it('scales the step by x\'s power of two and leaves the base point as it was between elements', () => {
    const [e] = gradcheck(scaled(), [x([3])]).elements;
    expect(e.step).toBe(baseStep('richardson', 'float64') * 2);
    // (a₀ + a₁)²: each element's derivative is 2·(a₀ + a₁) only if a₀ is back at x for a₁'s stencil;
    // exact offsets, so no shift correction widens the error estimate.
    const r = gradcheck((t) => t.sum().square(), [x([1, 2])]);
    expect(r.verdict).toBe('pass');
    for (const el of r.elements) expect(el.errorEstimate).toBeLessThan(1e-9);
  });

  it('checks an input the output does not depend on as a zero gradient', () => {
    const r = gradcheck((a, _b) => scaled()(a), [x([1]), x([2])]);
    expect(r.verdict).toBe('pass');
    expect(r.elements.map((e) => [e.input, e.analytical])).toEqual([['x0[0]', 3], ['x1[0]', 0]]);
  });

  it('names a null returned at a stencil point', () => {
    expect(() => gradcheck((t) => (t.data[0] === 1 ? t : (null as never)), [x()])).toThrow(/^gradcheck: the function returned null at x0\[0\] \+/);
  });

  it('covers the rounding noise of a cancelling function', () => {
    // (x + 1e8) − 1e8: each evaluation is off by up to u·1e8, far beyond rtol·1 once divided by h.
    const c = tensor([1e8]);
    expect(gradcheck((t) => t.add(c).sub(c), [x([0.3])]).verdict).toBe('pass');
    expect(gradcheck((t) => t.add(c).sub(c), [x([0.3])], { mode: 'fast' }).verdict).toBe('pass');
  });

  it('is incomplete, not a pass, when a value is not finite or a kink is straddled', () => {
    expect(gradcheck((t) => t.sqrt(), [x([0])]).verdict).toBe('incomplete');
    expect(gradcheck((t) => t.relu(), [x([0])]).verdict).toBe('incomplete');
    expect(gradcheck((t) => t.relu(), [x([0])], { mode: 'fast' }).verdict).toBe('incomplete');
  });

  it('leaves the caller\'s inputs and their gradients as they were', () => {
    const input = x([1, 2]);
    gradcheck(scaled(), [input]);
    expect([...input.data]).toEqual([1, 2]);
    expect(input.grad).toBeNull();
  });
});
