/**
 * What the PyTorch-fixture and adaptive-optimizer claims share: the fixtures themselves, PyTorch
 * 1.13's update rules written out per element with a bound on how far another implementation of
 * the same arithmetic can land (a running error analysis). The bound on the loss and gradients
 * is in fixtures-gradients.ts.
 *
 * Why bounds per step and not one trajectory tolerance: two correct implementations part by a few
 * roundings per step, and a trajectory can amplify that (through the loss's curvature, or Adam's
 * division by a small √v). Every check here therefore starts each step from the same state: the
 * gradients are evaluated at PyTorch's recorded parameters, and each update starts from the
 * recorded parameters and gradient of that step, so no step inherits an earlier step's difference
 * except through the optimizer's own running averages, which the bound carries along.
 */
import { caseCapabilities } from '../src/backends/capabilities.ts';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dtype } from '../src/backends/backend.ts';
import { packageFile } from '../src/package-root.ts';
import { decodeJson } from '../src/cases/json.ts';
import { parseTrainCase, parseTrainResult } from '../src/cases/schema.ts';
import type { OptimizerSpec, TrainCase, TrainResult } from '../src/cases/types.ts';
import { ETA, U, precisionOf } from '../src/check/float.ts';
import { fmt } from './support.ts';

// ---------------------------------------------------------------- the fixtures

export const FIXTURE_DIR = packageFile('fixtures', 'torch');

/** One recorded PyTorch run (fixtures/torch/generate.py writes them). */
export interface TorchFixture {
  id: string;
  description: string;
  /** PyTorch's version string. */
  torch: string;
  /** The dtype PyTorch computed in; the case's values are exactly representable in it. */
  dtype: Dtype;
  /** The code PyTorch ran where it differs from the case's recipe in rounding only. */
  torchCode?: string;
  case: TrainCase;
  result: TrainResult;
  /** The random runs record optimizer.state after the last step: per parameter, PyTorch's keys. */
  state?: Record<string, Record<string, number | number[]>>;
}

function mapNumbers<T>(value: T, f: (x: number) => number): T {
  if (typeof value === 'number') return f(value) as T;
  if (Array.isArray(value)) return value.map((v) => mapNumbers(v, f)) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapNumbers(v, f)])) as T;
  return value;
}

/** Parses and checks one fixture; float32 runs store the shortest decimal of each value, so they are rounded back with fround. */
export function parseFixture(text: string, source: string): TorchFixture {
  const fail = (message: string): never => {
    throw new RangeError(`${source}: ${message}`);
  };
  const named = <T>(what: string, read: () => T): T => {
    try {
      return read();
    } catch (e) {
      return fail(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const raw = named('not valid JSON', () => decodeJson(text)) as Record<string, unknown>;
  if (raw === null || typeof raw !== 'object') fail('not a JSON object');
  if (raw.format !== 'regproof-torch-fixture') fail(`format is ${JSON.stringify(raw.format)}, expected "regproof-torch-fixture"`);
  if (raw.version !== 1) fail(`version ${JSON.stringify(raw.version)} is not supported (1 is)`);
  if (raw.dtype !== 'float64' && raw.dtype !== 'float32') fail(`dtype ${JSON.stringify(raw.dtype)} is neither "float64" nor "float32"`);
  for (const key of ['id', 'description', 'torch'] as const) if (typeof raw[key] !== 'string') fail(`'${key}' must be a string`);
  const dtype = raw.dtype as Dtype;
  const toDtype = dtype === 'float32' ? Math.fround : (x: number) => x;
  const parsed = named("'case'", () => parseTrainCase(raw.case));
  const c: TrainCase = { ...parsed, init: mapNumbers(parsed.init, toDtype), data: mapNumbers(parsed.data, toDtype) };
  const result = mapNumbers(named("'result'", () => parseTrainResult(raw.result, c)), toDtype);
  const state = raw.state === undefined ? undefined : parseState(raw.state, Object.keys(c.init), fail);
  return {
    id: raw.id as string,
    description: raw.description as string,
    torch: raw.torch as string,
    dtype,
    ...(typeof raw.torchCode === 'string' ? { torchCode: raw.torchCode } : {}),
    case: c,
    result,
    ...(state === undefined ? {} : { state: mapNumbers(state, toDtype) }),
  };
}

function parseState(raw: unknown, names: string[], fail: (message: string) => never): Record<string, Record<string, number | number[]>> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail("'state' must be an object keyed by parameter name");
  const state = raw as Record<string, unknown>;
  for (const name of Object.keys(state)) if (!names.includes(name)) fail(`state: no parameter '${name}' in the model`);
  return Object.fromEntries(
    Object.entries(state).map(([name, entries]) => {
      if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) fail(`state.${name} must be an object`);
      for (const [key, value] of Object.entries(entries as object)) {
        const ok = typeof value === 'number' || (Array.isArray(value) && value.every((v) => typeof v === 'number'));
        if (!ok) fail(`state.${name}.${key} must be a number or an array of numbers`);
      }
      return [name, entries as Record<string, number | number[]>];
    }),
  );
}

let cache: TorchFixture[] | null = null;

/** Every fixture in fixtures/torch, sorted by id. */
export function torchFixtures(): TorchFixture[] {
  cache ??= readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const fixture = parseFixture(readFileSync(join(FIXTURE_DIR, f), 'utf8'), `fixtures/torch/${f}`);
      if (`${fixture.id}.json` !== f) throw new RangeError(`fixtures/torch/${f}: its id is '${fixture.id}', so its file should be ${fixture.id}.json`);
      return fixture;
    });
  return cache;
}

