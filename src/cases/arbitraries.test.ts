/**
 * The arbitraries' promises, checked on samples: numbers within their bounds and exact in the
 * dtype, never subnormal, shrinking to readable values; shapes within their bounds; and only what a
 * backend's capabilities declare.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Capability, Dtype } from '../backends/backend.ts';
import { ACT_RELU, ACT_TANH, LOSS_MSE_MEAN, LOSS_MSE_SUM, optionCapability } from '../backends/capabilities.ts';
import { arbitrariesFor } from './arbitraries.ts';
import { parameterShapes } from './model.ts';
import type { AdamSpec, ModelSpec } from './types.ts';

const sample = <T>(arb: fc.Arbitrary<T>, numRuns = 400): T[] => fc.sample(arb, { numRuns, seed: 42 });
const backend = (dtype: Dtype, capabilities: Capability[]) => arbitrariesFor({ dtype, capabilities: new Set(capabilities) });
const isReadable = (x: number) => Number.isInteger(x * 8);
const SMALLEST_NORMAL = { float64: 2 ** -1022, float32: 2 ** -126 };
const exactIn = (dtype: Dtype, x: number) => dtype === 'float64' || Math.fround(x) === x;
/** JSON text that tells −0 from 0. */
const text = (v: unknown) => JSON.stringify(v, (_, x) => (Object.is(x, -0) ? '-0' : x));
/** The values fc.check feeds a passing property: biased as in a run. */
const drawn = <T>(arb: fc.Arbitrary<T>, seed: number): T[] => {
  const out: T[] = [];
  fc.check(fc.property(arb, (x) => void out.push(x)), { seed, numRuns: 200 });
  return out;
};

describe.each<Dtype>(['float64', 'float32'])('numbers in %s', (dtype) => {
  const a = arbitrariesFor(dtype);

  it.each([[-2, 2], [0, 0.99], [-1, 0], [0.1, 0.2], [0.11, 0.12], [1e-6, 2]])('num(%d, %d) stays within its bounds, exact in the dtype and never subnormal', (min, max) => {
    for (const x of sample(a.num(min, max))) {
      expect(x >= min && x <= max, `${x}`).toBe(true);
      expect(exactIn(dtype, x), `${x}`).toBe(true);
      expect(x === 0 || Math.abs(x) >= SMALLEST_NORMAL[dtype], `${x}`).toBe(true);
    }
  });

  it('num draws readable values (multiples of 1/8) one time in four, and others', () => {
    const xs = sample(a.num(-2, 2), 1000);
    const readable = xs.filter(isReadable).length;
    expect(readable).toBeGreaterThan(150);
    expect(readable).toBeLessThan(400);
    expect(xs.filter((x) => isReadable(x) && x < 0 && !Number.isInteger(x)).length).toBeGreaterThan(20);
    expect(sample(a.num(0.1, 0.2))).toContain(0.125);
  });

  it('num shrinks a failure to a readable value', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const out = fc.check(fc.property(a.num(-2, 2), (x) => x <= 0.3), { seed });
      expect(out.counterexample).toEqual([0.375]);
    }
  });

  it('the named values stay in their ranges, with both zeros where promised', () => {
    const values = sample(a.value);
    expect(values.every((x) => x >= -2 && x <= 2 && exactIn(dtype, x))).toBe(true);
    expect(values.some((x) => x < -1) && values.some((x) => x > 1)).toBe(true);
    expect(values.some((x) => Object.is(x, -0)) && values.some((x) => Object.is(x, 0))).toBe(true);
    const floor = dtype === 'float64' ? 1e-100 : 1e-15;
    const normal = sample(a.normalRangeValue);
    expect(normal.every((x) => x === 0 || (Math.abs(x) >= floor && Math.abs(x) <= 2))).toBe(true);
    expect(normal.some((x) => Object.is(x, -0)) && normal.some((x) => x < 0) && normal.some((x) => x > 0)).toBe(true);
    const lambdas = sample(a.lambda);
    expect(lambdas.every((x) => x === 0 || (x >= 1e-6 && x <= 2))).toBe(true);
    expect(lambdas.filter((x) => x === 0).length).toBeGreaterThan(10);
    expect(sample(a.positiveLambda).every((x) => x >= 1e-6 && x <= 2)).toBe(true);
    expect(sample(a.lr).every((x) => x >= 1e-4 && x <= 0.5)).toBe(true);
  });

  it('rounds to the dtype', () => {
    expect(a.round(0.1)).toBe(dtype === 'float64' ? 0.1 : Math.fround(0.1));
    expect(a.dtype).toBe(dtype);
  });
});

