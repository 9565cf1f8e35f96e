/**
 * Every claim must be able to fail. Each row below (and each of adaptive-mutants.ts, for the
 * optimizer and fixture families) breaks the reference backend in one realistic way and asserts
 * that the claim, run as usual, FAILS on it. The shrunk counterexamples are
 * printed with REGPROOF_SHOW_MUTANTS=1.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { OPS, Tensor, type OpDef } from '../src/engine/index.ts';
import { makeOptimizer, referenceBackend, type OptimizerFactory, type ReferenceOverrides } from '../src/backends/reference.ts';
import { Optimizer, type ParamGroup, type SGDOptions } from '../src/optim/index.ts';
import { PENALTIES, type PenaltyFn } from '../src/regularize/recipes.ts';
import { abs, add, mul, neg, norm, pow, relu, sub, sum } from '../src/engine/index.ts';
import { ALL_CLAIMS } from './index.ts';
import { ADAPTIVE_MUTANTS } from './adaptive-mutants.ts';
import { EXACT_MUTANTS } from './fixtures-exact-mutants.ts';
import { runClaim } from '../src/runner/run.ts';
import { configFromEnv } from '../src/runner/config.ts';

interface SgdBugs {
  decayAfterMomentum?: boolean;
  dampenFirstStep?: boolean;
  maximizeAtEnd?: boolean;
  dampeningInverted?: boolean;
  ignoreNesterov?: boolean;
  ignoreGroupOptions?: boolean;
}

const sgdDefaults: SGDOptions = { lr: 0.001, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };

/** SGD with one of the classic implementation bugs switched on. */
class MutantSGD extends Optimizer<SGDOptions> {
  private readonly buffers = new Map<Tensor, Float64Array>();
  constructor(groups: ParamGroup<SGDOptions>[], options: Partial<SGDOptions>, private readonly bugs: SgdBugs) {
    const flattened = bugs.ignoreGroupOptions ? [{ params: groups.flatMap((g) => g.params), weightDecay: groups[0].weightDecay }] : groups;
    super('MutantSGD', flattened, sgdDefaults, options, () => undefined);
  }

  protected update(param: Tensor, grad: Float64Array, o: Readonly<SGDOptions>): void {
    const p = param.data;
    const d = Float64Array.from(grad, (g) => (o.maximize && !this.bugs.maximizeAtEnd ? -g : g));
    const decay = () => {
      for (let i = 0; i < d.length; i++) d[i] += o.weightDecay * p[i];
    };
    if (!this.bugs.decayAfterMomentum) decay();
    if (o.momentum !== 0) {
      const keep = this.bugs.dampeningInverted ? o.dampening : 1 - o.dampening;
      let buf = this.buffers.get(param);
      if (buf === undefined) {
        buf = Float64Array.from(d, (v) => (this.bugs.dampenFirstStep ? keep * v : v));
        this.buffers.set(param, buf);
      } else for (let i = 0; i < d.length; i++) buf[i] = buf[i] * o.momentum + keep * d[i];
      for (let i = 0; i < d.length; i++) d[i] = o.nesterov && !this.bugs.ignoreNesterov ? d[i] + o.momentum * buf[i] : buf[i];
    }
    if (this.bugs.decayAfterMomentum) decay();
    const sign = o.maximize && this.bugs.maximizeAtEnd ? 1 : -1;
    for (let i = 0; i < p.length; i++) p[i] += sign * o.lr * d[i];
  }
}

const sgdMutant = (bugs: SgdBugs): ReferenceOverrides => ({
  makeOptimizer: ((groups, spec) => {
    const { kind: _kind, ...options } = spec;
    return new MutantSGD(groups, options, bugs);
  }) as OptimizerFactory,
});

const penaltyMutant = (id: string, fn: PenaltyFn): ReferenceOverrides => ({ penalties: { ...PENALTIES, [id]: fn } });

/** Replaces one op of the engine's table for the duration of a run. */
function opMutant<K extends keyof typeof OPS>(name: K, broken: (original: (typeof OPS)[K]) => OpDef<any>): () => () => void {
  return () => {
    const table = OPS as unknown as Record<string, OpDef<any>>;
    const original = table[name];
    table[name] = broken(OPS[name]);
    return () => {
      table[name] = original;
    };
  };
}

