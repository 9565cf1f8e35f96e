import { describe, expect, it } from 'vitest';
import type { ExprCase, TrainCase } from '../cases/types.ts';
import { OPS } from '../engine/ops.ts';
import { PENALTIES } from '../regularize/recipes.ts';
import { BackendError, type Backend } from './backend.ts';
import { referenceBackend } from './reference.ts';
import { DYADIC_CASE, OP_CASES, differences, expectSame, opCase, penalty, sgd } from './testdata/cases.ts';
import { loadTfjs, tfjsBackend } from './tfjs.ts';

const missing = await loadTfjs().then(
  () => null,
  (e: Error) => e.message,
);
if (missing !== null) console.warn(`tfjs backend tests skipped: ${missing}`);

/**
 * tfjs rounds each op's result to float32 (unit roundoff u = 2⁻²⁴) and the reference, at the
 * same float32 inputs, computes in float64. A value takes at most three float32 roundings, whose
 * worst amplification here is tanh's 1 − y² at |x| = 3 (below 200): 3·200·u ≈ 3.6e-5 relative;
 * the reductions (six terms below 25) add at most 2·6·25·u ≈ 1.8e-5. 2⁻¹² ≈ 2.4e-4 covers both,
 * while a different rule or subgradient is off by order 1 at these points.
 */
const OP_TOLERANCE = 2 ** -12;

/**
 * Where TensorFlow.js 4.22 departs from the op table on these cases (docs/ops.md, known
 * divergences), element by element. The seed is 1, −0.5, 3, −1.5, ...; x is [0, −0, 1.5, −2, 0.25, 3].
 * abs and norm(p = 1) use the subgradient −1 at ±0 (their gradient is dy·step(x, −1)); pow with
 * exponent 0 computes dy·0·x⁻¹, NaN at ±0 and −0 where dy < 0; norm(p = 2) is
 * sqrt(sum(pow(abs(x), 2))), so its gradient is NaN at the zero tensor and carries abs's −1 into
 * a −0 at x = 0; relu(−0) is +0 and relu's zero gradients take the seed's sign.
 */
const TFJS_DIVERGENCES: Record<string, string[]> = {
  abs: ['grads.x[0]: -1 versus 0', 'grads.x[1]: 0.5 versus -0'],
  relu: ['value[1]: 0 versus -0', 'grads.x[1]: -0 versus 0', 'grads.x[3]: -0 versus 0'],
  'pow 0': ['grads.x[0]: NaN versus 0', 'grads.x[1]: NaN versus 0', 'grads.x[5]: -0 versus 0'],
  'norm 2': ['grads.x[0]: -0 versus 0'],
  'norm 1': ['grads.x[0]: -1 versus 0', 'grads.x[1]: -1 versus 0'],
  'norm 2 of the zero tensor': Array.from({ length: 6 }, (_, i) => `grads.x[${i}]: NaN versus 0`),
};

/**
 * The dyadic case's first step is exact in float32 as well (docs: testdata/cases.ts), so tfjs
 * must match the reference bit for bit where no norm is involved. The norm recipes round
 * w/‖w‖ (‖b‖ = 1.25): a square root, a division and a product in float32, at most 4u = 2⁻²²
 * relative, added to exact gradients and scaled by lr once; 2⁻²⁰ covers it.
 */
const NORM_TOLERANCE = 2 ** -20;
const NORM_RECIPES = new Set(['half-norm-squared', 'norm-squared', 'norm', 'norm-from-zero', 'norm-uninit-leaf']);

const OPTIMIZERS = [
  ['plain SGD', sgd({})],
  ['momentum', sgd({ momentum: 0.5 })],
  ['nesterov', sgd({ momentum: 0.75, nesterov: true })],
] as const;

const stepOf = (optimizer: TrainCase['optimizer'], recipe: string | null): TrainCase => ({ ...DYADIC_CASE, steps: 1, optimizer, penalty: recipe === null ? null : penalty(recipe) });

