/**
 * Kinks and singular points: where each op is not differentiable, and whether a stencil
 * straddles one.
 */
import type { OpName, Tensor } from '../../engine/index.ts';
import { graphNodes } from './graph.ts';
import type { Sample } from './stencils.ts';

/**
 * Where an op is not differentiable. 'sign': at each operand element that is 0; 'origin': only
 * where the whole operand tensor is 0 (norm 2). `singular` marks ops whose derivative is
 * infinite there, so that 0·∞ in backward is NaN.
 */
export interface KinkRule {
  operand: number;
  test: 'sign' | 'origin';
  singular: boolean;
  what: string;
}

type KinkOf = (attrs: any) => KinkRule | null;

// Scanned at every stencil point, so a rule that does not depend on the op's attributes is one
// object, handed out again rather than built per scan.
const fixed = (rule: KinkRule): KinkOf => () => rule;
const corner = (what: string): KinkOf => fixed({ operand: 0, test: 'sign', singular: false, what });
const NORM_1: KinkRule = { operand: 0, test: 'sign', singular: false, what: 'norm(1) has a corner wherever an element is 0' };
const NORM_2: KinkRule = { operand: 0, test: 'origin', singular: false, what: 'norm(2) has a corner at the zero tensor' };

/** Every op of the engine's OPS table that has a kink, a jump or a singular point. */
export const KINKS: Partial<Record<OpName, KinkOf>> = {
  abs: corner('|x| has a corner at 0'),
  relu: corner('relu has a corner at 0'),
  sign: corner('sign jumps at 0'),
  sqrt: fixed({ operand: 0, test: 'sign', singular: true, what: 'sqrt has an infinite derivative at 0 and no real value below' }),
  log: fixed({ operand: 0, test: 'sign', singular: true, what: 'log is singular at 0' }),
  div: fixed({ operand: 1, test: 'sign', singular: true, what: 'a/b has a pole where b = 0' }),
  pow: ({ exponent }: { exponent: number }) =>
    Number.isInteger(exponent) && exponent >= 0
      ? null
      : { operand: 0, test: 'sign', singular: exponent < 1, what: `x^${exponent} is not differentiable at 0` },
  norm: ({ p }: { p: 1 | 2 }) => (p === 1 ? NORM_1 : NORM_2),
};

/** The engine's ops that are smooth wherever they are defined. */
export const SMOOTH_OPS: readonly OpName[] = ['neg', 'exp', 'tanh', 'square', 'add', 'sub', 'mul', 'matmul', 'sum', 'mean', 'reshape', 'transpose'];

export interface Site {
  op: string;
  rule: KinkRule;
  values: Float64Array;
}

export interface GraphScan {
  sites: Site[];
  /** An op whose output is not finite, named, or null. */
  nonfiniteOp: string | null;
}

/**
 * The kink sites of the graph below `out`, in a fixed order (depth first from the output), with
 * their operands' values. Ops outside the engine's table are taken as smooth. `nodes` are the
 * graph's computed tensors (graphNodes) when the caller has them already.
 */
export function scanGraph(out: Tensor, nodes: readonly Tensor[] = graphNodes(out)): GraphScan {
  const sites: Site[] = [];
  let nonfiniteOp: string | null = null;
  for (const t of nodes) {
    const { op, inputs, attrs } = t.node!;
    if (nonfiniteOp === null && !allFinite(t.data)) nonfiniteOp = op.name;
    const kinkOf = KINKS[op.name as OpName];
    const rule = kinkOf === undefined ? null : kinkOf(attrs);
    if (rule !== null) sites.push({ op: op.name, rule, values: inputs[rule.operand].data });
  }
  return { sites, nonfiniteOp };
}

function sgn(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN;
}

function allFinite(data: Float64Array): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return false;
  return true;
}

/** Whether an elementwise kink lies between two samples of its operand: some element changes sign. */
function signChanges(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!(sgn(a[i]) === sgn(b[i]))) return true;
  return false;
}

/** ‖a − b‖₂ (‖a‖₂ without b), scaled by the largest element so that squares neither overflow nor underflow. */
function distance(a: Float64Array, b: Float64Array | null): number {
  const d = b === null ? a : a.map((x, i) => x - b[i]);
  let max = 0;
  for (let i = 0; i < d.length; i++) max = Math.max(max, Math.abs(d[i]));
  if (max === 0 || !Number.isFinite(max)) return max;
  let s = 0;
  for (let i = 0; i < d.length; i++) s += (d[i] / max) ** 2;
  return max * Math.sqrt(s);
}

/**
 * Why the stencil straddles a kink, or null.
 * - Elementwise kinks (abs, relu, sign, norm 1, and the singular points of sqrt, log, div, pow):
 *   an operand element has another sign at some sample than at the base, so it changes sign
 *   between two neighbouring samples (whatever their order), and by continuity the kink lies
 *   inside the stencil. A zero touched without a sign change counts too (a kink for sqrt, log
 *   and sign). Two crossings between the same neighbours cancel and go unseen; the error
 *   estimate then grows instead. Without a crossing these ops are smooth on the stencil (abs and relu are
 *   linear there), so nothing closer needs flagging.
 * - norm 2: the kink is the zero tensor, and near it ‖v‖ bends on the scale of its distance from
 *   the origin, even when no element changes sign (‖[1e-300, t]‖ is |t| to the eye of any step).
 *   So the stencil straddles it when the operand comes within twice its own reach (its largest
 *   move from the base sample) of the origin; past that the bend is gentle at every step used.
 */
export function straddle(base: Sample, samples: Sample[]): string | null {
  for (const s of samples) {
    if (s.sites.length !== base.sites.length || s.sites.some((site, i) => site.op !== base.sites[i].op)) return 'the graph changes shape within the stencil';
  }
  const all = [base, ...samples];
  for (let i = 0; i < base.sites.length; i++) {
    const rule = base.sites[i].rule;
    const why = `${rule.what} (op '${base.sites[i].op}', kink site ${i + 1})`;
    if (rule.test === 'sign') {
      if (samples.some((s) => signChanges(base.sites[i].values, s.sites[i].values))) return why;
    } else {
      const reach = Math.max(...all.map((s) => distance(s.sites[i].values, base.sites[i].values)));
      const nearest = Math.min(...all.map((s) => distance(s.sites[i].values, null)));
      if (!(nearest > 2 * reach)) return why;
    }
  }
  return null;
}