describe('numbers of a dtype', () => {
  it('float64 draws values float32 cannot represent', () => {
    expect(sample(arbitrariesFor('float64').num(-2, 2)).some((x) => Math.fround(x) !== x)).toBe(true);
  });

  it('float32 bounds that float32 cannot write round inward, and exact ones stay', () => {
    const a = arbitrariesFor('float32');
    // Math.fround(0.1) is 0.1 + 1.5e-9, so the largest float32 ≤ 0.1 is one ulp (2^-27 in [1/16, 1/8)) below it.
    const xs = sample(a.num(0.0625, 0.1));
    expect([Math.min(...xs), Math.max(...xs)]).toEqual([0.0625, Math.fround(0.1) - 2 ** -27]);
    // Math.fround(-0.11) is −0.11 + 6e-10; the largest float32 ≤ −0.11 is one ulp further from zero.
    expect(Math.max(...sample(a.num(-0.12, -0.11)))).toBe(Math.fround(-0.11) - 2 ** -27);
    // Math.fround(0.12) is 0.12 − 2.7e-9, already inside: it is the largest float32 ≤ 0.12.
    expect(Math.max(...sample(a.num(0.11, 0.12)))).toBe(Math.fround(0.12));
  });

  it('arbitrariesFor rejects an unknown dtype by name, and follows a backend\'s dtype', () => {
    expect(() => arbitrariesFor('float16' as Dtype)).toThrow("arbitrariesFor: unknown dtype 'float16'");
    expect(() => backend('float16' as Dtype, [])).toThrow("arbitrariesFor: unknown dtype 'float16'");
    expect(backend('float32', []).dtype).toBe('float32');
    expect(sample(backend('float32', []).value).every((x) => Math.fround(x) === x)).toBe(true);
  });
});

describe('shapes', () => {
  const a = arbitrariesFor('float64');

  it('model: 1–3 layers of width 1–8 (or maxWidth), every layer count and width drawn', () => {
    const specs = sample(a.model());
    const widths = specs.flatMap((s) => [s.inputSize, ...s.layers.map((l) => l.outFeatures)]);
    expect(specs.every((s) => s.layers.length >= 1 && s.layers.length <= 3)).toBe(true);
    expect(new Set(specs.map((s) => s.layers.length))).toEqual(new Set([1, 2, 3]));
    expect(new Set(widths)).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(new Set(specs.flatMap((s) => s.layers.map((l) => l.activation)))).toEqual(new Set(['identity', 'relu', 'tanh']));
    const narrow = sample(a.model({ maxWidth: 2, activations: ['tanh'] }));
    expect(narrow.every((s) => s.inputSize <= 2 && s.layers.every((l) => l.outFeatures <= 2 && l.activation === 'tanh'))).toBe(true);
  });

  it('values and matrix have the lengths asked for, drawn from the value given', () => {
    expect(sample(a.values(3)).every((v) => v.length === 3)).toBe(true);
    expect(sample(a.matrix(2, 3, fc.constant(7)))).toContainEqual([[7, 7, 7], [7, 7, 7]]);
    expect(sample(a.matrix(2, 3)).every((m) => m.length === 2 && m.every((r) => r.length === 3))).toBe(true);
  });

  it('init gives every parameter its size, and zero tensors only when asked', () => {
    const spec: ModelSpec = { inputSize: 3, layers: [{ outFeatures: 2, activation: 'relu' }, { outFeatures: 1, activation: 'identity' }] };
    // 0.weight [2, 3], 0.bias [2], 2.weight [1, 2], 2.bias [1], named by hand.
    const sizes = { '0.weight': 6, '0.bias': 2, '2.weight': 2, '2.bias': 1 };
    const lengths = (init: Record<string, number[]>) => Object.fromEntries(Object.entries(init).map(([k, v]) => [k, v.length]));
    const ones = sample(a.init(spec, fc.constant(1)));
    expect(ones.every((init) => JSON.stringify(lengths(init)) === JSON.stringify(sizes))).toBe(true);
    expect(ones.every((init) => Object.values(init).every((v) => v.every((x) => x === 1)))).toBe(true);
    const zeroed = sample(a.init(spec, fc.constant(1), true)).flatMap((init) => Object.values(init));
    expect(zeroed.every((v) => v.every((x) => x === 0) || v.every((x) => x === 1))).toBe(true);
    expect(zeroed.some((v) => v.every((x) => x === 0)) && zeroed.some((v) => v.every((x) => x === 1))).toBe(true);
  });
});