/** The seeded random runs, one fixture per line of fixtures/torch/random-runs.jsonl, in file order. */
export const RANDOM_RUNS_FILE = 'random-runs.jsonl';

let randomCache: TorchFixture[] | null = null;

export function randomTorchFixtures(): TorchFixture[] {
  randomCache ??= readFileSync(join(FIXTURE_DIR, RANDOM_RUNS_FILE), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line, i) => parseFixture(line, `fixtures/torch/${RANDOM_RUNS_FILE}, line ${i + 1}`));
  return randomCache;
}

export function torchFixture(id: string): TorchFixture {
  const found = torchFixtures().find((f) => f.id === id);
  if (found === undefined) throw new RangeError(`no PyTorch fixture '${id}' in fixtures/torch`);
  return found;
}

/** The capabilities a backend needs to run a case. */
export function capabilitiesOf(c: TrainCase): string[] {
  return [...caseCapabilities(c)];
}

// ---------------------------------------------------------------- mutual rounding bounds

/**
 * A value as one side computes it, and a bound on how far the other side's value of the same
 * expression can be. `ill` marks a value the bound cannot speak for: a square root whose argument
 * may be negative on one side only (NaN there, a number here), or a division by a quantity that
 * may be 0 on one side. Such a comparison is ill-conditioned: neither agreement nor disagreement
 * means anything.
 */
export interface Approx {
  readonly v: number;
  readonly e: number;
  readonly ill?: boolean;
}

/** Thrown by a comparison that reached an ill-conditioned value; a generated case that hits one is discarded, not passed. */
export class IllConditioned extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IllConditioned';
  }
}

/**
 * Arithmetic that carries, next to each value, a bound on the difference to another
 * implementation evaluating the same expression in the same order, in float64 or float32, with or
 * without fused multiply-adds. Inputs both sides share are exact. Each operation propagates the
 * input bounds (exactly, not to first order) and adds both sides' rounding: at most u·|result|
 * each, plus half a subnormal spacing each in the underflow range. A fused a + b·c skips a
 * rounding this model charges, so the bound covers it. Scalars the other side receives from
 * Python as doubles are cast to its dtype: `scalar` charges that cast.
 */
export class MutualRounding {
  private readonly r: number;
  private readonly cast: number;
  private readonly eta: number;

  constructor(other: Dtype) {
    const o = precisionOf(other);
    // (1 + 4U) absorbs the difference between |exact result| and the computed |result|.
    this.r = (U + o.u) * (1 + 4 * U);
    this.cast = other === 'float64' ? 0 : o.u;
    this.eta = ETA + o.eta;
  }

  exact(v: number): Approx {
    return { v, e: 0 };
  }

