/**
 * gradcheck: the engine's analytical gradients against finite differences of the same function.
 *
 * Full mode checks every element of the Jacobian; fast mode checks vᵀJu along seeded random
 * directions, at a cost in function evaluations that does not depend on the number of inputs.
 * Each element gets its own tolerance from its own error estimate, stencils that straddle a kink
 * are reported as not checkable, and NaN/Infinity on either side is reported by name.
 */
import type { Dtype } from '../../backends/backend.ts';
import { Random, Tensor, fromData, isGradEnabled, formatShape, sameShape, type Shape } from '../../engine/index.ts';
import { graphNodes } from './graph.ts';
import { scanGraph, type GraphScan } from './kinks.ts';
import { packedMap } from '../packed.ts';
import { forwardSensitivity, roundingScale, stencilScale } from './noise.ts';
import {
  GradcheckError,
  describeFailure,
  label,
  multiIndex,
  type ElementCheck,
  type GradcheckOptions,
  type GradcheckReport,
  type Method,
  type Mode,
  type ZeroGradientFinding,
} from './report.ts';
import {
  MAX_SHRINKS,
  SHRINK_FACTOR,
  STENCIL_MULTIPLES,
  differentiateLine,
  direction,
  exactDirection,
  moveAlong,
  powerOfTwoScale,
  round,
  type Sample,
} from './stencils.ts';
import { DEFAULT_TOLERANCES, adjointUnderflow, baseStep, byDtype, byMethod, judge, noiseFloor, relativeError, unitRoundoff, type Judged } from './tolerances.ts';

// ---------------------------------------------------------------- evaluation

type GradFn = (...inputs: Tensor[]) => Tensor;

interface Setup {
  fn: GradFn;
  shapes: Shape[];
  differentiable: boolean[];
  names: string[];
  dtype: Dtype;
  outShape: Shape;
}


/** `where` names the point in an error message; it is only built when one is thrown. */
function callFn(setup: Setup, data: Float64Array[], where: () => string): Tensor {
  const leaves = packedMap(data, (d, j) => fromData(d, setup.shapes[j], { requiresGrad: setup.differentiable[j] }));
  const out = setup.fn(...leaves);
  if (!(out instanceof Tensor)) throw new TypeError(`gradcheck: the function returned ${out === null ? 'null' : typeof out} at ${where()}, expected a Tensor`);
  return out;
}

function sample(setup: Setup, data: Float64Array[], offset: number, where: () => string): Sample {
  const out = callFn(setup, data, where);
  if (!sameShape(out.shape, setup.outShape)) {
    throw new RangeError(`gradcheck: the output shape changed from ${formatShape(setup.outShape)} to ${formatShape(out.shape)} at ${where()}`);
  }
  const nodes = graphNodes(out);
  return { offset, values: out.data, sites: scanGraph(out, nodes).sites, out, nodes };
}

// ---------------------------------------------------------------- analytical side

interface Backwards {
  out: Tensor;
  leaves: Tensor[];
}

/** The gradient of each differentiable leaf for upstream gradient `seed`, zeros where backward did not reach. */
function gradientFor({ out, leaves }: Backwards, setup: Setup, seed: Float64Array): Float64Array[] {
  leaves.forEach((leaf) => {
    leaf.grad = null;
  });
  out.backward(fromData(seed.slice(), out.shape), { retainGraph: true });
  return packedMap(leaves, (leaf, j) => (setup.differentiable[j] && leaf.grad !== null ? leaf.grad.data.slice() : new Float64Array(leaf.size)));
}

/** Two backward calls with the same seed must give the same bits. */
function compareBackwards(first: Float64Array[], second: Float64Array[], setup: Setup, what: string, problems: string[]): void {
  first.forEach((g, j) => {
    for (let k = 0; k < g.length; k++) {
      if (!Object.is(g[k], second[j][k])) {
        problems.push(`${what}: the gradient of ${label(setup.names[j], setup.shapes[j], k)} is ${g[k]} after one backward and ${second[j][k]} after another`);
        return;
      }
    }
  });
}

