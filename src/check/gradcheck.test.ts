import { describe, expect, it } from 'vitest';
import { OPS, Tensor, apply, fromData, noGrad, tensor, type OpDef, type OpName } from '../engine/index.ts';
import {
  DEFAULT_TOLERANCES,
  GradcheckError,
  TOLERANCE_SAFETY,
  baseStep,
  errorFloor,
  formatReport,
  gradcheck,
  type GradcheckReport,
} from './gradcheck.ts';

/** Replaces one entry of the engine's op table for the duration of `body`. */
function withOp<T>(name: OpName, broken: (original: OpDef<any>) => OpDef<any>, body: () => T): T {
  const table = OPS as Record<string, OpDef<any>>;
  const original = table[name];
  table[name] = broken(original);
  try {
    return body();
  } finally {
    table[name] = original;
  }
}

const W = () => tensor([[0.3, -1.2], [2.5, 0.7]], { requiresGrad: true });
const X = () => tensor([[1.5, -0.5], [0.25, 2]], { requiresGrad: true });
const smooth = (w: Tensor, x: Tensor): Tensor => w.matmul(x).tanh().mul(x.exp()).div(w.square().add(1)).sum(1);

describe('default tolerances', () => {
  it('are 16 times each method\'s error floor, with steps that are powers of two', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      for (const method of ['central', 'richardson'] as const) {
        expect(DEFAULT_TOLERANCES[dtype][method]).toBe(TOLERANCE_SAFETY * errorFloor(method, dtype));
        expect(Number.isInteger(Math.log2(baseStep(method, dtype)))).toBe(true);
      }
    }
    // ε^(1/3) = 6.1e-6 rounds down to 2^-18, ε^(1/5) = 7.4e-4 to 2^-11 (float64).
    expect(baseStep('central', 'float64')).toBe(2 ** -18);
    expect(baseStep('richardson', 'float64')).toBe(2 ** -11);
    // The float64 tolerances sit far below the 1e-8 relative errors the checker must see, and
    // Richardson's lower floor gives it a lower tolerance than central differences.
    expect(DEFAULT_TOLERANCES.float64.central).toBeLessThan(1e-9);
    expect(DEFAULT_TOLERANCES.float64.richardson).toBeLessThan(DEFAULT_TOLERANCES.float64.central / 50);
    expect(DEFAULT_TOLERANCES.float32.richardson).toBeLessThan(DEFAULT_TOLERANCES.float32.central);
  });
});

describe('gradcheck on correct gradients', () => {
  for (const mode of ['full', 'fast'] as const) {
    for (const method of ['central', 'richardson'] as const) {
      it(`passes a smooth function (${mode}, ${method})`, () => {
        const report = gradcheck(smooth, [W(), X()], { names: ['w', 'x'], mode, method });
        expect(report.verdict).toBe('pass');
        expect(report.elements.length).toBe(mode === 'full' ? 16 : 4);
      });
    }
  }

  it('checks only the inputs that require grad', () => {
    const report = gradcheck(smooth, [W(), tensor([[1.5, -0.5], [0.25, 2]])], { names: ['w', 'x'] });
    expect(report.elements.map((e) => e.input)).toEqual(['w[0, 0]', 'w[0, 0]', 'w[0, 1]', 'w[0, 1]', 'w[1, 0]', 'w[1, 0]', 'w[1, 1]', 'w[1, 1]']);
  });

  it('spends a number of evaluations in fast mode that does not depend on the number of inputs', () => {
    const f = (w: Tensor) => w.tanh().square().sum();
    const evaluations = [10, 1000].map((n) => gradcheck(f, [fromData(Array.from({ length: n }, (_, i) => Math.sin(i)), [n], { requiresGrad: true })], { mode: 'fast' }).evaluations);
    // 4 directions × 6 evaluations (Richardson: ±h, ±2h, ±4h), for 10 inputs as for 1000.
    expect(evaluations).toEqual([24, 24]);
  });

  it('handles float32 functions with float32 tolerances', () => {
    const round32 = (t: Tensor) => t.add(fromData(t.data.map((v) => Math.fround(v) - v), t.shape));
    const f = (w: Tensor) => round32(round32(round32(w.exp()).mul(w)).tanh()).sum();
    const w = fromData([0.5, -1.25, 2], [3], { requiresGrad: true });
    expect(gradcheck(f, [w], { dtype: 'float32' }).verdict).toBe('pass');
    // In float64 mode the same function's float32 noise is a real mismatch.
    expect(gradcheck(f, [w], { dtype: 'float64' }).verdict).toBe('fail');
  });
});

