/**
 * The gradient checker and the high-precision oracle, checked against each other on random
 * expression graphs over the engine's ops.
 *
 * These claims test the reference engine itself and the checker, not the backend they are
 * handed: they build graphs with the engine directly, so they require no capability. A backend
 * author's gradients are checked by the differential claims; these are what make the reference
 * trustworthy enough to be the oracle there.
 */
import fc from 'fast-check';
import { positiveLambdaArb, valueArb } from '../src/cases/arbitraries.ts';
import { doubleInRange } from '../src/cases/double.ts';
import type { ExprNode } from '../src/cases/types.ts';
import {
  TOLERANCE_SAFETY,
  errorFloor,
  gradcheck,
  type ElementCheck,
  type GradcheckOptions,
  type GradcheckReport,
  type Method,
  type Mode,
} from '../src/check/gradcheck.ts';
import { engineFunction, errorOf, oracleEvaluate, type GraphInputs } from '../src/check/oracle.ts';
import { Tensor, apply, fromData, matmul, transpose, type OpDef, type OpName } from '../src/engine/index.ts';
import { mseLoss } from '../src/nn/index.ts';
import { PENALTIES, type PenaltyFn } from '../src/regularize/recipes.ts';
import type { Claim } from '../src/runner/claim.ts';

// ---------------------------------------------------------------- random expression graphs

type Kind = 'mat' | 'vec' | 'flat' | 'scalar';

const call = (op: OpName, args: ExprNode[], attrs?: Record<string, number | number[] | null>): ExprNode => (attrs === undefined ? { op, args } : { op, args, attrs });
const input = (name: string): ExprNode => ({ op: 'input', name });
const konst = (value: number): ExprNode => ({ op: 'const', value });

/** Which operand kinds broadcast against a kind (a, b: [2, 2]; vec: [2]; flat: [4]; scalar: []). */
const PARTNERS: Record<Kind, Kind[]> = { mat: ['mat', 'vec', 'scalar'], vec: ['vec', 'scalar'], flat: ['flat', 'scalar'], scalar: ['scalar'] };

export interface GraphArbOptions {
  /** Leave out the ops with kinks (abs, relu, sign, norm 1) and plant no exact zeros. */
  smooth: boolean;
  maxDepth: number;
}

/**
 * Expression graphs over every op of the engine, built with fc.letrec at bounded depth, on
 * inputs a, b ([2, 2]) and c ([]). log, sqrt, fractional and negative powers, and divisors get
 * arguments made positive (exp(x), x² + c or |x| + c with c ≥ 0.25), so that domain errors are
 * not what the graphs are about; kinks (abs, relu, sign, norm 1) and exact zeros stay in.
 */
