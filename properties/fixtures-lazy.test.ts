import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI_FROM_SOURCE } from '../src/cli/testdata/spawn-cli.ts';
import { capabilitiesOf, randomTorchFixtures, torchFixtures } from './fixture-support.ts';
import { claims } from './fixtures.ts';

// In a fresh process, since this worker may have parsed the fixtures already: imports the claims
// with fs.readFileSync counting reads of fixtures/torch, then reads one claim's requires.
const PROBE = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const read = fs.readFileSync;
let reads = 0;
fs.readFileSync = (path, ...rest) => {
  if (String(path).includes('fixtures/torch/')) reads++;
  return read(path, ...rest);
};
syncBuiltinESMExports();
const { ALL_CLAIMS } = await import(${JSON.stringify(new URL('./index.ts', import.meta.url).href)});
const atImport = reads;
const requires = ALL_CLAIMS.find((c) => c.id === 'fixtures.torch-sgd').requires;
console.log(JSON.stringify({ atImport, afterRequires: reads, requires }));
`;

describe('fixture claims', () => {
  it('read no fixture when the claims are imported, only when a runner asks what one requires', () => {
    const out = execFileSync(process.execPath, [CLI_FROM_SOURCE[0], CLI_FROM_SOURCE[1], '--input-type=module', '-e', PROBE], { encoding: 'utf8' });
    const { atImport, afterRequires, requires } = JSON.parse(out) as { atImport: number; afterRequires: number; requires: string[] };
    expect(atImport).toBe(0);
    expect(afterRequires).toBeGreaterThan(0);
    expect(requires.length).toBeGreaterThan(0);
  });

  it("require exactly the capabilities of their fixtures' cases", () => {
    const union = (cases: { case: Parameters<typeof capabilitiesOf>[0] }[]) => new Set(cases.flatMap((f) => capabilitiesOf(f.case)));
    const byId = new Map(claims.map((c) => [c.id, new Set(c.requires)]));
    const float64 = (kind: string) => torchFixtures().filter((f) => f.dtype === 'float64' && f.case.optimizer.kind === kind);
    for (const kind of ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad']) expect(byId.get(`fixtures.torch-${kind}`)).toEqual(union(float64(kind)));
    expect(byId.get('fixtures.torch-gradients-random')).toEqual(union(randomTorchFixtures()));
    expect(byId.get('fixtures.torch-thread-float32')).toEqual(union(torchFixtures().filter((f) => f.dtype === 'float32')));
    const literal = torchFixtures().filter((f) => f.id === 'thread-literal-manual-l2' || f.id === 'thread-literal-weight-decay');
    expect(literal).toHaveLength(2);
    expect(byId.get('fixtures.thread-literal-pair-disagrees')).toEqual(union(literal));
  });
});