describe('capabilities', () => {
  it('without a backend, everything is declared', () => {
    const a = arbitrariesFor('float64');
    expect([a.has('anything'), a.supports('nesterov'), a.supports('amsgrad', 'adam')]).toEqual([true, true, true]);
    expect(a.activations).toEqual(['identity', 'relu', 'tanh']);
    expect(a.reductions).toEqual(['mean', 'sum']);
  });

  it('with a backend, only what it declares', () => {
    const a = backend('float64', [ACT_TANH, LOSS_MSE_SUM, optionCapability('sgd', 'momentum')]);
    expect([a.has(ACT_TANH), a.has(ACT_RELU), a.supports('momentum'), a.supports('momentum', 'adam'), a.supports('dampening')]).toEqual([true, false, true, false, false]);
    expect(a.activations).toEqual(['identity', 'tanh']);
    expect(a.reductions).toEqual(['sum']);
    expect(backend('float64', [ACT_RELU, LOSS_MSE_MEAN]).activations).toEqual(['identity', 'relu']);
    expect(backend('float64', [ACT_RELU, LOSS_MSE_MEAN]).reductions).toEqual(['mean']);
    const models = sample(a.model({ activations: ['relu', 'identity'] }));
    expect(models.every((s) => s.layers.every((l) => l.activation === 'identity'))).toBe(true);
    expect(sample(a.trainCase()).every((c) => c.loss.reduction === 'sum' && c.model.layers.every((l) => l.activation !== 'relu'))).toBe(true);
  });

  it('sgd draws every setting PyTorch accepts, and only the options declared', () => {
    const all = sample(arbitrariesFor('float64').sgd(), 1000);
    expect(all.every((o) => o.kind === 'sgd' && o.weightDecay === 0 && o.lr >= 1e-4 && o.lr <= 0.5)).toBe(true);
    expect(all.every((o) => o.momentum >= 0 && o.momentum <= 0.99 && o.dampening >= 0 && o.dampening <= 1)).toBe(true);
    expect(all.every((o) => !o.nesterov || (o.momentum > 0 && o.dampening === 0))).toBe(true);
    for (const key of ['nesterov', 'maximize'] as const) expect(new Set(all.map((o) => o[key]))).toEqual(new Set([true, false]));
    for (const key of ['momentum', 'dampening'] as const) expect(all.some((o) => o[key] === 0) && all.some((o) => o[key] > 0)).toBe(true);
    const bare = sample(backend('float64', [optionCapability('sgd', 'momentum')]).sgd(), 1000);
    expect(bare.every((o) => o.dampening === 0 && !o.nesterov && !o.maximize)).toBe(true);
    expect(bare.some((o) => o.momentum > 0)).toBe(true);
    const noMomentum = backend('float64', [optionCapability('sgd', 'dampening'), optionCapability('sgd', 'nesterov'), optionCapability('sgd', 'maximize')]);
    expect(sample(noMomentum.sgd()).every((o) => o.momentum === 0 && !o.nesterov)).toBe(true);
    expect(sample(noMomentum.sgd()).some((o) => o.maximize && o.dampening > 0)).toBe(true);
    const nesterov = backend('float64', [optionCapability('sgd', 'momentum'), optionCapability('sgd', 'nesterov')]);
    expect(sample(nesterov.sgd()).some((o) => o.nesterov)).toBe(true);
    expect(sample(arbitrariesFor('float64').sgd({ maximize: fc.constant(true) })).every((o) => o.maximize)).toBe(true);
  });

  it('trainCase needs a loss reduction, and says so', () => {
    expect(() => backend('float64', []).trainCase()).toThrow(RangeError);
    expect(() => backend('float64', []).trainCase()).toThrow('trainCase: the backend declares no loss reduction (loss:mse:mean or loss:mse:sum)');
  });
});