export function graphArb({ smooth, maxDepth }: GraphArbOptions): fc.Arbitrary<ExprNode> {
  const unaryOps: OpName[] = smooth ? ['neg', 'exp', 'tanh', 'square'] : ['neg', 'exp', 'tanh', 'square', 'abs', 'relu', 'sign'];
  const depth = { maxDepth, depthIdentifier: smooth ? 'smooth-graph' : 'graph' };
  const tree = fc.letrec<Record<Kind, ExprNode>>((tie) => {
    const positive = (k: Kind) =>
      fc.tuple(tie(k), fc.constantFrom<('exp' | 'square' | 'abs')[]>(...(smooth ? (['exp', 'square'] as const) : (['exp', 'square', 'abs'] as const))), fc.constantFrom(0.25, 1)).map(([x, how, c]) =>
        how === 'exp' ? call('exp', [x]) : call('add', [call(how, [x]), konst(c)]),
      );
    const unary = (k: Kind) => fc.tuple(fc.constantFrom(...unaryOps), tie(k)).map(([op, x]) => call(op, [x]));
    const integerPower = (k: Kind) => fc.tuple(tie(k), fc.constantFrom(2, 3)).map(([x, p]) => call('pow', [x], { exponent: p }));
    const domain = (k: Kind) =>
      fc.tuple(fc.constantFrom('log', 'sqrt', 0.5, -1, 1.5), positive(k)).map(([op, x]) => (typeof op === 'number' ? call('pow', [x], { exponent: op }) : call(op as OpName, [x])));
    const arithmetic = (k: Kind) =>
      fc.tuple(fc.constantFrom<OpName>('add', 'sub', 'mul'), tie(k), fc.oneof(...PARTNERS[k].map((p) => tie(p))), fc.boolean()).map(([op, x, y, swap]) => call(op, swap ? [y, x] : [x, y]));
    const division = (k: Kind) =>
      fc.oneof(
        fc.tuple(tie(k), fc.oneof(...PARTNERS[k].map(positive))).map(([x, y]) => call('div', [x, y])),
        fc.tuple(fc.oneof(...PARTNERS[k].map((p) => tie(p))), positive(k)).map(([x, y]) => call('div', [x, y])),
      );
    const common = (k: Kind) => [unary(k), integerPower(k), domain(k), arithmetic(k), division(k)];
    const scalarOf = fc.oneof(tie('mat'), tie('vec'), tie('flat'));
    return {
      mat: fc.oneof(
        depth,
        fc.constantFrom(input('a'), input('b')),
        ...common('mat'),
        fc.tuple(tie('mat'), tie('mat')).map(([x, y]) => call('matmul', [x, y])),
        tie('mat').map((x) => call('transpose', [x])),
        tie('flat').map((x) => call('reshape', [x], { shape: [2, 2] })),
      ),
      vec: fc.oneof(
        depth,
        fc.constantFrom(call('sum', [input('a')], { axis: 0 }), call('mean', [input('b')], { axis: -1 })),
        ...common('vec'),
        fc.tuple(fc.constantFrom<OpName>('sum', 'mean'), tie('mat'), fc.constantFrom(0, 1, -1)).map(([op, x, axis]) => call(op, [x], { axis })),
      ),
      flat: fc.oneof(
        depth,
        fc.constantFrom(call('reshape', [input('a')], { shape: [4] }), call('reshape', [input('b')], { shape: [-1] })),
        ...common('flat'),
        tie('mat').map((x) => call('reshape', [x], { shape: [-1] })),
      ),
      scalar: fc.oneof(
        depth,
        fc.constantFrom(input('c'), konst(0.5), konst(-1.5)),
        ...common('scalar'),
        fc.tuple(fc.constantFrom<OpName>('sum', 'mean'), scalarOf).map(([op, x]) => call(op, [x])),
        fc.tuple(fc.constantFrom<1 | 2>(...(smooth ? ([2] as const) : ([1, 2] as const))), scalarOf).map(([p, x]) => call('norm', [x], { p })),
      ),
    };
  });
  return fc.oneof(tree.mat, tree.vec, tree.flat, tree.scalar);
}

const smoothValueArb = doubleInRange(-2, 2);

/** Values for a, b and c; the kinked variant plants exact zeros (valueArb). */
export function graphInputsArb(smooth: boolean): fc.Arbitrary<GraphInputs> {
  const value = smooth ? smoothValueArb : valueArb;
  const values = (n: number) => fc.array(value, { minLength: n, maxLength: n });
  return fc.record({ a: values(4), b: values(4), c: values(1) }).map(({ a, b, c }) => ({
    a: { shape: [2, 2], data: a, requiresGrad: true },
    b: { shape: [2, 2], data: b, requiresGrad: true },
    c: { shape: [], data: c, requiresGrad: true },
  }));
}

export const NAMES = ['a', 'b', 'c'] as const;

export const leavesOf = (inputs: GraphInputs): Tensor[] => NAMES.map((n) => fromData(inputs[n].data.slice(), inputs[n].shape, { requiresGrad: true }));

// ---------------------------------------------------------------- shared checks

