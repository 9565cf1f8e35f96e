import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALL_CLAIMS } from '../../properties/index.ts';
import { loadBackend } from '../backends/load.ts';
import { runClaim } from '../runner/run.ts';
import { runCli } from './testdata/run-cli.ts';
import { differences } from './replay.ts';

const BROKEN = 'src/cli/testdata/half-dropped-backend.ts';

const run = runCli;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('regproof replay', () => {
  it('sends a failing case\'s requests to the backend and the reference and shows where they part', async () => {
    const claim = ALL_CLAIMS.find((c) => c.id === 'l2.half-square-is-weight-decay')!;
    const result = await runClaim(claim, await loadBackend({ backend: BROKEN }), { runs: 10, seed: 1 }, { failuresDir: mkdtempSync(join(tmpdir(), 'regproof-replay-')) });
    const file = result.failure!.requestFile!;
    const r = await run(['replay', file, '--backend', BROKEN]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`regproof replay: ${file}, from claim l2.half-square-is-weight-decay on backend half-dropped`);
    // The penalty request is where the broken backend parts from the reference; weight decay is not.
    expect(r.out).toMatch(/request 1 of 2: runTrain \{"kind":"train".*"recipe":"half-pow-sum"[\s\S]*backend half-dropped: \{"losses"[\s\S]*reference: \{"losses"[\s\S]*\d+ values? differ:\n {4}(losses|params|grads)\[/);
    expect(r.out).toMatch(/request 2 of 2: runTrain [^\n]*"penalty":null[\s\S]*identical, bit for bit/);
    expect(r.out).toMatch(/2 requests: 1 differ, 0 could not be compared/);

    const same = await run(['replay', file, '--backend', 'reference']);
    expect(same.code).toBe(0);
    expect(same.out).toMatch(/2 requests: 0 differ/);
  });

  it.each([
    [['replay'], /give the request file/],
    [['replay', '/nonexistent/req.json'], /cannot read \/nonexistent\/req\.json \(ENOENT\)/],
    [['replay', 'NOTJSON'], /is not valid JSON/],
    [['replay', 'SHAPE'], /is not a regproof request file \(format: /],
    [['replay', 'CASE'], /requests\.0\.case: [\s\S]*steps: expected an integer/],
  ])('rejects %j with a message naming the problem', async (argv, message) => {
    const d = mkdtempSync(join(tmpdir(), 'regproof-replay-'));
    const files: Record<string, string> = {
      NOTJSON: '{"format": "regproof-req',
      SHAPE: JSON.stringify({ claim: 'x', requests: [] }),
      CASE: JSON.stringify({ format: 'regproof-request', version: 1, claim: 'x', backend: 'y', message: 'm', requests: [{ method: 'runTrain', case: { kind: 'train', version: 1 } }] }),
    };
    const args = argv.map((a) => (a in files ? (writeFileSync(join(d, a), files[a]), join(d, a)) : a));
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('compares bit for bit: −0 is not 0, NaN is NaN, lengths and missing keys count', () => {
    expect(differences({ a: [1, -0, NaN] }, { a: [1, 0, NaN] })).toEqual([{ path: 'a[1]', backend: -0, reference: 0 }]);
    expect(differences({ a: [1] }, { a: [1, 2] })).toEqual([{ path: 'a.length', backend: 1, reference: 2 }]);
    expect(differences({ a: 1 }, { a: 1, b: null })).toEqual([{ path: 'b', backend: undefined, reference: null }]);
  });
});