/** Makes every backward overwrite leaf gradients instead of accumulating into them. */
function overwritingGradients(): () => void {
  const original = Tensor.prototype.backward;
  Tensor.prototype.backward = function (this: Tensor, grad, options) {
    const leaves = new Set<Tensor>();
    const stack: Tensor[] = [this];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (t.node === null) leaves.add(t);
      else stack.push(...t.node.inputs);
    }
    for (const leaf of leaves) leaf.grad = null;
    original.call(this, grad, options);
  };
  return () => {
    Tensor.prototype.backward = original;
  };
}

const normBackwardWithoutZeroRule = opMutant('norm', (norm) => ({
  ...norm,
  backward: (g, ctx) => [Float64Array.from(ctx.inputs[0].data, (x) => (ctx.attrs.p === 1 ? g[0] * Math.sign(x) : (x * g[0]) / ctx.output.data[0]))],
}));

interface Mutant {
  claim: string;
  bug: string;
  overrides?: ReferenceOverrides;
  patch?: () => () => void;
}

/** An optimizer whose zeroGrad leaves the gradients in place, so they accumulate across steps. */
const noOpZeroGrad: ReferenceOverrides = {
  makeOptimizer: (groups, spec) => {
    const optimizer = makeOptimizer(groups, spec);
    optimizer.zeroGrad = () => undefined;
    return optimizer;
  },
};

const dropHalf = penaltyMutant('half-pow-sum', (params, lambda) => mul(lambda, params.map((w) => sum(pow(w, 2))).reduce((a, b) => add(a, b))));

