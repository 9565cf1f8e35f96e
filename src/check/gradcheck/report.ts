/**
 * What gradcheck reports: its options, one checked element, the report, the error it throws,
 * and the report in words.
 */
import type { Dtype } from '../../backends/backend.ts';
import type { Shape } from '../../engine/index.ts';

export type Method = 'central' | 'richardson';
export type Mode = 'full' | 'fast';

export interface GradcheckOptions {
  /** 'full' (default): every Jacobian element; 'fast': vᵀJu along random directions. */
  mode?: Mode;
  /** 'richardson' (default) or 'central'. */
  method?: Method;
  /** The precision the function computes in; it sets the steps and the default tolerances. */
  dtype?: Dtype;
  /** A name per input, for reports and errors (default x0, x1, ...). */
  names?: readonly string[];
  /** Fast mode: how many (u, v) direction pairs (default 4). */
  directions?: number;
  /** Fast mode: the seed of the directions (default 0). */
  seed?: number;
  /** Replaces the default relative tolerance of the method and dtype (see DEFAULT_TOLERANCES). */
  rtol?: number;
  /** Throw a GradcheckError naming the first failure instead of only returning the report. */
  throwOnFailure?: boolean;
}

export type ElementStatus = 'pass' | 'fail' | 'not-checkable' | 'nonfinite';

/** One checked quantity: a Jacobian element in full mode, vᵀJu for one direction in fast mode. */
export interface ElementCheck {
  /** The output element, e.g. `output[1, 0]`, or `vᵀ·output (direction 2 of 4)` in fast mode. */
  output: string;
  /** The input element, e.g. `w[0, 2]`, or `u (direction 2 of 4)` in fast mode. */
  input: string;
  analytical: number;
  numerical: number;
  /** The difference method's own estimate of its error (truncation and the noise it sees). */
  errorEstimate: number;
  /** The rounding noise the stencil carries at the least (see noiseFloor). */
  noiseFloor: number;
  /** 2·errorEstimate + noiseFloor + rtol times the analytical scale + the analytical side's subnormal allowance. */
  tolerance: number;
  /** |numerical − analytical| / max(|numerical|, |analytical|), 0 when both are 0. */
  relativeError: number;
  status: ElementStatus;
  /** Why an element is not checkable or not finite. */
  reason?: string;
  /** The base step the stencil finally used (it shrinks away from kinks). */
  step: number;
  /** Full mode: flat indices of the output element, the input and the input's element. */
  at?: { output: number; input: number; element: number };
  /** Fast mode: the directions (v over the output, u over each input) and w = vᵀJ per input. */
  direction?: { v: Float64Array; u: Float64Array[]; w: Float64Array[] };
}

export interface ZeroGradientFinding {
  input: string;
  value: number;
  /** 'singular': NaN from 0·∞ at a singular point the report names; 'fail': anything else nonzero. */
  kind: 'singular' | 'fail';
  reason: string;
}

export interface GradcheckReport {
  verdict: 'pass' | 'fail' | 'incomplete';
  mode: Mode;
  method: Method;
  dtype: Dtype;
  rtol: number;
  /** Function evaluations spent on differences (the base evaluation excluded). */
  evaluations: number;
  /** True when the output has no graph back to any input: every analytical gradient is 0. */
  detached: boolean;
  elements: ElementCheck[];
  failures: ElementCheck[];
  notCheckable: ElementCheck[];
  nonFinite: ElementCheck[];
  /** Gradient elements where two identical backward calls disagree. */
  reentrancy: string[];
  zeroGradient: ZeroGradientFinding[];
}

export class GradcheckError extends Error {
  constructor(
    message: string,
    readonly report: GradcheckReport,
  ) {
    super(message);
    this.name = 'GradcheckError';
  }
}

// ---------------------------------------------------------------- labels

export function multiIndex(shape: Shape, flat: number): string {
  if (shape.length === 0) return '';
  const idx: number[] = [];
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `[${idx.join(', ')}]`;
}

export const label = (name: string, shape: Shape, flat: number): string => `${name}${multiIndex(shape, flat)}`;

// ---------------------------------------------------------------- messages

function describeElement(e: ElementCheck, report: GradcheckReport): string {
  return (
    `${e.output} with respect to ${e.input}: numerical ${e.numerical} (error estimate ${e.errorEstimate.toPrecision(2)}), ` +
    `analytical ${e.analytical}, relative error ${e.relativeError.toPrecision(3)} (tolerance ${e.tolerance.toPrecision(3)}, ${report.method}, ${report.dtype})`
  );
}

/** The first failure in words, with the count of the others. */
export function describeFailure(report: GradcheckReport): string {
  const lines: string[] = [];
  if (report.failures.length > 0) {
    lines.push(`gradcheck: ${describeElement(report.failures[0], report)}`);
    if (report.failures.length > 1) lines.push(`  and ${report.failures.length - 1} more mismatched element(s)`);
    if (report.mode === 'fast') lines.push('  (fast mode checks directions; run mode "full" to locate the element)');
  }
  for (const r of report.reentrancy) lines.push(`gradcheck: reentrancy: ${r}`);
  for (const z of report.zeroGradient) if (z.kind === 'fail') lines.push(`gradcheck: zero upstream gradient: ${z.input} is ${z.value}: ${z.reason}`);
  return lines.join('\n');
}

/** A report in a few lines: the verdict, the counts, every failure, and what could not be checked. */
export function formatReport(report: GradcheckReport): string {
  const passed = report.elements.length - report.failures.length - report.notCheckable.length - report.nonFinite.length;
  const lines = [
    `gradcheck ${report.verdict}: ${report.mode} mode, ${report.method}, ${report.dtype}, rtol ${report.rtol.toPrecision(2)}, ${report.evaluations} evaluations` +
      `: ${passed} passed, ${report.failures.length} failed, ${report.notCheckable.length} not checkable, ${report.nonFinite.length} not finite`,
  ];
  if (report.detached) lines.push('  the output has no graph back to the inputs: every analytical gradient is 0');
  for (const e of report.failures) lines.push(`  FAIL ${describeElement(e, report)}`);
  for (const e of report.nonFinite) lines.push(`  NOT FINITE ${e.output} with respect to ${e.input}: ${e.reason}`);
  for (const e of report.notCheckable) lines.push(`  NOT CHECKABLE ${e.output} with respect to ${e.input}: ${e.reason}`);
  for (const r of report.reentrancy) lines.push(`  REENTRANCY ${r}`);
  for (const z of report.zeroGradient) lines.push(`  ZERO UPSTREAM ${z.kind === 'fail' ? 'FAIL' : 'singular'} ${z.input} = ${z.value}: ${z.reason}`);
  return lines.join('\n');
}