function analyticalRows(b: Backwards | null, setup: Setup, seed: Float64Array, what: string, reentrancy: string[]): Float64Array[] {
  if (b === null) return packedMap(setup.shapes, (s) => new Float64Array(s.reduce((a, d) => a * d, 1)));
  const first = gradientFor(b, setup, seed);
  compareBackwards(first, gradientFor(b, setup, seed), setup, what, reentrancy);
  return first;
}

/**
 * Per input element: whether a check found its gradient not finite. A function of its own, since
 * its branches are first taken long after gradcheck itself is compiled, and each would recompile it.
 */
function infiniteGradients(elements: ElementCheck[], data: Float64Array[]): boolean[][] {
  // Not Array.from(d, ...): over a Float64Array it goes through the iterator, 1.4% of gradcheck's CPU.
  const infinite = packedMap(data, (d) => new Array<boolean>(d.length).fill(false));
  for (const e of elements) {
    if (e.at !== undefined && !Number.isFinite(e.analytical)) infinite[e.at.input][e.at.element] = true;
    e.direction?.w.forEach((w, j) => w.forEach((wk, k) => {
      if (!Number.isFinite(wk)) infinite[j][k] = true;
    }));
  }
  return infinite;
}

/**
 * A zero upstream gradient must give zero gradients. NaN is allowed only at a singular point,
 * since 0·∞ = NaN there, and the finding names it: an operand exactly at a singular op's pole,
 * a value that is not finite, or an element whose own gradient is not finite (an adjoint that
 * overflows in backward, as −a/b² does for a = −1.9, b = 1e-154).
 */
function checkZeroGradient(b: Backwards, scan: GraphScan, setup: Setup, infiniteGradient: boolean[][]): ZeroGradientFinding[] {
  const grads = gradientFor(b, setup, new Float64Array(b.out.size));
  const pole = scan.sites.find((s) => s.rule.singular && s.values.some((v) => v === 0));
  const singular = pole !== undefined ? `${pole.rule.what} (op '${pole.op}' has an operand exactly at 0)` : scan.nonfiniteOp !== null ? `op '${scan.nonfiniteOp}' has a value that is not finite` : null;
  const findings: ZeroGradientFinding[] = [];
  grads.forEach((g, j) => {
    for (let k = 0; k < g.length; k++) {
      if (g[k] === 0) continue;
      const input = label(setup.names[j], setup.shapes[j], k);
      const point = singular ?? (infiniteGradient[j][k] ? 'the gradient of this element is not finite' : null);
      if (Number.isNaN(g[k]) && point !== null) findings.push({ input, value: g[k], kind: 'singular', reason: `0·∞ at a singular point: ${point}` });
      else findings.push({ input, value: g[k], kind: 'fail', reason: Number.isNaN(g[k]) ? 'NaN from a zero upstream gradient, and the graph has no singular point' : 'a zero upstream gradient gave a nonzero gradient' });
    }
  });
  return findings;
}

// ---------------------------------------------------------------- gradcheck

const KNOWN_OPTIONS = new Set(['mode', 'method', 'dtype', 'names', 'directions', 'seed', 'rtol', 'throwOnFailure']);

/**
 * The options with their defaults filled in. Callers pass options of many shapes; reading them
 * once here keeps the code below on one shape, so that V8 does not deoptimize it for each new one.
 */
interface Settings {
  mode: Mode;
  method: Method;
  dtype: Dtype;
  names: readonly string[] | undefined;
  directions: number;
  seed: number;
  rtol: number | undefined;
  throwOnFailure: boolean | undefined;
}