const MUTANTS: Mutant[] = [
  { claim: 'l2.half-square-is-weight-decay', bug: 'weight decay applied after momentum', overrides: sgdMutant({ decayAfterMomentum: true }) },
  { claim: 'l2.half-square-is-weight-decay', bug: 'the 0.5 dropped', overrides: dropHalf },
  { claim: 'l2.square-without-half-is-double', bug: 'weight decay applied after momentum', overrides: sgdMutant({ decayAfterMomentum: true }) },
  { claim: 'l2.maximize-subtracted-penalty-is-weight-decay', bug: 'maximize applied at the end (the docstring order)', overrides: sgdMutant({ maximizeAtEnd: true }) },
  { claim: 'l2.maximize-added-penalty-pushes-outward', bug: 'maximize applied at the end (the docstring order)', overrides: sgdMutant({ maximizeAtEnd: true }) },
  {
    claim: 'l2.half-norm-squared-within-rounding',
    bug: 'the 0.5 dropped from 0.5·‖W‖²',
    overrides: penaltyMutant('half-norm-squared', (params, lambda) => mul(lambda, params.map((w) => pow(norm(w), 2)).reduce((a, b) => add(a, b)))),
  },
  { claim: 'l2.unsquared-norm-is-not-weight-decay', bug: "norm's gradient at zero computed as w/‖w‖", patch: normBackwardWithoutZeroRule },
  { claim: 'accumulate.item-is-detached', bug: 'the item() recipe kept in the graph', overrides: penaltyMutant('norm-item', PENALTIES.norm) },
  {
    claim: 'accumulate.from-number-zero-stays-in-graph',
    bug: 'a number accumulator with old scalar semantics (the first term detached)',
    overrides: penaltyMutant('norm-from-zero', (params, lambda) => {
      let acc: Tensor | number = 0;
      params.forEach((w, i) => (acc = i === 0 ? norm(w).item() : add(acc, norm(w))));
      return typeof acc === 'number' ? lambda * acc : mul(lambda, acc);
    }),
  },
  { claim: 'accumulate.uninitialised-leaf-offsets-the-loss', bug: "the leaf's start value ignored", overrides: penaltyMutant('norm-uninit-leaf', (params, lambda) => PENALTIES.norm(params, lambda, {})) },
  { claim: 'zero.subgradient-is-zero-at-zero', bug: "norm's gradient at zero computed as w/‖w‖", patch: normBackwardWithoutZeroRule },
  { claim: 'zero.training-from-zero-stays-finite', bug: "norm's gradient at zero computed as w/‖w‖", patch: normBackwardWithoutZeroRule },
  {
    claim: 'zero.composed-sqrt-is-nan-at-zero',
    bug: "sqrt's gradient guarded at 0 (hiding PyTorch's NaN)",
    patch: opMutant('sqrt', (sqrt) => ({ ...sqrt, backward: (g, ctx) => [Float64Array.from(g, (gi, i) => (ctx.output.data[i] === 0 ? 0 : gi / (2 * ctx.output.data[i])))] })),
  },
  { claim: 'bias.exclusion-equals-parameter-groups', bug: 'per-group options ignored', overrides: sgdMutant({ ignoreGroupOptions: true }) },
  { claim: 'bias.all-parameters-penalize-biases', bug: 'the penalty silently skips 1-D tensors', overrides: penaltyMutant('half-pow-sum', (params, lambda) => PENALTIES['half-pow-sum'](params.filter((p) => p.ndim > 1), lambda, {})) },
  {
    claim: 'mse.mean-divides-by-every-element',
    bug: 'mean divides by the first dimension only',
    patch: opMutant('mean', (mean) => ({ ...mean, forward: (inputs, attrs) => {
      const r = mean.forward(inputs, attrs);
      const x = inputs[0];
      return attrs.axis === null ? { ...r, data: Float64Array.from(r.data, (v) => (v * x.size) / x.shape[0]) } : r;
    } })),
  },
  { claim: 'graph.second-backward-throws', bug: 'tanh does not declare its saved tensors', patch: opMutant('tanh', (tanh) => ({ ...tanh, savesTensors: false })) },
  { claim: 'graph.retained-graph-accumulates-twice', bug: 'backward overwrites gradients instead of accumulating', patch: overwritingGradients },
  { claim: 'stability.plain-descent-rate', bug: 'the 0.5 dropped (the rate becomes 1 − 2·lr·λ)', overrides: dropHalf },
  { claim: 'stability.heavy-ball-bound', bug: 'dampening applied as τ instead of 1 − τ', overrides: sgdMutant({ dampeningInverted: true }) },
  { claim: 'stability.nesterov-bound', bug: 'nesterov silently treated as heavy ball', overrides: sgdMutant({ ignoreNesterov: true }) },
  { claim: 'sgd.matches-documented-update', bug: 'dampening on the first step', overrides: sgdMutant({ dampenFirstStep: true }) },
  { claim: 'sgd.matches-documented-update', bug: 'weight decay applied after momentum', overrides: sgdMutant({ decayAfterMomentum: true }) },
  { claim: 'sgd.matches-documented-update', bug: 'maximize applied at the end', overrides: sgdMutant({ maximizeAtEnd: true }) },
  { claim: 'thread.missing-zero-grad-accumulates', bug: 'backward overwrites gradients instead of accumulating', patch: overwritingGradients },
  { claim: 'thread.zero-grad-gives-fresh-gradients', bug: 'zero_grad does nothing', overrides: noOpZeroGrad },
  {
    claim: 'thread.inplace-square-update-is-not-decay',
    bug: 'square computed as −x·|x| (a decay-like update)',
    patch: opMutant('square', (square) => ({ ...square, forward: ([x]) => ({ data: Float64Array.from(x.data, (v) => -v * Math.abs(v)), shape: x.shape }) })),
  },
  { claim: 'diff.steps-match-reference', bug: 'dampening on the first step', overrides: sgdMutant({ dampenFirstStep: true }) },
  ...ADAPTIVE_MUTANTS,
  ...EXACT_MUTANTS,
];

const report: string[] = [];

