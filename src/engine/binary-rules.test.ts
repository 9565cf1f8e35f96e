import { describe, expect, it } from 'vitest';
import { binaryRules } from './binary-rules.ts';

/** Specials, each paired below with every other, then pseudo-random doubles of every exponent. */
const SPECIALS = [0, -0, NaN, Infinity, -Infinity, 5e-324, -5e-324, 2.2250738585072014e-308, 1.4916681462400413e-154, 1.3407807929942596e154, -3, 1, 1.7976931348623157e308];

function randomDoubles(n: number): Float64Array {
  const bits = new BigUint64Array(n);
  let state = 0x2545f4914f6cdd1dn;
  for (let i = 0; i < n; i++) {
    state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    bits[i] = state;
  }
  return new Float64Array(bits.buffer);
}

/** Three operand arrays of one length: every triple of specials, then random triples. */
function operands(): [Float64Array, Float64Array, Float64Array] {
  const triples: number[][] = [];
  for (const g of SPECIALS) for (const a of SPECIALS) for (const b of SPECIALS) triples.push([g, a, b]);
  const random = randomDoubles(3 * 4096);
  for (let i = 0; i < random.length; i += 3) triples.push([random[i], random[i + 1], random[i + 2]]);
  return [0, 1, 2].map((k) => Float64Array.from(triples, (t) => t[k])) as [Float64Array, Float64Array, Float64Array];
}

describe('binary rules', () => {
  const [g, as, bs] = operands();
  for (const rule of Object.values(binaryRules)) {
    it(`${rule.name}: the same-shape loops give the element functions' values bit for bit`, () => {
      const out = new Float64Array(g.length);
      const differ: string[] = [];
      const check = (loop: string, expected: (i: number) => number) => {
        for (let i = 0; i < out.length; i++) {
          if (!Object.is(out[i], expected(i))) differ.push(`${loop}(g ${g[i]}, a ${as[i]}, b ${bs[i]}): ${out[i]} versus ${expected(i)}`);
        }
      };
      rule.forward(as, bs, out);
      check('forward', (i) => rule.f(as[i], bs[i]));
      // A rule without a loop hands g on: its element function must give g itself.
      (rule.gradA ?? ((g, _as, _bs, into) => into.set(g)))(g, as, bs, out);
      check('gradA', (i) => rule.da(g[i], as[i], bs[i]));
      (rule.gradB ?? ((g, _as, _bs, into) => into.set(g)))(g, as, bs, out);
      check('gradB', (i) => rule.db(g[i], as[i], bs[i]));
      expect(differ.slice(0, 5)).toEqual([]);
    });
  }
});