/** The case for a message; built only when one is thrown (for every passing case it cost 1% of the family's CPU). */
function describeCase(graph: ExprNode, inputs: GraphInputs): string {
  return `graph ${JSON.stringify(graph)} at a = [${inputs.a.data}], b = [${inputs.b.data}], c = ${inputs.c.data[0]}`;
}

/** A report with no failure of any kind: no mismatch, no reentrancy problem, no nonzero gradient from a zero seed. */
export function expectNoFailure(report: GradcheckReport, what: () => string): void {
  const first = report.failures[0];
  if (first !== undefined) {
    throw new Error(`${what()}: false alarm at ${first.output} / ${first.input}: numerical ${first.numerical}, analytical ${first.analytical}, tolerance ${first.tolerance}`);
  }
  if (report.reentrancy.length > 0) throw new Error(`${what()}: ${report.reentrancy[0]}`);
  const zero = report.zeroGradient.find((z) => z.kind === 'fail');
  if (zero !== undefined) throw new Error(`${what()}: zero upstream gradient gave ${zero.value} at ${zero.input}`);
}

/** Where a full-mode check sits in the Jacobian: the input's name, the output row, the element. */
function elementIndex(e: ElementCheck): { name: string; row: number; k: number } {
  return { name: NAMES[e.at!.input], row: e.at!.output, k: e.at!.element };
}

// ---------------------------------------------------------------- agreement with the oracle

export function agreesWithOracle(): Claim {
  return {
    id: 'gradcheck.agrees-with-oracle',
    statement:
      'On random expression graphs over every engine op, the engine\'s values and gradients lie within the oracle\'s running error bound of the 50-digit values, Richardson lies within its reported tolerance of the exact derivative, and the checker reports no failure (stencils across kinks are not checkable, never passed or failed).',
    requires: ['arith:reference'],
    property: () =>
      fc.asyncProperty(graphArb({ smooth: false, maxDepth: 3 }), graphInputsArb(false), async (graph, inputs) => {
        const what = () => describeCase(graph, inputs);
        const fn = engineFunction(graph, NAMES);
        const report = gradcheck(fn, leavesOf(inputs), { names: NAMES, method: 'richardson' });
        const oracle = oracleEvaluate(graph, inputs);
        const value = fn(...leavesOf(inputs)).data;
        oracle.value.data.forEach((t, i) => {
          // A bound that is not finite means the engine's operand may sit across a pole or a
          // domain edge, or a value may overflow: that value is ill-conditioned, reported by the
          // bound, not judged.
          if (!Number.isFinite(t.e)) return;
          const err = errorOf(value[i], t);
          if (!(err <= t.e)) throw new Error(`${what()}: value[${i}] is ${value[i]}, exact ${t.v.toString()}, error ${err} above the bound ${t.e}`);
        });
        for (const e of report.elements) {
          const { name, row, k } = elementIndex(e);
          const exact = oracle.jacobian[name][row][k];
          if (Number.isFinite(exact.e) && !(errorOf(e.analytical, exact) <= exact.e)) {
            throw new Error(`${what()}: ∂${e.output}/∂${e.input} is ${e.analytical}, exact ${exact.v.toString()}, error above the bound ${exact.e}`);
          }
          if ((e.status === 'pass' || e.status === 'fail') && !(errorOf(e.numerical, exact) <= e.tolerance)) {
            throw new Error(`${what()}: Richardson gives ${e.numerical} for ∂${e.output}/∂${e.input}, exact ${exact.v.toString()}: off by more than its tolerance ${e.tolerance}`);
          }
        }
        expectNoFailure(report, what);
      }),
  };
}

// ---------------------------------------------------------------- fast mode against full mode

