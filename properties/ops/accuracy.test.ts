/** docs/ops.md's accuracy table is the one the ops.* claims read: OP_ACCURACY, row for row. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPS } from '../../src/engine/index.ts';
import { OP_ACCURACY } from './accuracy.ts';

describe("docs/ops.md's accuracy table", () => {
  const page = readFileSync(new URL('../../docs/ops.md', import.meta.url), 'utf8');
  const section = page.slice(page.indexOf('## Accuracy'), page.indexOf('## The subgradient policy'));

  it('states, for every op of the engine and no other, the accuracy the claims use', () => {
    const rows = [...section.matchAll(/^\| `(\w+)` \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (self|terms) \|$/gm)];
    const documented = Object.fromEntries(
      rows.map(([, op, v64, g64, v32, g32, scale]) => [op, { value: { float64: +v64, float32: +v32 }, grad: { float64: +g64, float32: +g32 }, scale }]),
    );
    expect(documented).toEqual(OP_ACCURACY);
    expect(Object.keys(documented).sort()).toEqual(Object.keys(OPS).sort());
  });
});