describe('every claim fails on a deliberately broken backend', () => {
  it('covers every claim (gradcheck.* and ops.* show their own failures in gradcheck.prop.ts and ops/mutants.test.ts)', () => {
    const covered = new Set(MUTANTS.map((m) => m.claim));
    const elsewhere = (id: string) => id.startsWith('gradcheck.') || id.startsWith('ops.');
    expect(ALL_CLAIMS.map((c) => c.id).filter((id) => !covered.has(id) && !elsewhere(id))).toEqual([]);
  });

  for (const mutant of MUTANTS) {
    it(`${mutant.claim} fails when ${mutant.bug}`, async () => {
      const claim = ALL_CLAIMS.find((c) => c.id === mutant.claim);
      expect(claim, `no claim ${mutant.claim}`).toBeDefined();
      const restore = mutant.patch?.();
      try {
        const backend = referenceBackend({ name: `mutant: ${mutant.bug}`, ...mutant.overrides });
        const result = await runClaim(claim!, backend, { ...configFromEnv(), runs: 200 }, { failuresDir: null });
        expect(result.verdict, `${mutant.claim} did not notice: ${mutant.bug}`).toBe('fail');
        report.push(`${mutant.claim} / ${mutant.bug}\n    ${result.failure!.message.split('\n')[0]}`);
      } finally {
        restore?.();
      }
    });
  }

  afterAll(() => {
    if (process.env.REGPROOF_SHOW_MUTANTS === '1') process.stdout.write(`\n${report.join('\n')}\n`);
  });
});

/** abs, relu and norm with another choice at 0 (valid or not); the function itself is unchanged. */
const absAtZero = (slope: number) =>
  opMutant('abs', (abs) => ({ ...abs, backward: (g, ctx) => [Float64Array.from(g, (gi, i) => gi * (ctx.inputs[0].data[i] === 0 ? slope : Math.sign(ctx.inputs[0].data[i])))] }));
const reluAtZero = (slope: number) =>
  opMutant('relu', (relu) => ({ ...relu, backward: (g, ctx) => [Float64Array.from(g, (gi, i) => (ctx.inputs[0].data[i] > 0 ? gi : ctx.inputs[0].data[i] === 0 ? slope * gi : 0))] }));
/** norm(w, 2) at the zero tensor with gradient length·(1, …, 1)/√n, a unit vector times length. */
const normAtZero = (length: number) =>
  opMutant('norm', (norm) => ({
    ...norm,
    backward: (g, ctx) => {
      const x = ctx.inputs[0].data;
      if (ctx.attrs.p !== 2 || x.some((v) => v !== 0)) return norm.backward(g, ctx);
      return [Float64Array.from(x, () => (g[0] * length) / Math.sqrt(x.length))];
    },
  }));

async function verdictWith(claimId: string, patch: () => () => void, runs = 100) {
  const restore = patch();
  try {
    const claim = ALL_CLAIMS.find((c) => c.id === claimId)!;
    return await runClaim(claim, referenceBackend({ name: 'another choice at a kink' }), { ...configFromEnv(), runs }, { failuresDir: null });
  } finally {
    restore();
  }
}

/** l1 through |w| + c·(w − relu(w) + relu(−w)): the same values, gradient c·λ more at exactly 0 (c = −1: abs'(0) = −1, valid; c = 2: invalid). */
const l1WithSlopeAtZero = (c: number): PenaltyFn => (params, lambda) =>
  mul(lambda, params.map((w) => sum(add(abs(w), mul(c, add(sub(w, relu(w)), relu(neg(w))))))).reduce((x, y) => add(x, y)));