export function fastAgreesWithFull(): Claim {
  return {
    id: 'gradcheck.fast-agrees-with-full',
    statement:
      'Fast mode agrees with full mode: for each direction pair (u, v), its analytical vᵀJu equals vᵀ·(full Jacobian)·u and its numerical value equals vᵀ·(full differences)·u, each within the two modes\' tolerances, and it reports a failure only if full mode does.',
    requires: ['arith:reference'],
    property: () =>
      fc.asyncProperty(graphArb({ smooth: false, maxDepth: 3 }), graphInputsArb(false), fc.constantFrom<Method>('richardson', 'central'), fc.nat(1000), async (graph, inputs, method, seed) => {
        const what = () => describeCase(graph, inputs);
        const fn = engineFunction(graph, NAMES);
        const full = gradcheck(fn, leavesOf(inputs), { names: NAMES, method });
        const fast = gradcheck(fn, leavesOf(inputs), { names: NAMES, method, mode: 'fast', directions: 2, seed });
        if (full.failures.length === 0 && fast.failures.length > 0) throw new Error(`${what()}: fast mode fails where full mode passes: ${fast.failures[0].output}`);
        for (const e of fast.elements) {
          if (e.status === 'nonfinite') {
            // NaN or Infinity along a direction must come from some Jacobian element.
            if (full.nonFinite.length === 0) throw new Error(`${what()}: fast mode finds ${e.reason} where every element of the full Jacobian is finite`);
            continue;
          }
          const { v, u } = e.direction!;
          let analytical = 0;
          let numerical = 0;
          let slack = 0;
          let complete = true;
          for (const f of full.elements) {
            const { row, k } = elementIndex(f);
            const weight = v[row] * u[f.at!.input][k];
            analytical += weight * f.analytical;
            numerical += weight * f.numerical;
            slack += Math.abs(weight) * f.tolerance;
            if (weight !== 0 && f.status !== 'pass' && f.status !== 'fail') complete = false;
          }
          if (!(Math.abs(e.analytical - analytical) <= e.tolerance)) {
            throw new Error(`${what()}: ${e.output}: one backward with seed v gives ${e.analytical}, vᵀ·J·u from full mode gives ${analytical} (tolerance ${e.tolerance})`);
          }
          if (complete && (e.status === 'pass' || e.status === 'fail') && !(Math.abs(e.numerical - numerical) <= e.tolerance + slack)) {
            throw new Error(`${what()}: ${e.output}: fast differences give ${e.numerical}, vᵀ·(full differences)·u gives ${numerical} (tolerances ${e.tolerance} + ${slack})`);
          }
        }
      }),
  };
}

// ---------------------------------------------------------------- sensitivity

/** An identity op whose backward scales one element of the gradient: a planted gradient bug. */
function scaleGradientElement(k: number, factor: number): OpDef<undefined> {
  return {
    name: 'scaleGradientElement',
    savesTensors: false,
    forward: ([x]) => ({ data: x.data.slice(), shape: x.shape }),
    backward: (g) => {
      const out = g.slice();
      out[k] *= factor;
      return [out];
    },
  };
}

/** fn with the gradient of element k of input j multiplied by `factor`; its values are unchanged. */
export function withGradientError(fn: (...xs: Tensor[]) => Tensor, j: number, k: number, factor: number): (...xs: Tensor[]) => Tensor {
  const op = scaleGradientElement(k, factor);
  return (...xs) => fn(...xs.map((x, i) => (i === j ? apply(op, [x], undefined) : x)));
}

export const scalarGraph = (graph: ExprNode): ExprNode => call('sum', [graph]);

/** The planted relative error in full mode. */
export const FULL_RELATIVE_ERROR = 1e-8;

/**
 * Whether the difference method resolves an element to a tenth of a planted shift: its error
 * estimate (truncation and the noise it sees) and its noise floor together stay below shift/10.
 * An element it cannot resolve is lost for any tolerance: x³ near 0 has f' far below h²·f‴ for
 * these steps, and f' = 0 cannot carry a relative error at all. What the claims test is the rest
 * of the tolerance, the relative floor rtol, which must sit far below the planted error.
 */