describe('training cases', () => {
  const a = arbitrariesFor('float64');

  it('fit their model: parameters, a batch of 1–6 rows, 1–20 steps, MSE, SGD, no penalty', () => {
    const cases = sample(a.trainCase(), 300);
    for (const c of cases) {
      expect([c.kind, c.version, c.penalty, c.zeroGrad, c.loss.kind, c.optimizer.kind]).toEqual(['train', 1, null, true, 'mse', 'sgd']);
      const shapes = parameterShapes(c.model);
      expect(Object.keys(c.init)).toEqual(shapes.map((s) => s.name));
      expect(c.data.x.length).toBe(c.data.y.length);
      expect(c.data.x.every((r) => r.length === c.model.inputSize)).toBe(true);
      expect(c.data.y.every((r) => r.length === c.model.layers[c.model.layers.length - 1].outFeatures)).toBe(true);
    }
    expect(new Set(cases.map((c) => c.data.x.length))).toEqual(new Set([1, 2, 3, 4, 5, 6]));
    expect(Math.min(...cases.map((c) => c.steps))).toBe(1);
    expect(Math.max(...cases.map((c) => c.steps))).toBe(20);
    expect(new Set(cases.map((c) => c.loss.reduction))).toEqual(new Set(['mean', 'sum']));
  });

  it('take the model, optimizer, steps, value and zero tensors given', () => {
    const model = fc.constant<ModelSpec>({ inputSize: 1, layers: [{ outFeatures: 1, activation: 'identity' }] });
    const adam = fc.constant<AdamSpec>({ kind: 'adam', lr: 0.1, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false });
    const cases = sample(a.trainCase({ model, optimizer: adam, steps: fc.constant(4), value: fc.constant(3), zeroTensors: true }));
    expect(cases.every((c) => c.model.inputSize === 1 && c.optimizer.kind === 'adam' && c.steps === 4)).toBe(true);
    const params = cases.flatMap((c) => Object.values(c.init).flat());
    expect(params.every((x) => x === 3 || x === 0) && params.includes(0)).toBe(true);
  });
});