describe.skipIf(missing !== null)(`tfjs backend (@tensorflow/tfjs, CPU, float32)${missing === null ? '' : ` (SKIPPED: ${missing})`}`, () => {
  const reference = referenceBackend();
  let tfjs: Backend;
  const get = async () => (tfjs ??= await tfjsBackend());

  it('describes itself honestly: float32, every op and recipe, momentum and nesterov, and nothing tfjs cannot express', async () => {
    const b = await get();
    expect([b.name, b.dtype]).toEqual(['tfjs', 'float32']);
    expect(b.version).toMatch(/^4\./);
    for (const op of Object.keys(OPS)) expect(b.capabilities).toContain(`op:${op}`);
    for (const recipe of Object.keys(PENALTIES)) expect(b.capabilities).toContain(`recipe:${recipe}`);
    expect(b.capabilities).toContain('sgd:momentum');
    expect(b.capabilities).toContain('sgd:nesterov');
    for (const absent of ['sgd:weightDecay', 'sgd:dampening', 'sgd:maximize', 'train:groups', 'graph:retainGraph', 'graph:releasesSaved', 'graph:accumulates', 'train:noZeroGrad', 'optimizer:adam']) {
      expect(b.capabilities).not.toContain(absent);
    }
  });

  it('agrees with the reference on every op within float32 rounding, except its documented divergences at the kinks', async () => {
    const b = await get();
    const found: Record<string, string[]> = {};
    for (const [name, graph] of OP_CASES) {
      const c = await opCase(graph);
      const [t, r] = await Promise.all([b.runExpr(c), reference.runExpr(c)]);
      expect(t.value.shape, name).toEqual(r.value.shape);
      const parted = [
        ...differences(t.value.data, r.value.data, OP_TOLERANCE, 'value'),
        ...Object.keys(r.grads).flatMap((input) => differences(t.grads[input], r.grads[input], OP_TOLERANCE, `grads.${input}`)),
      ];
      if (parted.length > 0) found[name] = parted;
    }
    expect(found).toEqual(TFJS_DIVERGENCES);
  });

  it.each(OPTIMIZERS.flatMap(([label, o]) => [null, 'half-pow-sum', 'pow-sum', 'norm-item'].map((recipe) => [`${label}, ${recipe ?? 'no penalty'}`, stepOf(o, recipe)] as const)))(
    'training, %s: the first step is bit-identical to the reference',
    async (_name, c) => {
      const [t, r] = await Promise.all([(await get()).runTrain(c), reference.runTrain(c)]);
      expectSame(t, r, 'result', ['tfjs', 'reference']);
    },
  );

  it.each([...NORM_RECIPES].flatMap((recipe) => OPTIMIZERS.map(([label, o]) => [`${recipe}, ${label}`, stepOf(o, recipe)] as const)))(
    'training, %s: the first step agrees within float32 rounding of w/‖w‖',
    async (_name, c) => {
      const [t, r] = await Promise.all([(await get()).runTrain(c), reference.runTrain(c)]);
      expectSame(t.losses, r.losses, 'losses', ['tfjs', 'reference']);
      const parted = (['grads', 'params'] as const).flatMap((key) => Object.keys(r[key][0]).flatMap((name) => differences(t[key][0][name], r[key][0][name], NORM_TOLERANCE, `${key}.${name}`)));
      expect(parted).toEqual([]);
    },
  );

  it('training with l1: the gradient parts from the reference by exactly −λ at the weights that are zero (abs′(0) = −1), and nowhere else', async () => {
    const c = stepOf(sgd({}), 'l1');
    const [t, r] = await Promise.all([(await get()).runTrain(c), reference.runTrain(c)]);
    const lambda = c.penalty!.lambda;
    for (const [name, w] of Object.entries(c.init)) {
      w.forEach((v, i) => expect(t.grads[0][name][i], `${name}[${i}]`).toBe(r.grads[0][name][i] - (v === 0 ? lambda : 0)));
    }
  });

  it('the training comparison fails against a deliberately broken reference', async () => {
    // pow-sum's value and gradient are twice half-pow-sum's: the first losses differ.
    const broken = referenceBackend({ penalties: { ...PENALTIES, 'half-pow-sum': PENALTIES['pow-sum'] } });
    const c = stepOf(sgd({}), 'half-pow-sum');
    const [t, r] = await Promise.all([(await get()).runTrain(c), broken.runTrain(c)]);
    expect(() => expectSame(t, r, 'result', ['tfjs', 'reference'])).toThrow(/^result\.losses\[0\]: tfjs .* versus reference/);
  });

  const exprCase = async (): Promise<ExprCase> => opCase(OP_CASES[0][1]);
  it.each<[string, () => Promise<ExprCase | TrainCase>, RegExp]>([
    ['weight decay', async () => ({ ...DYADIC_CASE, optimizer: sgd({ weightDecay: 0.5 }) }), /no weight-decay option \(sgd:weightDecay\); put the penalty in the loss instead/],
    ['dampening', async () => ({ ...DYADIC_CASE, optimizer: sgd({ momentum: 0.5, dampening: 0.5 }) }), /tf\.train\.momentum has no dampening \(sgd:dampening\)/],
    ['maximize', async () => ({ ...DYADIC_CASE, optimizer: sgd({ maximize: true }) }), /no maximize option \(sgd:maximize\)/],
    ['parameter groups', async () => ({ ...DYADIC_CASE, groups: [{ select: 'weights', weightDecay: 0 }, { select: 'biases', weightDecay: 0 }] }), /no parameter groups .* \(train:groups\)/],
    ['gradients never zeroed', async () => ({ ...DYADIC_CASE, zeroGrad: false }), /\(train:noZeroGrad\)/],
    ['Adam', async () => ({ ...DYADIC_CASE, optimizer: { kind: 'adam', lr: 0.125, betas: [0.5, 0.75], eps: 0.125, weightDecay: 0, amsgrad: false, maximize: false } }), /no optimizer matching 'adam'/],
    ['a learning rate float32 cannot hold', async () => ({ ...DYADIC_CASE, optimizer: sgd({ lr: 0.1 }) }), /optimizer\.lr = 0\.1 \(float32 holds 0\.10000000149011612\)/],
    ['a second backward', async () => ({ ...(await exprCase()), backward: { times: 2, retainGraph: true } }), /no graph to keep or release/],
    ['an input float32 cannot hold', async () => ({ ...(await exprCase()), inputs: { x: { shape: [1], data: [1 / 3], requiresGrad: true } }, graph: { op: 'neg', args: [{ op: 'input', name: 'x' }] }, seed: [1] }), /inputs\.x\.data\[0\] = 0\.3333333333333333/],
  ])('refuses %s with a BackendError that names it', async (_what, make, message) => {
    const b = await get();
    const c = await make();
    const run = c.kind === 'train' ? b.runTrain(c) : b.runExpr(c);
    await expect(run).rejects.toThrow(BackendError);
    await expect(run).rejects.toThrow(message);
  });
});

describe('tfjs backend without the package', () => {
  it('says which optional dependency is missing and how to install it', async () => {
    const run = tfjsBackend({ specifier: '@tensorflow/tfjs-not-installed' });
    await expect(run).rejects.toThrow(BackendError);
    await expect(run).rejects.toThrow(/^the tfjs backend needs the optional peer dependency @tensorflow\/tfjs-not-installed, which is not installed: run `npm install @tensorflow\/tfjs-not-installed`/);
  });
});