export function resolves(e: ElementCheck, shift: number): boolean {
  return shift > 0 && 2 * e.errorEstimate + e.noiseFloor <= shift / 10;
}

export function detectsRelative1e8(options: GradcheckOptions = {}): Claim {
  return {
    id: 'gradcheck.detects-relative-1e-8',
    statement:
      'On smooth float64 functions, full mode (central or Richardson) reports a gradient element that is wrong by a relative 1e-8, for every element that the difference resolves to a tenth of that (error estimate and noise floor below 1e-9·|∂f/∂x|); PyTorch\'s rtol 1e-3 cannot see such an error.',
    requires: ['arith:reference'],
    property: () =>
      fc.asyncProperty(graphArb({ smooth: true, maxDepth: 3 }), graphInputsArb(true), fc.constantFrom<Method>('richardson', 'central'), fc.nat(), async (graph, inputs, method, pick) => {
        const g = scalarGraph(graph);
        const fn = engineFunction(g, NAMES);
        const clean = gradcheck(fn, leavesOf(inputs), { names: NAMES, method });
        expectNoFailure(clean, () => describeCase(g, inputs));
        const eligible = clean.elements.filter((e) => e.status === 'pass' && resolves(e, FULL_RELATIVE_ERROR * Math.abs(e.analytical)));
        if (eligible.length === 0) return;
        const target = eligible[pick % eligible.length];
        const broken = withGradientError(fn, target.at!.input, target.at!.element, 1 + FULL_RELATIVE_ERROR);
        const report = gradcheck(broken, leavesOf(inputs), { names: NAMES, method, ...options });
        const flagged = report.failures.some((e) => e.input === target.input);
        if (!flagged) {
          const seen = report.elements.find((e) => e.input === target.input)!;
          throw new Error(`${describeCase(g, inputs)}: ${method} missed a relative error of 1e-8 in ∂f/∂${target.input} = ${target.analytical} (tolerance ${seen.tolerance}, relative ${seen.tolerance / Math.abs(seen.analytical)})`);
        }
      }),
  };
}

/**
 * Fast mode's sensitivity is diluted: a relative error r in element k moves vᵀJu by r·w_k·u_k,
 * where w = vᵀJ, while its relative floor scales with Σ_j|w_j·u_j| over all n elements, so the
 * smallest error it can flag in an element with an average share |w_k·u_k| = Σ/n is about
 * 2n·(rtol + n·u): n times coarser than full mode's. The claim plants r = 1e-5 with n = 9, whose
 * shift r·Σ/n ≈ 1.1e-6·Σ dwarfs the derived floor (rtol + n·u)·Σ ≈ 5.5e-12·Σ.
 */
export const FAST_RELATIVE_ERROR = 1e-5;

export function fastSensitivity(options: GradcheckOptions = {}): Claim {
  const rtol = TOLERANCE_SAFETY * errorFloor('richardson', 'float64');
  return {
    id: 'gradcheck.fast-mode-diluted-sensitivity',
    statement:
      'On smooth float64 functions of n = 9 inputs, fast mode flags a relative error of 1e-5 in one gradient element along every direction in which that element carries at least an average share of Σ|w·u| (w = vᵀJ) and the difference resolves the shift to a tenth: a threshold about n times coarser than full mode\'s, by design.',
    requires: ['arith:reference'],
    property: () =>
      fc.asyncProperty(graphArb({ smooth: true, maxDepth: 3 }), graphInputsArb(true), fc.nat(), fc.nat(1000), async (graph, inputs, pick, seed) => {
        const g = scalarGraph(graph);
        const fn = engineFunction(g, NAMES);
        const n = 9;
        const j = pick % 3;
        const k = Math.floor(pick / 3) % inputs[NAMES[j]].data.length;
        const broken = withGradientError(fn, j, k, 1 + FAST_RELATIVE_ERROR);
        const report = gradcheck(broken, leavesOf(inputs), { names: NAMES, mode: 'fast', directions: 4, seed, ...options });
        for (const e of report.elements) {
          if (e.status !== 'pass' && e.status !== 'fail') continue;
          const { w, u } = e.direction!;
          let total = 0;
          w.forEach((wj, jj) => wj.forEach((wk, kk) => {
            total += Math.abs(wk * u[jj][kk]);
          }));
          const share = Math.abs((w[j][k] / (1 + FAST_RELATIVE_ERROR)) * u[j][k]);
          if (share < total / n || !resolves(e, FAST_RELATIVE_ERROR * share)) continue;
          if (e.status !== 'fail') {
            throw new Error(`${describeCase(g, inputs)}: ${e.output} missed a relative error of ${FAST_RELATIVE_ERROR} in ∂f/∂${NAMES[j]}[${k}] (share ${share} of Σ|w·u| = ${total}; tolerance ${e.tolerance}, derived rtol ${rtol})`);
          }
        }
      }),
  };
}