describe('another valid subgradient is a policy difference, not a failure', () => {
  it("abs'(0) = −1, relu'(0) = 1 and a unit vector for norm at the zero tensor are each reported with their consequence", async () => {
    for (const [patch, pattern, consequence] of [
      [absAtZero(-1), /l1Penalty has another valid subgradient than PyTorch's 0 at an exact zero/, /no longer keeps exact zeros/],
      [reluAtZero(1), /sum\(relu\(w\)\) has another valid subgradient than PyTorch's 0 at an exact zero/, /passes gradient back and trains/],
      [normAtZero(1), /norm\(w, 2\) has another valid subgradient than PyTorch's 0 at an exact zero/, /pushed off zero/],
    ] as const) {
      const result = await verdictWith('zero.subgradient-is-zero-at-zero', patch);
      expect(result.verdict).toBe('policy-difference');
      const note = result.policy!.find((n) => pattern.test(n.what));
      expect(note, result.policy!.map((n) => n.what).join('\n')).toBeDefined();
      expect(note!.consequence).toMatch(consequence);
      // The value chosen is in the example (the note names only the kind of choice).
      expect((note!.example as { gradient: number }).gradient).not.toBe(0);
    }
    for (const id of ['zero.composed-sqrt-is-nan-at-zero', 'l2.unsquared-norm-is-not-weight-decay']) {
      const result = await verdictWith(id, normAtZero(1));
      expect(result.verdict, id).toBe('policy-difference');
      expect(result.policy![0].consequence).toMatch(/pushed off zero/);
    }
  });

  it('a gradient outside the subdifferential at the kink still fails', async () => {
    expect((await verdictWith('zero.subgradient-is-zero-at-zero', absAtZero(2))).verdict).toBe('fail');
    expect((await verdictWith('zero.subgradient-is-zero-at-zero', reluAtZero(2))).verdict).toBe('fail');
    expect((await verdictWith('zero.composed-sqrt-is-nan-at-zero', normAtZero(2))).verdict).toBe('fail');
    expect((await verdictWith('l2.unsquared-norm-is-not-weight-decay', normAtZero(2))).verdict).toBe('fail');
  });

  it("diff.steps-match-reference reports relu'(0) = 1 and abs'(0) = −1 under L1 as policy, and a gradient of 2λ at 0 as a failure", async () => {
    const claim = ALL_CLAIMS.find((c) => c.id === 'diff.steps-match-reference')!;
    const run = (overrides: ReferenceOverrides) => runClaim(claim, referenceBackend(overrides), { ...configFromEnv(), runs: 300 }, { failuresDir: null });
    const valid = await run({ name: 'valid choices', activations: { relu: (x) => add(x, relu(neg(x))) }, penalties: { ...PENALTIES, l1: l1WithSlopeAtZero(-1) } });
    expect(valid.verdict).toBe('policy-difference');
    const whats = valid.policy!.map((n) => n.what).join('\n');
    expect(whats).toMatch(/relu'\(0\) = 1/);
    expect(whats).toMatch(/L1's gradient at an exact zero weight/);
    // A note per kind of choice (ReLU, L1, or both in one case), never one per weight at the kink.
    expect(valid.policy!.length).toBeLessThanOrEqual(3);
    const invalid = await run({ name: 'gradient 2λ at 0', penalties: { ...PENALTIES, l1: l1WithSlopeAtZero(2) } });
    expect(invalid.verdict).toBe('fail');
  });
});

describe('a gross bug shrinks to a counterexample that looks gross', () => {
  it('weight decay dropped: readable λ, lr and values, and a gap stated against the decay it should have had', async () => {
    const dropped: ReferenceOverrides = {
      name: 'weight decay dropped',
      makeOptimizer: (groups, spec) => makeOptimizer(groups.map((g) => ({ ...g, weightDecay: 0 })), { ...spec, weightDecay: 0 }),
    };
    const claim = ALL_CLAIMS.find((c) => c.id === 'l2.half-square-is-weight-decay')!;
    const result = await runClaim(claim, referenceBackend(dropped), { ...configFromEnv(), runs: 100 }, { failuresDir: null });
    expect(result.verdict).toBe('fail');
    const [{ case: c, lambda }] = result.failure!.counterexample as [{ case: { optimizer: { lr: number }; init: Record<string, number[]> }; lambda: number }];
    const readable = (x: number) => Number.isInteger(x * 8);
    expect(readable(lambda) && lambda > 0, `λ = ${lambda}`).toBe(true);
    expect(readable(c.optimizer.lr), `lr = ${c.optimizer.lr}`).toBe(true);
    const values = Object.values(c.init).flat();
    expect(values.every((v) => v === 0 || Math.abs(v) >= 2 ** -1022), 'no subnormal values').toBe(true);
    expect(result.failure!.message).toMatch(/which differ by \S+ where weight decay λ = \S+ should move it by lr·λ·w = \S+ on this step/);
  });
});
