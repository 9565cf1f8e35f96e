/**
 * The arithmetic the reference optimizers do their updates in, one object per mode and dtype.
 *
 * - 'plain': every operation rounded on its own, in the order the update is written; in float64
 *   this is the order the metamorphic bit-identity claims (manual L2 versus weight_decay) rest on.
 * - 'pytorch': PyTorch 1.13's CPU kernels, as measured against them: `add(self, other, alpha)` and
 *   `addcmul` end in one fused multiply-add (self + alpha·other; self + (value·t1)·t2 with value·t1
 *   rounded first); `addcdiv` does not fuse (self + (value·t1)/t2, three roundings); division by a
 *   scalar is a true division. Python's `beta ** step` is a correctly rounded power.
 *
 * In float32 every result is rounded to float32, and each Python double a kernel receives as a
 * scalar (lr, betas, 1 − β, eps, ...) is first rounded to float32, as PyTorch's kernels do.
 */
import type { Dtype } from '../backends/backend.ts';
import { fma, fma32 } from './fma.ts';
import { powInt } from './pow.ts';

export type ArithMode = 'plain' | 'pytorch';
export const ARITH_MODES: readonly ArithMode[] = ['plain', 'pytorch'];

export interface Arith {
  readonly mode: ArithMode;
  readonly dtype: Dtype;
  /** A Python double handed to a kernel as a scalar argument. */
  scalar(x: number): number;
  add(a: number, b: number): number;
  mul(a: number, b: number): number;
  div(a: number, b: number): number;
  sqrt(a: number): number;
  /** torch.add(self, other, alpha=alpha). */
  addScaled(self: number, alpha: number, other: number): number;
  /** torch.addcmul(self, t1, t2, value=value). */
  addcmul(self: number, value: number, t1: number, t2: number): number;
  /** torch.addcdiv(self, t1, t2, value=value). */
  addcdiv(self: number, value: number, t1: number, t2: number): number;
  /** Python's `base ** k` for an integer k ≥ 0, in double whatever the dtype. */
  pow(base: number, k: number): number;
}

const plain64: Arith = {
  mode: 'plain',
  dtype: 'float64',
  scalar: (x) => x,
  add: (a, b) => a + b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  sqrt: Math.sqrt,
  addScaled: (self, alpha, other) => self + alpha * other,
  addcmul: (self, value, t1, t2) => self + value * t1 * t2,
  addcdiv: (self, value, t1, t2) => self + (value * t1) / t2,
  pow: (base, k) => base ** k,
};

const pytorch64: Arith = {
  ...plain64,
  mode: 'pytorch',
  addScaled: (self, alpha, other) => fma(alpha, other, self),
  addcmul: (self, value, t1, t2) => fma(value * t1, t2, self),
  pow: powInt,
};

// Sums, products, quotients and square roots of float32 values are rounded correctly by rounding
// the double result: 53 ≥ 2·24 + 2 bits make the double rounding innocuous (Figueroa, 1995).
const f = Math.fround;

const plain32: Arith = {
  mode: 'plain',
  dtype: 'float32',
  scalar: f,
  add: (a, b) => f(a + b),
  mul: (a, b) => f(a * b),
  div: (a, b) => f(a / b),
  sqrt: (a) => f(Math.sqrt(a)),
  addScaled: (self, alpha, other) => f(self + f(alpha * other)),
  addcmul: (self, value, t1, t2) => f(self + f(f(value * t1) * t2)),
  addcdiv: (self, value, t1, t2) => f(self + f(f(value * t1) / t2)),
  pow: (base, k) => base ** k,
};

const pytorch32: Arith = {
  ...plain32,
  mode: 'pytorch',
  addScaled: (self, alpha, other) => fma32(alpha, other, self),
  addcmul: (self, value, t1, t2) => fma32(f(value * t1), t2, self),
  pow: powInt,
};

const MODES: Record<ArithMode, Record<Dtype, Arith>> = {
  plain: { float64: plain64, float32: plain32 },
  pytorch: { float64: pytorch64, float32: pytorch32 },
};

export function arithmetic(mode: ArithMode, dtype: Dtype = 'float64'): Arith {
  const found = MODES[mode]?.[dtype];
  if (found === undefined) {
    throw new RangeError(
      `arithmetic: unknown mode '${String(mode)}' or dtype '${String(dtype)}' (modes: ${ARITH_MODES.join(', ')}; dtypes: float64, float32)`,
    );
  }
  return found;
}

export const PLAIN: Arith = plain64;