  /** A Python double handed to a kernel: identical in float64, rounded once in float32. */
  scalar(v: number): Approx {
    return { v, e: this.cast * Math.abs(v) };
  }

  private rounded(v: number, propagated: number, ill: boolean | undefined): Approx {
    const e = propagated + this.r * (Math.abs(v) + propagated) + this.eta;
    return ill ? { v, e, ill } : { v, e };
  }

  add(x: Approx, y: Approx): Approx {
    return this.rounded(x.v + y.v, x.e + y.e, x.ill || y.ill);
  }

  sub(x: Approx, y: Approx): Approx {
    return this.rounded(x.v - y.v, x.e + y.e, x.ill || y.ill);
  }

  mul(x: Approx, y: Approx): Approx {
    return this.rounded(x.v * y.v, Math.abs(x.v) * y.e + Math.abs(y.v) * x.e + x.e * y.e, x.ill || y.ill);
  }

  /**
   * |x₁/y₁ − x₂/y₂| ≤ (|x₁|·e_y + |y₁|·e_x) / (|y₁|·(|y₁| − e_y)), while e_y < |y₁|, evaluated as
   * e_x/(|y₁| − e_y) + (|x₁|/|y₁|)·(e_y/(|y₁| − e_y)): the product |y₁|·e_x underflows when e_x is
   * subnormal and |y₁| small (an ε-sized denominator), and the bound then lost the very error it
   * carries (an Adagrad step 12× under its true gap against PyTorch's fused weight decay).
   */
  div(x: Approx, y: Approx): Approx {
    const ay = Math.abs(y.v);
    if (y.e > 0 && !(ay > y.e)) return { v: x.v / y.v, e: Infinity, ill: true };
    const room = ay - y.e;
    const propagated = x.e === 0 && y.e === 0 ? 0 : x.e / room + (Math.abs(x.v) / ay) * (y.e / room);
    return this.rounded(x.v / y.v, propagated, x.ill || y.ill);
  }

  /** |√a − √b| ≤ min(√|a − b|, |a − b| / (√a + √b)). */
  sqrt(x: Approx): Approx {
    const v = Math.sqrt(x.v);
    if (x.e === 0) return this.rounded(v, 0, x.ill);
    const ill = x.ill || (x.v - x.e < 0 && x.v + x.e >= 0);
    const a = Math.max(x.v, 0);
    const sum = Math.sqrt(a) + Math.sqrt(Math.max(a - x.e, 0));
    return this.rounded(v, sum > 0 ? Math.min(Math.sqrt(x.e), x.e / sum) : Math.sqrt(x.e), ill);
  }

  /** Exact: max moves by at most the larger input bound. */
  max(x: Approx, y: Approx): Approx {
    const v = Math.max(x.v, y.v);
    const e = Math.max(x.e, y.e);
    return x.ill || y.ill ? { v, e, ill: true } : { v, e };
  }

  neg(x: Approx): Approx {
    return { ...x, v: -x.v };
  }

  /** base^k in double on both sides (PyTorch's `beta ** step`): each libm pow is within an ulp, 2u relative. */
  pow(base: number, k: number): Approx {
    const v = base ** k;
    return { v, e: 4 * U * Math.abs(v) + 2 * ETA };
  }
}

/**
 * Whether `got` (the other side) agrees with `want`: the same number (NaN included) always does;
 * else bit-exact mode fails; else a difference within a finite bound does; else an
 * ill-conditioned value throws IllConditioned, and anything else disagrees.
 */
export function agrees(got: number, want: Approx, exact: boolean, where: () => string): boolean {
  if (Object.is(got, want.v) || (Number.isNaN(got) && Number.isNaN(want.v))) return true;
  if (exact) return false;
  if (Number.isFinite(want.e) && Math.abs(got - want.v) <= want.e) return true;
  if (want.ill) throw new IllConditioned(`${where()} is ill-conditioned: ${fmt(got)} versus ${fmt(want.v)}, and the rule's value may be NaN or unbounded on one side only (a variance or denominator within rounding of 0)`);
  return false;
}

