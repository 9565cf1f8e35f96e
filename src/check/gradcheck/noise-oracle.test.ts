/**
 * roundingScale and stencilScale against a reference: the documented formula written out per
 * seed, with nothing shared between seeds, passes or calls. The fast code must give the same bits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { graphArb } from '../../../properties/gradcheck.ts';
import type { Dtype } from '../../backends/backend.ts';
import { apply, fromData, type OpDef, type Tensor } from '../../engine/index.ts';
import { engineFunction } from '../oracle.ts';
import { topologicalOrder } from './graph.ts';
import { roundingScale, stencilScale, type RoundingScale } from './noise.ts';
import { radiusRule } from './radii.ts';
import type { Sample } from './stencils.ts';
import { NOISE_ROUNDINGS, SUBNORMAL_SPACING, unitRoundoff } from './tolerances.ts';

/** Each computed value's radius: NOISE_ROUNDINGS·(u·|v| + η) plus what its operands' radii reach it by. */
function radii(order: Tensor[], dtype: Dtype): (Float64Array | null)[] {
  const r: (Float64Array | null)[] = [];
  for (const t of order) {
    if (t.node === null) {
      r.push(null);
      continue;
    }
    const own = t.data.map((v) => NOISE_ROUNDINGS * (unitRoundoff(dtype) * Math.abs(v) + SUBNORMAL_SPACING[dtype]));
    const inherited = t.node.inputs.map((input) => r[order.indexOf(input)]);
    if (inherited.some((x) => x !== null)) radiusRule(t.node.op.name)(t, inherited, own);
    r.push(own);
  }
  return r;
}

/** One reverse pass with the ops' own rules, every value (operand and result) taken from `values`. */
function adjoints(order: Tensor[], values: Tensor[], seed: Float64Array): (Float64Array | null)[] {
  const adj: (Float64Array | null)[] = order.map(() => null);
  adj[order.length - 1] = Float64Array.from(seed);
  for (let n = order.length - 1; n >= 0; n--) {
    const node = order[n].node;
    const g = adj[n];
    if (node === null || g === null) continue;
    const where = node.inputs.map((input) => order.indexOf(input));
    const needsGrad = node.inputs.map((input) => input.requiresGrad);
    const grads = node.op.backward(g, { inputs: where.map((p) => values[p]), output: values[n], attrs: node.attrs, needsGrad });
    where.forEach((p, i) => {
      const gi = grads[i];
      if (!needsGrad[i] || gi === null) return;
      const before = adj[p];
      adj[p] = before === null ? Float64Array.from(gi) : before.map((x, k) => x + gi[k]);
    });
  }
  return adj;
}

/** The doc comment of roundingScale, per seed: adjoints at the computed point and both corners. */
function referenceScale(out: Tensor, seed: Float64Array, dtype: Dtype): RoundingScale {
  const { order } = topologicalOrder(out);
  const r = radii(order, dtype);
  const corner = (sign: number): Tensor[] =>
    order.map((t, n) => {
      const rn = r[n];
      return rn === null ? t : fromData(t.data.map((v, e) => (Number.isFinite(rn[e]) ? v + sign * rn[e] : v)), t.shape);
    });
  const [at, plus, minus] = [order, corner(1), corner(-1)].map((values) => adjoints(order, values, seed));
  const scale: RoundingScale = { relative: 0, absolute: 0, underflow: 0, singular: null };
  order.forEach((t, n) => {
    const g = at[n];
    if (g === null) return;
    t.data.forEach((value, e) => {
      if (!Number.isFinite(value)) return;
      if (!Number.isFinite(g[e])) {
        if (t.node !== null && scale.singular === null) {
          scale.singular = `the output's derivative with respect to a computed value of op '${t.node.op.name}' is not finite (a pole, or an overflow in backward), so its rounding noise has no bound`;
        }
        return;
      }
      // The largest finite magnitude among the three adjoints.
      let a = Math.abs(g[e]);
      for (const other of [plus[n], minus[n]]) {
        const o = other === null ? 0 : Math.abs(other[e]);
        if (Number.isFinite(o) && o > a) a = o;
      }
      scale.relative += Math.abs(value) * a;
      scale.absolute += a;
    });
    const node = t.node;
    if (node !== null && node.op.name === 'norm' && (node.attrs as { p: number }).p === 2 && Number.isFinite(g[0])) {
      scale.underflow += Math.abs(g[0]) * Math.sqrt(node.inputs[0].size);
    }
  });
  return scale;
}