// ---------------------------------------------------------------- specificity

type Rounding = 'float64' | 'float32';

/** One no-false-alarms claim per configuration of the checker. */
export const CONFIGURATIONS: { mode: Mode; method: Method; dtype: Rounding }[] = (['full', 'fast'] as const).flatMap((mode) =>
  (['richardson', 'central'] as const).flatMap((method) => (['float64', 'float32'] as const).map((dtype) => ({ mode, method, dtype }))),
);

export function noFalseAlarms({ mode, method, dtype }: { mode: Mode; method: Method; dtype: Rounding }): Claim {
  const arithmetic = dtype === 'float64' ? 'in float64' : "in a float32 simulation (every op's result rounded to float32)";
  return {
    id: `gradcheck.no-false-alarms.${mode}-${method}-${dtype}`,
    statement:
      `The checker raises no false alarm on correct gradients in ${mode} mode with ${method === 'central' ? 'central differences' : 'Richardson'}, ${arithmetic}: ` +
      'over thousands of random graphs it reports no mismatch, no reentrancy problem and no nonzero gradient from a zero upstream gradient.',
    requires: ['arith:reference'],
    // Specificity needs many cases: 10,000 graphs at REGPROOF_RUNS=1000 (1,000 at the default 100
    // runs) over the eight configurations, 1,250 each. One claim per configuration, so that each is
    // judged and timed on its own and none dominates a run: as one claim drawing the configuration
    // at random, the same 10,000 cases took 14.8 s of the 1000-run npm start.
    runsScale: 10 / CONFIGURATIONS.length,
    property: () =>
      fc.asyncProperty(graphArb({ smooth: false, maxDepth: 3 }), graphInputsArb(false), async (graph, raw) => {
        const inputs: GraphInputs =
          dtype === 'float32' ? Object.fromEntries(Object.entries(raw).map(([n, t]) => [n, { ...t, data: t.data.map(Math.fround) }])) : raw;
        const report = gradcheck(engineFunction(graph, NAMES, dtype), leavesOf(inputs), { names: NAMES, method, mode, dtype });
        expectNoFailure(report, () => `${mode} ${method} ${dtype} on ${describeCase(graph, inputs)}`);
      }),
  };
}

// ---------------------------------------------------------------- the scalar-accumulator bug

export interface ItemPenalty {
  /** The penalty as user code writes it; a number means it went through item(). */
  penalty: PenaltyFn;
  /** The gradient the penalty should contribute to parameter element w. */
  missing(w: number, tensorNorm: number, lambda: number): number;
}

/** λ·0.5·Σw², accumulated through item() as in the thread: the loss moves, the gradient does not. */
export const halfL2ThroughItem: PenaltyFn = (params, lambda) => {
  let acc = 0;
  for (const w of params) acc += w.pow(2).sum().item();
  return lambda * 0.5 * acc;
};