function validate(fn: unknown, inputs: readonly Tensor[], options: GradcheckOptions): Settings {
  if (typeof fn !== 'function') throw new TypeError('gradcheck: the first argument must be a function from tensors to a tensor');
  if (!Array.isArray(inputs) || inputs.length === 0) throw new TypeError('gradcheck: inputs must be a non-empty array of tensors');
  inputs.forEach((t, j) => {
    if (!(t instanceof Tensor)) throw new TypeError(`gradcheck: input ${j} is not a Tensor`);
  });
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new RangeError(`gradcheck: unknown option '${key}' (known: ${[...KNOWN_OPTIONS].join(', ')})`);
  }
  const { mode = 'full', method = 'richardson', dtype = 'float64', names, directions = 4, seed = 0, rtol, throwOnFailure } = options;
  if (mode !== 'full' && mode !== 'fast') throw new RangeError(`gradcheck: mode must be 'full' or 'fast', got '${String(mode)}'`);
  if (method !== 'central' && method !== 'richardson') throw new RangeError(`gradcheck: method must be 'central' or 'richardson', got '${String(method)}'`);
  if (dtype !== 'float64' && dtype !== 'float32') throw new RangeError(`gradcheck: dtype must be 'float64' or 'float32', got '${String(dtype)}'`);
  if (names !== undefined && (names.length !== inputs.length || new Set(names).size !== names.length)) {
    throw new RangeError(`gradcheck: names must give ${inputs.length} distinct names, one per input, got [${names.join(', ')}]`);
  }
  if (!Number.isInteger(directions) || directions < 1) throw new RangeError(`gradcheck: directions must be a positive integer, got ${directions}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`gradcheck: seed must be a safe integer, got ${seed}`);
  if (rtol !== undefined && !(rtol >= 0 && Number.isFinite(rtol))) throw new RangeError(`gradcheck: rtol must be a finite number ≥ 0, got ${rtol}`);
  if (!inputs.some((t) => t.requiresGrad)) throw new RangeError('gradcheck: no input requires grad, so there is nothing to check (create the inputs with { requiresGrad: true })');
  if (!isGradEnabled()) throw new Error('gradcheck: grad mode is off (called inside noGrad()), so no graph can be recorded');
  inputs.forEach((t: Tensor, j: number) => {
    for (let k = 0; k < t.size; k++) {
      const x = t.data[k];
      if (Number.isFinite(x) && (dtype !== 'float32' || Math.fround(x) === x)) continue;
      const where = `${names?.[j] ?? `x${j}`}${multiIndex(t.shape, k)}`;
      if (!Number.isFinite(x)) throw new RangeError(`gradcheck: input ${where} is ${x}; differences need finite inputs`);
      throw new RangeError(`gradcheck: input ${where} = ${x} is not a float32 value; round the inputs with Math.fround for dtype float32`);
    }
  });
  return { mode, method, dtype, names, directions, seed, rtol, throwOnFailure };
}

/**
 * Checks fn's analytical gradients at `inputs` (the inputs that require grad are checked, the
 * others held constant). Returns a report; with throwOnFailure it throws a GradcheckError that
 * names the output, the input, the element, both values and the relative error.
 */
export function gradcheck(fn: GradFn, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  const settings = validate(fn, inputs, options);
  // throwOnFailure is read now, with the others: a load first reached at a failure would deoptimize.
  const { mode, method, dtype, throwOnFailure } = settings;
  const rtol = settings.rtol ?? byMethod(byDtype(DEFAULT_TOLERANCES, dtype), method);
  const names = settings.names ? [...settings.names] : packedMap(inputs, (_, j) => `x${j}`);
  const data = packedMap(inputs, (t) => t.data.slice());
  const differentiable = packedMap(inputs, (t) => t.requiresGrad);

  const shapes = packedMap(inputs, (t) => t.shape);
  const leaves = packedMap(data, (d, j) => fromData(d.slice(), shapes[j], { requiresGrad: differentiable[j] }));
  const out = fn(...leaves);
  if (!(out instanceof Tensor)) throw new TypeError(`gradcheck: the function returned ${out === null ? 'null' : typeof out}, expected a Tensor`);
  const setup: Setup = { fn, shapes, differentiable, names, dtype, outShape: out.shape };
  // Backward leaves the values alone, so this scan of the base graph serves the zero-gradient check too.
  const nodes = graphNodes(out);
  const scan = scanGraph(out, nodes);
  const base: Sample = { offset: 0, values: out.data, sites: scan.sites, out, nodes };
  const backwards: Backwards | null = out.requiresGrad ? { out, leaves } : null;

  const reentrancy: string[] = [];
  const count = { n: 0 };
  const elements = mode === 'full' ? fullMode(setup, data, base, backwards, method, rtol, reentrancy, count) : fastMode(setup, data, base, backwards, method, rtol, settings, reentrancy, count);
  const zeroGradient = backwards === null ? [] : checkZeroGradient(backwards, scan, setup, infiniteGradients(elements, data));

  const failures = elements.filter((e) => e.status === 'fail');
  const notCheckable = elements.filter((e) => e.status === 'not-checkable');
  const nonFinite = elements.filter((e) => e.status === 'nonfinite');
  const failed = failures.length > 0 || reentrancy.length > 0 || zeroGradient.some((z) => z.kind === 'fail');
  const report: GradcheckReport = {
    verdict: failed ? 'fail' : notCheckable.length + nonFinite.length > 0 ? 'incomplete' : 'pass',
    mode,
    method,
    dtype,
    rtol,
    evaluations: count.n,
    detached: backwards === null,
    elements,
    failures,
    notCheckable,
    nonFinite,
    reentrancy,
    zeroGradient,
  };
  if (failed && throwOnFailure) throw new GradcheckError(describeFailure(report), report);
  return report;
}

/**
 * One checked element, its fields set in one order whatever the mode and the verdict (a reason
 * or none), so that every reader of the reports sees objects of one shape.
 */
function elementCheck(output: string, input: string, analytical: number, numerical: number, errorEstimate: number, step: number, at: ElementCheck['at'], direction: ElementCheck['direction'], verdict: Judged): ElementCheck {
  const { tolerance, noiseFloor, status, reason } = verdict;
  return { output, input, analytical, numerical, errorEstimate, relativeError: relativeError(analytical, numerical), step, at, direction, tolerance, noiseFloor, status, reason };
}

function fullMode(setup: Setup, data: Float64Array[], base: Sample, backwards: Backwards | null, method: Method, rtol: number, reentrancy: string[], count: { n: number }): ElementCheck[] {
  const m = base.values.length;
  const outputs = Array.from({ length: m }, (_, i) => label('output', setup.outShape, i));
  const rows: Float64Array[][] = [];
  for (let i = 0; i < m; i++) {
    const seed = new Float64Array(m);
    seed[i] = 1;
    rows.push(analyticalRows(backwards, setup, seed, outputs[i], reentrancy));
  }
  const seeds = packedMap(rows, (_, i) => {
    const seed = new Float64Array(m);
    seed[i] = 1;
    return seed;
  });
  const scales = packedMap(seeds, (seed) => roundingScale(base.out, seed, setup.dtype));
  const h1 = baseStep(method, setup.dtype);
  const elements: ElementCheck[] = [];
  for (let j = 0; j < setup.shapes.length; j++) {
    const shape = setup.shapes[j];
    if (!setup.differentiable[j]) continue;
    for (let k = 0; k < data[j].length; k++) {
      const x = data[j][k];
      const what = label(setup.names[j], shape, k);
      const probe = (t: number): Sample => {
        const moved = data.slice();
        const copy = data[j].slice();
        copy[k] = round(setup.dtype, x + t);
        moved[j] = copy;
        return sample(setup, moved, copy[k] - x, () => `${what} ${t >= 0 ? '+' : '−'} ${Math.abs(t)}`);
      };
      const line = differentiateLine(method, h1 * powerOfTwoScale(x), base, m, probe, count);
      const underflow = adjointUnderflow(setup.dtype, forwardSensitivity(base, line.inner, line.step));
      for (let i = 0; i < m; i++) {
        const analytical = rows[i][j][k];
        const scale = stencilScale(scales[i], line.ends, seeds[i], setup.dtype);
        const noise = noiseFloor(method, setup.dtype, scale, line.magnitude[i], line.step);
        const verdict = judge(line.numerical[i], line.estimate[i], analytical, { noise, floor: rtol * Math.abs(analytical) + underflow }, line.kink ?? scale.singular, line.nonfinite[i]);
        elements.push(elementCheck(outputs[i], what, analytical, line.numerical[i], line.estimate[i], line.step, { output: i, input: j, element: k }, undefined, verdict));
      }
    }
  }
  return elements;
}


function fastMode(setup: Setup, data: Float64Array[], base: Sample, backwards: Backwards | null, method: Method, rtol: number, settings: Settings, reentrancy: string[], count: { n: number }): ElementCheck[] {
  const directions = settings.directions;
  const rng = new Random(settings.seed);
  const u = unitRoundoff(setup.dtype);
  const h = baseStep(method, setup.dtype);
  const steps = byMethod(STENCIL_MULTIPLES, method).flatMap((k) => Array.from({ length: MAX_SHRINKS + 1 }, (_, a) => (k * h) / SHRINK_FACTOR ** a));
  const m = base.values.length;
  const elements: ElementCheck[] = [];
  const total = data.reduce((acc, d, j) => acc + (setup.differentiable[j] ? d.length : 0), 0);
  for (let d = 1; d <= directions; d++) {
    const tag = `direction ${d} of ${directions}`;
    const v = direction(rng, m);
    const dirs = packedMap(data, (x, j) => (setup.differentiable[j] ? exactDirection(rng, x, steps, setup.dtype) : new Float64Array(x.length)));
    const w = analyticalRows(backwards, setup, v, `vᵀ·output (${tag})`, reentrancy);
    let analytical = 0;
    let dotScale = 0;
    w.forEach((g, j) => {
      for (let k = 0; k < g.length; k++) {
        analytical += g[k] * dirs[j][k];
        dotScale += Math.abs(g[k] * dirs[j][k]);
      }
    });
    const scale = roundingScale(base.out, v, setup.dtype);
    const project = (s: Sample): Sample => {
      let phi = 0;
      for (let i = 0; i < m; i++) phi += v[i] * s.values[i];
      return { offset: s.offset, values: new Float64Array([phi]), sites: s.sites, out: s.out, nodes: s.nodes };
    };
    const probe = (t: number): Sample => {
      const moved = packedMap(data, (x, j) => (setup.differentiable[j] ? moveAlong(x, t, dirs[j], setup.dtype) : x));
      return project(sample(setup, moved, t, () => `x + ${t}·u (${tag})`));
    };
    const line = differentiateLine(method, h, project(base), 1, probe, count);
    // vᵀf may cancel, so its noise scales with Σ|v·f| rather than |vᵀf|.
    const spread = base.values.reduce((acc, f, i) => acc + Math.abs(v[i] * f), 0);
    const overStencil = stencilScale(scale, line.ends, v, setup.dtype);
    const noise = noiseFloor(method, setup.dtype, overStencil, Math.max(line.magnitude[0], spread), line.step);
    // Relative to Σ|w·u| rather than |wᵀu|, which may cancel; the analytical dot product of
    // `total` terms carries up to total·u·Σ|w·u| of its own rounding on top.
    const floor = (rtol + total * u) * dotScale + adjointUnderflow(setup.dtype, forwardSensitivity(base, line.inner, line.step));
    const verdict = judge(line.numerical[0], line.estimate[0], analytical, { noise, floor }, line.kink ?? overStencil.singular, line.nonfinite[0]);
    elements.push(elementCheck(`vᵀ·output (${tag})`, `u (${tag}, ${total} elements)`, analytical, line.numerical[0], line.estimate[0], line.step, undefined, { v, u: dirs, w }, verdict));
  }
  return elements;
}