/** Runs a check and discards the generated case (fc.pre) when it is ill-conditioned. */
export function discardIllConditioned(check: () => void): void {
  try {
    check();
  } catch (e) {
    if (e instanceof IllConditioned) fc.pre(false);
    throw e;
  }
}

// ---------------------------------------------------------------- PyTorch 1.13's update rules, per element

/**
 * One element's update: given the parameter and the gradient the optimizer saw, the new parameter.
 * It keeps its own state. gradError bounds how far the other side's gradient may be from grad.
 */
export type ElementRule = (p: number, grad: number, gradError?: number) => Approx;

/**
 * PyTorch 1.13's single-tensor updates, transcribed from torch/optim/{sgd,adam,adamw,rmsprop,adagrad}.py
 * and the ATen kernels they call (add with alpha is self + alpha·other, addcmul self + (value·t1)·t2,
 * addcdiv self + (value·t1)/t2), in their order. weightDecay is the parameter's group's.
 * 'sgdw' is not in PyTorch: it is SGD after AdamW's decoupled decay.
 */
export function elementRule(spec: OptimizerSpec, weightDecay: number, A: MutualRounding): ElementRule {
  const decoupled = spec.kind === 'adamw' || spec.kind === 'sgdw';
  const decay = (p: Approx): Approx => (decoupled ? A.mul(p, A.scalar(1 - spec.lr * weightDecay)) : p);
  const gradient = (g: number, p: Approx, gradError = 0): Approx => {
    const d = { v: spec.maximize ? -g : g, e: gradError };
    return !decoupled && weightDecay !== 0 ? A.add(d, A.mul(A.scalar(weightDecay), p)) : d;
  };
  switch (spec.kind) {
    case 'sgd':
    case 'sgdw': {
      let buf: Approx | null = null;
      return (p0, g, gradError) => {
        const p = decay(A.exact(p0));
        let d = gradient(g, A.exact(p0), gradError);
        if (spec.momentum !== 0) {
          buf = buf === null ? d : A.add(A.mul(buf, A.scalar(spec.momentum)), A.mul(A.scalar(1 - spec.dampening), d));
          d = spec.nesterov ? A.add(d, A.mul(A.scalar(spec.momentum), buf)) : buf;
        }
        return A.add(p, A.mul(A.scalar(-spec.lr), d));
      };
    }
    case 'adam':
    case 'adamw': {
      const [beta1, beta2] = spec.betas;
      let step = 0;
      let m = A.exact(0);
      let v = A.exact(0);
      let vMax = A.exact(0);
      return (p0, g, gradError) => {
        step += 1;
        const p = decay(A.exact(p0));
        const d = gradient(g, A.exact(p0), gradError);
        m = A.add(A.mul(m, A.scalar(beta1)), A.mul(A.scalar(1 - beta1), d));
        v = A.add(A.mul(v, A.scalar(beta2)), A.mul(A.mul(A.scalar(1 - beta2), d), d));
        const stepSize = A.div(A.exact(spec.lr), A.sub(A.exact(1), A.pow(beta1, step)));
        const correction2Sqrt = A.sqrt(A.sub(A.exact(1), A.pow(beta2, step)));
        let second = v;
        if (spec.amsgrad) {
          vMax = A.max(vMax, v);
          second = vMax;
        }
        const denom = A.add(A.div(A.sqrt(second), correction2Sqrt), A.scalar(spec.eps));
        return A.add(p, A.div(A.mul(A.neg(stepSize), m), denom));
      };
    }
    case 'rmsprop': {
      let square = A.exact(0);
      let average = A.exact(0);
      let buf = A.exact(0);
      return (p0, g, gradError) => {
        const p = A.exact(p0);
        const d = gradient(g, p, gradError);
        square = A.add(A.mul(square, A.scalar(spec.alpha)), A.mul(A.mul(A.scalar(1 - spec.alpha), d), d));
        let avg: Approx;
        if (spec.centered) {
          average = A.add(A.mul(average, A.scalar(spec.alpha)), A.mul(A.scalar(1 - spec.alpha), d));
          avg = A.sqrt(A.sub(square, A.mul(average, average)));
        } else {
          avg = A.sqrt(square);
        }
        avg = A.add(avg, A.scalar(spec.eps));
        if (spec.momentum > 0) {
          buf = A.add(A.mul(buf, A.scalar(spec.momentum)), A.div(d, avg));
          return A.add(p, A.mul(A.scalar(-spec.lr), buf));
        }
        return A.add(p, A.div(A.mul(A.scalar(-spec.lr), d), avg));
      };
    }
    case 'adagrad': {
      let step = 0;
      let sum = A.scalar(spec.initialAccumulatorValue);
      return (p0, g, gradError) => {
        step += 1;
        const p = A.exact(p0);
        const d = gradient(g, p, gradError);
        const clr = spec.lr / (1 + (step - 1) * spec.lrDecay);
        sum = A.add(sum, A.mul(d, d));
        return A.add(p, A.div(A.mul(A.scalar(-clr), d), A.add(A.sqrt(sum), A.scalar(spec.eps))));
      };
    }
  }
}