export const ITEM_PENALTIES: Record<string, ItemPenalty> = {
  'half-l2-item': { penalty: halfL2ThroughItem, missing: (w, _n, lambda) => lambda * w },
  // The catalogue's norm-item recipe: λ·Σ‖W‖ through item(); its missing gradient is λ·w/‖W‖.
  'norm-item': { penalty: PENALTIES['norm-item'], missing: (w, n, lambda) => (n === 0 ? 0 : (lambda * w) / n) },
};

const nonzeroValueArb = doubleInRange(-2, 2).filter((x) => Math.abs(x) >= 1e-3);
const arrayOf = (n: number, arb: fc.Arbitrary<number>) => fc.array(arb, { minLength: n, maxLength: n });

/** A linear model's parameters (all nonzero), a batch of data, λ and the recipe. */
const itemCaseArb = (recipes: string[]) =>
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 })).chain(([inFeatures, outFeatures, batch]) =>
    fc.record({
      shape: fc.constant({ inFeatures, outFeatures, batch }),
      weight: arrayOf(outFeatures * inFeatures, nonzeroValueArb),
      bias: arrayOf(outFeatures, nonzeroValueArb),
      x: arrayOf(batch * inFeatures, valueArb),
      y: arrayOf(batch * outFeatures, valueArb),
      lambda: positiveLambdaArb,
      recipe: fc.constantFrom(...recipes),
    }),
  );

export function seesItemAccumulator(penalties: Record<string, ItemPenalty> = ITEM_PENALTIES): Claim {
  return {
    id: 'gradcheck.sees-item-accumulator',
    statement:
      'gradcheck on an MSE loss whose penalty is recomputed through item() at every evaluation (λ > 0, weights ≠ 0) reports, for every parameter element, numerical − analytical equal to the missing penalty gradient (λ·w for λ·0.5·Σw², λ·w/‖W‖ for λ·Σ‖W‖) within the element\'s tolerance, and flags each element where that gap exceeds twice its tolerance.',
    requires: ['arith:reference'],
    property: () =>
      fc.asyncProperty(itemCaseArb(Object.keys(penalties)), async ({ shape: { inFeatures, outFeatures, batch }, weight, bias, x, y, lambda, recipe }) => {
        const { penalty, missing } = penalties[recipe];
        const X = fromData(x, [batch, inFeatures]);
        const Y = fromData(y, [batch, outFeatures]);
        const loss = (W: Tensor, b: Tensor): Tensor => mseLoss(matmul(X, transpose(W)).add(b), Y, 'mean').add(penalty([W, b], lambda, {}));
        const W = fromData(weight, [outFeatures, inFeatures], { requiresGrad: true });
        const B = fromData(bias, [outFeatures], { requiresGrad: true });
        const report = gradcheck(loss, [W, B], { names: ['W', 'b'] });
        const params = [weight, bias];
        const norms = params.map((p) => Math.hypot(...p));
        for (const e of report.elements) {
          const { input, element } = e.at!;
          const expected = missing(params[input][element], norms[input], lambda);
          const gap = e.numerical - e.analytical;
          if (!(Math.abs(gap - expected) <= e.tolerance)) {
            throw new Error(`${recipe}, λ = ${lambda}: at ${e.input} numerical − analytical is ${gap}, the missing penalty gradient is ${expected} (tolerance ${e.tolerance})`);
          }
          if (Math.abs(expected) > 2 * e.tolerance && e.status !== 'fail') {
            throw new Error(`${recipe}, λ = ${lambda}: ${e.input} was not flagged although the gradient misses ${expected} (tolerance ${e.tolerance})`);
          }
        }
      }),
  };
}

export const claims: Claim[] = [
  agreesWithOracle(),
  fastAgreesWithFull(),
  detectsRelative1e8(),
  fastSensitivity(),
  ...CONFIGURATIONS.map(noFalseAlarms),
  seesItemAccumulator(),
];