// Values with the points that matter: zeros of both signs (kinks, poles), subnormals, values whose
// squares underflow, huge values (overflow in exp and in backward), and values that are not finite.
const SPECIALS = [0, -0, 5e-324, -5e-324, 2 ** -1022, 1e-160, -1e-300, 1e-20, 1, -1, 1e154, 1e300, 710, Infinity, NaN];
const valueArb = fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.constantFrom(...SPECIALS), fc.double());
const dtypeArb = fc.constantFrom<Dtype>('float64', 'float32');

interface Case {
  out: Tensor;
  ends: [Tensor, Tensor];
  dtype: Dtype;
}

const NAMES = ['a', 'b', 'c'];
const leavesArb = fc.tuple(fc.array(valueArb, { minLength: 4, maxLength: 4 }), fc.array(valueArb, { minLength: 4, maxLength: 4 }), valueArb, fc.boolean());

/** A random graph at three points (a base and two ends), as the driver samples a stencil. */
const caseArb: fc.Arbitrary<Case> = fc.tuple(graphArb({ smooth: false, maxDepth: 4 }), dtypeArb, leavesArb, leavesArb, leavesArb).map(([graph, dtype, ...points]) => {
  const fn = engineFunction(graph, NAMES, dtype);
  const [out, lo, hi] = points.map(([a, b, c, constantC]) =>
    fn(fromData(a, [2, 2], { requiresGrad: true }), fromData(b, [2, 2], { requiresGrad: true }), fromData([c], [], { requiresGrad: !constantC })),
  );
  return { out, ends: [lo, hi], dtype };
});

/** Seeds as the driver makes them: unit vectors (full mode) and random directions (fast mode), and odd ones. */
function seedsArb(size: number): fc.Arbitrary<Float64Array[]> {
  const unit = fc.nat(size - 1).map((i) => Float64Array.from({ length: size }, (_, k) => (k === i ? 1 : 0)));
  const any = fc.array(valueArb, { minLength: size, maxLength: size }).map((v) => Float64Array.from(v));
  return fc.array(fc.oneof(unit, any), { minLength: 1, maxLength: 5 });
}

const sampleOf = (out: Tensor): Sample => ({ offset: 0, values: out.data, sites: [], out, nodes: null });

describe('roundingScale and stencilScale against the per-seed reference', () => {
  it('give the same bits for every graph, seed and dtype, seed after seed on the same outputs', () => {
    fc.assert(
      fc.property(
        caseArb.chain((c) => fc.tuple(fc.constant(c), seedsArb(c.out.size))),
        ([{ out, ends, dtype }, seeds]) => {
          for (const seed of seeds) {
            const before = seed.slice();
            const at = roundingScale(out, seed, dtype);
            expect(at).toEqual(referenceScale(out, seed, dtype));
            const over = stencilScale(at, [sampleOf(ends[0]), sampleOf(ends[1])], seed, dtype);
            const each = [at, ...ends.map((end) => referenceScale(end, seed, dtype))];
            expect(over).toEqual({
              relative: Math.max(...each.map((s) => s.relative)),
              absolute: Math.max(...each.map((s) => s.absolute)),
              underflow: Math.max(...each.map((s) => s.underflow)),
              singular: each.find((s) => s.singular !== null)?.singular ?? null,
            });
            expect(seed).toEqual(before);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it("give the same bits for an op defined outside the engine, whatever its savesTensors says", () => {
    // x³ whose backward reads x, declared as saving nothing: the engine's own flags are trusted,
    // a user's are not, so its rule is called at each corner with the values moved there.
    const cube: OpDef = {
      name: 'cube',
      savesTensors: false,
      forward: ([x]) => ({ data: x.data.map((v) => v * v * v), shape: x.shape }),
      backward: (g, { inputs: [x] }) => [g.map((gi, k) => gi * 3 * x.data[k] * x.data[k])],
    };
    const x = fromData([0.7, -1.3, 2.9], [3], { requiresGrad: true });
    const out = apply(cube, [apply(cube, [x], undefined)], undefined);
    for (const dtype of ['float64', 'float32'] as const) {
      const seed = new Float64Array([1, 1, 1]);
      expect(roundingScale(out, seed, dtype)).toEqual(referenceScale(out, seed, dtype));
    }
  });
});