/** The weightDecay of the parameter group a parameter is in. */
export function groupDecay(c: TrainCase, name: string): number {
  if (c.groups === undefined) return c.optimizer.weightDecay;
  const isBias = name === 'bias' || name.endsWith('.bias');
  const group = c.groups.find((g) => (g.select === 'biases') === isBias);
  if (group === undefined) throw new RangeError(`groups: parameter '${name}' is in no group`);
  return group.weightDecay;
}

export interface UpdateDeviation {
  /** The largest |measured − rule| over all steps and elements, in ulps of the measured value. */
  maxUlps: number;
  /** The largest |measured − rule| / |measured − previous parameter| (the update's own size). */
  maxRelativeToUpdate: number;
  /** The largest |measured − rule| / bound. */
  maxBoundUse: number;
}

/**
 * Feeds a run's recorded gradients through PyTorch's rule, each step from the run's recorded
 * parameters, and checks every parameter after every step against the rule: bit for bit when
 * `exact` (the run did the rule's arithmetic in the rule's order), else within the mutual bound
 * for the run's dtype. Throws at the first element outside it.
 */
export function checkUpdatesFollowRule(c: TrainCase, run: TrainResult, runDtype: Dtype, label: string, exact = false): UpdateDeviation {
  const A = new MutualRounding(runDtype);
  const deviation: UpdateDeviation = { maxUlps: 0, maxRelativeToUpdate: 0, maxBoundUse: 0 };
  for (const [name, init] of Object.entries(c.init)) {
    const rules = init.map(() => elementRule(c.optimizer, groupDecay(c, name), A));
    for (let step = 0; step < run.params.length; step++) {
      const before = step === 0 ? init : run.params[step - 1][name];
      run.params[step][name].forEach((got, i) => {
        const want = rules[i](before[i], run.grads[step][name][i]);
        const where = () => `${label}: step ${step + 1}, parameter ${name}[${i}]`;
        if (!agrees(got, want, exact, where)) {
          throw new Error(
            `${label}: the update parts from PyTorch's rule at step ${step + 1}, parameter ${name}[${i}]: ` +
              `${fmt(got)} versus the rule's ${fmt(want.v)} (${exact ? 'bit-exact backend' : `bound ${want.e}`}; parameter before ${fmt(before[i])}, gradient ${fmt(run.grads[step][name][i])})`,
          );
        }
        const diff = Math.abs(got - want.v);
        if (Object.is(got, want.v) || Number.isNaN(diff) || diff === 0) return;
        deviation.maxUlps = Math.max(deviation.maxUlps, diff / ulpOf(got, runDtype));
        const size = Math.abs(got - before[i]);
        if (size > 0) deviation.maxRelativeToUpdate = Math.max(deviation.maxRelativeToUpdate, diff / size);
        deviation.maxBoundUse = Math.max(deviation.maxBoundUse, diff / want.e);
      });
    }
  }
  return deviation;
}

/** The spacing of the dtype's values next to x. */
export function ulpOf(x: number, dtype: Dtype): number {
  const { u, eta } = precisionOf(dtype);
  const a = Math.abs(x);
  if (a === 0 || !Number.isFinite(a)) return eta;
  return Math.max(2 ** Math.floor(Math.log2(a)) * 2 * u, eta);
}