describe('gradcheck sees bugs injected into backward rules', () => {
  const expectCaught = (report: () => GradcheckReport, pattern: RegExp) => {
    expect(report).toThrow(GradcheckError);
    expect(report).toThrow(pattern);
  };

  it('tanh: 1 − y instead of 1 − y²', () => {
    withOp('tanh', (tanh) => ({ ...tanh, backward: (g, { output }) => [g.map((gi, i) => gi * (1 - output.data[i]))] }), () =>
      expectCaught(() => gradcheck(smooth, [W(), X()], { names: ['w', 'x'], throwOnFailure: true }), /output\[\d\] with respect to [wx]\[\d, \d\]: numerical -?[\d.e-]+ .*analytical -?[\d.e-]+, relative error/),
    );
  });

  it('div: the divisor\'s gradient with the wrong sign', () => {
    withOp('div', (div) => ({ ...div, backward: (g, ctx) => { const [ga, gb] = div.backward(g, ctx); return [ga, gb && gb.map((v) => -v)]; } }), () =>
      expectCaught(() => gradcheck(smooth, [W(), X()], { names: ['w', 'x'], throwOnFailure: true }), /with respect to w\[0, 0\]/),
    );
  });

  it('matmul: the left gradient without the transpose', () => {
    withOp('matmul', (matmul) => ({
      ...matmul,
      backward: (g, ctx) => {
        const [, gb] = matmul.backward(g, ctx);
        const [a, b] = ctx.inputs;
        const ga = apply({ ...matmul, name: 'plain' }, [fromData(g, ctx.output.shape), b], undefined).data;
        return [ctx.needsGrad[0] ? ga.slice(0, a.size) : null, gb];
      },
    }), () => expectCaught(() => gradcheck(smooth, [W(), X()], { names: ['w', 'x'], throwOnFailure: true }), /with respect to w\[/));
  });

  it('div: the divisor\'s gradient as −g·a/(b·b), which overflows where PyTorch\'s −g·((a/b)/b) does not', () => {
    // a/b at a = 1e5, b = 1e155: ∂/∂b = −a/b² = −1e-305, but b·b = Infinity makes it −0.
    const overflowing = (div: OpDef<any>): OpDef<any> => ({
      ...div,
      backward: (g, ctx) => {
        const [a, b] = ctx.inputs;
        return [div.backward(g, ctx)[0], g.map((gi, i) => (-gi * a.data[i]) / (b.data[i] * b.data[i]))];
      },
    });
    withOp('div', overflowing, () => {
      const report = gradcheck((a, b) => a.div(b), [tensor([1e5], { requiresGrad: true }), tensor([1e155], { requiresGrad: true })], { names: ['a', 'b'] });
      expect(report.failures.map((e) => [e.input, e.analytical])).toEqual([['b[0]', -0]]);
      expect(report.failures[0].numerical / -1e-305).toBeCloseTo(1, 9);
    });
  });

  it('mul: a relative error of 1e-7 that PyTorch\'s rtol 1e-3 lets through', () => {
    const bug = (mul: OpDef<any>): OpDef<any> => ({ ...mul, backward: (g, ctx) => mul.backward(g, ctx).map((r) => r && r.map((v) => v * (1 + 1e-7))) });
    withOp('mul', bug, () => {
      expect(gradcheck(smooth, [W(), X()], { names: ['w', 'x'] }).verdict).toBe('fail');
      expect(gradcheck(smooth, [W(), X()], { names: ['w', 'x'], rtol: 1e-3 }).verdict).toBe('pass');
    });
  });
});

describe('kinks', () => {
  it('reports a stencil across relu\'s kink as not checkable, never as a pass or a failure', () => {
    const report = gradcheck((x) => x.relu().sum(), [tensor([0, 1, -2], { requiresGrad: true })]);
    expect(report.verdict).toBe('incomplete');
    expect(report.notCheckable.map((e) => [e.input, e.status])).toEqual([['x0[0]', 'not-checkable']]);
    expect(report.notCheckable[0].reason).toMatch(/relu has a corner at 0/);
    expect(report.failures).toEqual([]);
  });

  it('shrinks the step away from a kink that is close but not at x', () => {
    // relu at 1e-4: the stencil reaches ±4·2^-11 ≈ 2e-3, then ±1.2e-4 after one shrink by 16,
    // and clears the kink after the second, at h = 2^-19.
    const report = gradcheck((x) => x.relu().sum(), [tensor([1e-4], { requiresGrad: true })]);
    expect(report.verdict).toBe('pass');
    expect(report.elements[0].step).toBe(2 ** -19);
  });

  it('treats norm 2 near the zero tensor as a kink even when no element changes sign', () => {
    // ‖[5e-324, x]‖ is smooth only on the scale 5e-324: to any step it looks like |x|.
    const report = gradcheck((w) => w.norm(2), [fromData([5e-324, -1.5e-162], [2], { requiresGrad: true })]);
    expect(report.failures).toEqual([]);
    expect(report.notCheckable.map((e) => e.input)).toEqual(['x0[0]', 'x0[1]']);
  });

  it('widens the tolerance where norm\'s squares underflow', () => {
    // ‖1e-300·w‖ at w = [1, 2]: the squares underflow, so the engine computes 0 everywhere on
    // the stencil, and both sides say 0 where the exact derivative is 1e-300·w/‖w‖ ≈ 4.5e-301.
    // The difference cannot resolve it (Σx² is off by up to 2 spacings, the norm by √(2·2^-1074)),
    // and the tolerance says so instead of claiming agreement to 1e-312.
    const report = gradcheck((w) => w.mul(1e-300).norm(2), [tensor([1, 2], { requiresGrad: true })]);
    expect(report.elements.map((e) => [e.numerical, e.analytical])).toEqual([[0, 0], [0, 0]]);
    expect(Math.min(...report.elements.map((e) => e.tolerance))).toBeGreaterThan(1e-300 * (2 / Math.sqrt(5)));
  });

  it('widens the tolerance where a rounding wipes out a value that a derivative is proportional to', () => {
    // Counterexample of gradcheck.agrees-with-oracle (run seed 7): with P = log(exp(a))² and
    // A = a, output[1, 0] = P[1, 0]·a[0, 0] + P[1, 1]·a[1, 0], so by hand its derivative along
    // a[1, 0] is P[1, 1] + 2·a[1, 0]·a[0, 0] = a[1, 1]² = 2.5e-99 here. exp(5e-50) rounds to 1, so
    // log(exp(a[1, 1])) is computed as 0 and the function is flat along a[1, 0]: both sides say
    // 0. At the computed values pow passes back 2·0, so no rounding seemed to reach the output
    // and the tolerance was 6e-320; at the exact ones it is 2·5e-50, and the tolerance must
    // cover the 2.5e-99 the engine cannot resolve.
    const a = fromData([0, 0, 0, 5.000000000000001e-50], [2, 2], { requiresGrad: true });
    const fn = (x: Tensor): Tensor => x.exp().log().pow(2).matmul(x.reshape([4]).reshape([2, 2]));
    const report = gradcheck(fn, [a], { names: ['a'] });
    const element = report.elements.find((e) => e.output === 'output[1, 0]' && e.input === 'a[1, 0]')!;
    expect([element.numerical, element.analytical]).toEqual([0, 0]);
    expect(element.tolerance).toBeGreaterThan(5.000000000000001e-50 ** 2);
    expect(report.verdict).toBe('pass');
  });

  it('reports a stencil across sign\'s jump and across a pole', () => {
    // The divisor 1e-6 is closer to its pole than the smallest stencil, 4·2^-11/256 = 7.6e-6.
    const report = gradcheck((x, y) => x.sign().add(x.div(y)).sum(), [tensor([0.0], { requiresGrad: true }), tensor([1e-6], { requiresGrad: true })], { names: ['x', 'y'] });
    expect(report.notCheckable.map((e) => e.reason)).toEqual([expect.stringMatching(/sign jumps at 0/), expect.stringMatching(/pole where b = 0/)]);
  });
});

describe('NaN, Infinity and zero upstream gradients', () => {
  it('names NaN and Infinity on either side', () => {
    const report = gradcheck((x) => x.sqrt().sum(), [tensor([0, 1], { requiresGrad: true })], { names: ['w'] });
    expect(report.nonFinite.map((e) => [e.input, e.reason])).toEqual([['w[0]', 'numerical: f(x − h) = NaN; analytical: Infinity']]);
  });

  it('reports NaN from a zero upstream gradient at a singular point as such', () => {
    const report = gradcheck((x) => x.sqrt().sum(), [tensor([0, 1], { requiresGrad: true })], { names: ['w'] });
    expect(report.zeroGradient).toEqual([{ input: 'w[0]', value: NaN, kind: 'singular', reason: expect.stringMatching(/0·∞ at a singular point: sqrt .*op 'sqrt' has an operand exactly at 0/) }]);
    expect(report.verdict).toBe('incomplete');
  });

  it('fails a backward that gives a nonzero gradient for a zero upstream gradient', () => {
    withOp('exp', (exp) => ({ ...exp, backward: (g, ctx) => [exp.backward(g, ctx)[0]!.map((v) => v + 1e-3)] }), () => {
      const report = gradcheck((x) => x.exp().sum(), [tensor([0.5], { requiresGrad: true })]);
      expect(report.zeroGradient).toEqual([{ input: 'x0[0]', value: 1e-3, kind: 'fail', reason: 'a zero upstream gradient gave a nonzero gradient' }]);
      expect(report.verdict).toBe('fail');
    });
  });

  it('fails a backward that gives different results on a second call (reentrancy)', () => {
    let calls = 0;
    withOp('tanh', (tanh) => ({ ...tanh, backward: (g, ctx) => [tanh.backward(g, ctx)[0]!.map((v) => v * (1 + 1e-15 * calls++))] }), () => {
      const report = gradcheck((x) => x.tanh().sum(), [tensor([0.5], { requiresGrad: true })]);
      expect(report.reentrancy[0]).toMatch(/output: the gradient of x0\[0\] is .* after one backward and .* after another/);
      expect(report.verdict).toBe('fail');
    });
  });

  it('sees a detached output: the analytical gradient is 0 while the function moves', () => {
    const report = gradcheck((x) => tensor(x.square().sum().item()), [tensor([1.5], { requiresGrad: true })]);
    expect(report.detached).toBe(true);
    expect(report.failures.map((e) => [e.analytical, Math.round(e.numerical * 1e9) / 1e9])).toEqual([[0, 3]]);
  });
});

describe('the error it throws', () => {
  it('names the output, the input, the element, both values and the relative error', () => {
    // An identity whose backward flips the sign of element 1: w·[2, 3] with ∂out₁/∂w₁ reported as −3.
    const flip: OpDef<undefined> = { name: 'flip', savesTensors: false, forward: ([t]) => ({ data: t.data.slice(), shape: t.shape }), backward: (g) => [g.map((v, i) => (i === 1 ? -v : v))] };
    const wrong = (w: Tensor) => apply(flip, [w.mul(tensor([2, 3]))], undefined);
    try {
      gradcheck(wrong, [tensor([1, 1], { requiresGrad: true })], { names: ['w'], throwOnFailure: true });
      expect.unreachable();
    } catch (e) {
      // d(3w₁)/dw₁ = 3; the flipped rule reports −3: relative error |3 − (−3)|/3 = 2.
      expect((e as Error).message).toMatch(/^gradcheck: output\[1\] with respect to w\[1\]: numerical 3(\.0*\d*)? \(error estimate .*\), analytical -3, relative error 2\.00 \(tolerance .*, richardson, float64\)$/);
      expect((e as GradcheckError).report.failures).toHaveLength(1);
    }
  });

  it('formats a report with every failure and what could not be checked', () => {
    const text = formatReport(gradcheck((x) => x.relu().sum(), [tensor([0, 1], { requiresGrad: true })]));
    expect(text).toMatch(/^gradcheck incomplete: full mode, richardson, float64, rtol 5\.5e-12, \d+ evaluations: 1 passed, 0 failed, 1 not checkable, 0 not finite\n {2}NOT CHECKABLE output with respect to x0\[0\]: the stencil straddles a kink: relu has a corner at 0/);
  });
});

describe('bad input', () => {
  const x = () => tensor([1], { requiresGrad: true });
  it.each([
    ['an unknown option', () => gradcheck((t) => t, [x()], { step: 1 } as object), /unknown option 'step'/],
    ['no input that requires grad', () => gradcheck((t) => t, [tensor([1])]), /no input requires grad/],
    ['names of the wrong length', () => gradcheck((t) => t, [x()], { names: ['a', 'b'] }), /names must give 1 distinct names/],
    ['a non-float32 input for float32', () => gradcheck((t) => t, [tensor([0.1], { requiresGrad: true })], { dtype: 'float32' }), /x0\[0\] = 0\.1 is not a float32 value/],
    ['a non-finite input', () => gradcheck((t) => t, [tensor([NaN], { requiresGrad: true })]), /input x0\[0\] is NaN/],
    ['a function that returns no tensor', () => gradcheck(() => 3 as unknown as Tensor, [x()]), /returned number, expected a Tensor/],
    ['a bad mode', () => gradcheck((t) => t, [x()], { mode: 'quick' as 'fast' }), /mode must be 'full' or 'fast'/],
    ['grad mode off', () => noGrad(() => gradcheck((t) => t, [x()])), /grad mode is off/],
  ])('rejects %s', (_what, run, message) => {
    expect(run).toThrow(message);
  });
});