describe('float64 numbers over doubleInRange', () => {
  // The float64 numbers as they were made before doubleInRange: num and value over fc.double.
  const SMALLEST = 2 ** -1022;
  const referenceNum = (min: number, max: number): fc.Arbitrary<number> => {
    const full = fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => (Math.abs(x) < SMALLEST && min <= 0 && max >= 0 ? x * 0 : x));
    const lo = Math.ceil(min * 8);
    const hi = Math.floor(max * 8);
    if (lo > hi) return full;
    const readable = fc.integer({ min: lo, max: hi }).map((k) => k / 8);
    return fc.oneof({ withCrossShrink: true }, { weight: 1, arbitrary: readable }, { weight: 3, arbitrary: full });
  };
  const referenceValue = fc.oneof({ withCrossShrink: true }, { weight: 8, arbitrary: referenceNum(-2, 2) }, { weight: 1, arbitrary: fc.constantFrom(0, -0) });
  const a = arbitrariesFor('float64');

  it.each([[-2, 2], [1e-6, 2], [1e-4, 0.5], [0, 0.99], [0, 1], [1e-100, 2], [-1, 0], [0.1, 0.2], [0.11, 0.12], [-1e-300, 1e-300]])(
    'float64 num(%d, %d) draws and shrinks as the construction over fc.double does',
    (min, max) => {
      for (let seed = 0; seed < 20; seed++) expect(text(drawn(a.num(min, max), seed))).toBe(text(drawn(referenceNum(min, max), seed)));
      for (const seed of [1, 2, 3]) {
        const failing = (x: number) => Math.abs(x) < (min + max) / 2;
        const [got, expected] = [a.num(min, max), referenceNum(min, max)].map((arb) => fc.check(fc.property(arb, failing), { seed }));
        expect(text([got.counterexample, got.numShrinks, got.counterexamplePath])).toBe(text([expected.counterexample, expected.numShrinks, expected.counterexamplePath]));
      }
    },
  );

  it('float64 value draws and shrinks as the construction over fc.double does', () => {
    for (let seed = 0; seed < 20; seed++) expect(text(drawn(a.value, seed))).toBe(text(drawn(referenceValue, seed)));
    const tuple = (v: fc.Arbitrary<number>) => fc.tuple(v, v, v);
    for (const seed of [1, 2, 3, 4]) {
      const [got, expected] = [a.value, referenceValue].map((v) => fc.check(fc.property(tuple(v), ([x, y, z]) => x + y * z < 1), { seed }));
      expect(got.failed).toBe(true);
      expect(text([got.counterexample, got.numShrinks, got.counterexamplePath])).toBe(text([expected.counterexample, expected.numShrinks, expected.counterexamplePath]));
    }
  });
});

describe('arbitraries made once', () => {
  const a = arbitrariesFor('float64');

  it('are the same for the same capability set and arguments, and draw what fresh ones draw', () => {
    const capabilities = new Set<Capability>([ACT_RELU, LOSS_MSE_MEAN, optionCapability('sgd', 'momentum')]);
    const made = arbitrariesFor({ dtype: 'float64', capabilities });
    expect(arbitrariesFor({ dtype: 'float64', capabilities })).toBe(made);
    expect(arbitrariesFor({ dtype: 'float32', capabilities })).not.toBe(made);
    expect(made.num(0, 1)).toBe(made.num(0, 1));
    expect(made.num(-0, 1)).not.toBe(made.num(0, 1));
    expect(made.values(3)).toBe(made.values(3));
    expect(made.matrix(2, 3, made.lr)).toBe(made.matrix(2, 3, made.lr));
    expect(made.sgd()).toBe(made.sgd());
    for (let seed = 0; seed < 3; seed++) drawn(made.trainCase(), seed);
    const fresh = arbitrariesFor({ dtype: 'float64', capabilities: new Set(capabilities) });
    expect(fresh).not.toBe(made);
    for (let seed = 0; seed < 5; seed++) expect(text(drawn(made.trainCase(), seed))).toBe(text(drawn(fresh.trainCase(), seed)));
  });

  it('never give two training cases the same zero tensor', () => {
    const model = fc.constant<ModelSpec>({ inputSize: 2, layers: [{ outFeatures: 2, activation: 'identity' }] });
    const tensors = sample(a.trainCase({ model, value: fc.constant(1), zeroTensors: true })).flatMap((c) => Object.values(c.init));
    const zeros = tensors.filter((v) => v.every((x) => x === 0));
    expect(zeros.length).toBeGreaterThan(50);
    expect(new Set(zeros).size).toBe(zeros.length);
  });
});
