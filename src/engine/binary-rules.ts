/**
 * An elementwise binary op. f, da and db give the value and the two rates d(output)/d(a)·g and
 * d(output)/d(b)·g at one element, for operands that broadcast. Operands of one shape, the common
 * case, go through the loops `forward`, `gradA` and `gradB`, which spell the same arithmetic per
 * op, as the unary ops do: through a callback shared by the four ops, every element would be an
 * indirect call. binary-rules.test.ts checks each loop against its element function, bit for bit.
 * A rate that is g itself (add's, and sub's for a) has no loop: backward hands g on as it is,
 * with neither an array to allocate nor a copy to make.
 */
export interface BinaryRule {
  name: string;
  savesTensors: boolean;
  f(a: number, b: number): number;
  da(g: number, a: number, b: number): number;
  db(g: number, a: number, b: number): number;
  forward(as: Float64Array, bs: Float64Array, out: Float64Array): void;
  /** null: the rate is g itself. */
  gradA: GradLoop | null;
  gradB: GradLoop | null;
}

type GradLoop = (g: Float64Array, as: Float64Array, bs: Float64Array, out: Float64Array) => void;

export const binaryRules = {
  add: {
    name: 'add',
    savesTensors: false,
    f: (a, b) => a + b,
    da: (g) => g,
    db: (g) => g,
    forward: (as, bs, out) => { for (let i = 0; i < out.length; i++) out[i] = as[i] + bs[i]; },
    gradA: null,
    gradB: null,
  },
  sub: {
    name: 'sub',
    savesTensors: false,
    f: (a, b) => a - b,
    da: (g) => g,
    db: (g) => -g,
    forward: (as, bs, out) => { for (let i = 0; i < out.length; i++) out[i] = as[i] - bs[i]; },
    gradA: null,
    gradB: (g, _as, _bs, out) => { for (let i = 0; i < out.length; i++) out[i] = -g[i]; },
  },
  mul: {
    name: 'mul',
    savesTensors: true,
    f: (a, b) => a * b,
    da: (g, _a, b) => g * b,
    db: (g, a) => g * a,
    forward: (as, bs, out) => { for (let i = 0; i < out.length; i++) out[i] = as[i] * bs[i]; },
    gradA: (g, _as, bs, out) => { for (let i = 0; i < out.length; i++) out[i] = g[i] * bs[i]; },
    gradB: (g, as, _bs, out) => { for (let i = 0; i < out.length; i++) out[i] = g[i] * as[i]; },
  },
  // PyTorch's form for the divisor, −g·((a/b)/b): b·b would overflow past 1.3e154 and underflow for tiny b.
  div: {
    name: 'div',
    savesTensors: true,
    f: (a, b) => a / b,
    da: (g, _a, b) => g / b,
    db: (g, a, b) => -g * (a / b / b),
    forward: (as, bs, out) => { for (let i = 0; i < out.length; i++) out[i] = as[i] / bs[i]; },
    gradA: (g, _as, bs, out) => { for (let i = 0; i < out.length; i++) out[i] = g[i] / bs[i]; },
    gradB: (g, as, bs, out) => { for (let i = 0; i < out.length; i++) out[i] = -g[i] * (as[i] / bs[i] / bs[i]); },
  },
} satisfies Record<string, BinaryRule>;
