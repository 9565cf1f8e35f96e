import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALL_CLAIMS } from '../../properties/index.ts';
import { splitCommand } from '../backends/load.ts';
import { decodeJson } from '../cases/json.ts';
import { main } from './main.ts';
import { shardClaims } from './verify.ts';

const BROKEN = 'src/cli/testdata/half-dropped-backend.ts';
const dir = mkdtempSync(join(tmpdir(), 'regproof-verify-'));

function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return main(argv).then((code) => ({ code, out: out.join(''), err: err.join('') }));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('verify against a user backend module', () => {
  const only = ['--only', 'l2.half-square-is-weight-decay,l2.square-without-half-is-double', '--runs', '20'];

  it('exits 1 and prints a repro when a claim fails', async () => {
    const r = await run(['verify', '--backend', BROKEN, ...only]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/l2\.half-square-is-weight-decay\s+FAIL/);
    expect(r.out).toMatch(/rerun: REGPROOF_SEED=\d+ npx regproof verify --only l2\.half-square-is-weight-decay/);
    expect(r.out).toMatch(/shrunk case: \[\{"case":\{"kind":"train"/);
  });

  it('accepts an expected failure with its reason, and flags a stale expectation', async () => {
    const expectFile = join(dir, 'expect.json');
    writeFileSync(expectFile, JSON.stringify({ expected: [{ claim: 'l2.half-square-is-weight-decay', reason: 'this backend drops the 0.5' }] }));
    const ok = await run(['verify', '--backend', BROKEN, ...only, '--expect', expectFile, '--json', join(dir, 'r.json'), '--junit', join(dir, 'r.xml')]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/expected failure l2\.half-square-is-weight-decay: this backend drops the 0.5/);
    const report = decodeJson(readFileSync(join(dir, 'r.json'), 'utf8')) as { summary: Record<string, number>; results: { id: string; outcome: string }[] };
    expect(report.summary).toMatchObject({ pass: 1, 'expected-fail': 1, fail: 0 });
    const junit = readFileSync(join(dir, 'r.xml'), 'utf8');
    expect(junit).toMatch(/<testsuite name="regproof \(half-dropped\)" tests="2" failures="0" errors="0" skipped="1"/);
    expect(junit).toMatch(/<skipped message="expected failure: this backend drops the 0.5"\/>/);

    writeFileSync(expectFile, JSON.stringify({ expected: [{ claim: 'l2.square-without-half-is-double', reason: 'wrongly listed' }] }));
    const stale = await run(['verify', '--backend', BROKEN, ...only, '--expect', expectFile]);
    expect(stale.code).toBe(1);
    expect(stale.out).toMatch(/stale expectation l2\.square-without-half-is-double: expected to fail \(wrongly listed\) but it passed/);
  });

  it('rejects a malformed expectation file by field', async () => {
    const expectFile = join(dir, 'bad.json');
    writeFileSync(expectFile, JSON.stringify({ expected: [{ claim: 'no.such.claim', reason: 'x' }] }));
    expect((await run(['verify', '--expect', expectFile])).err).toMatch(/expected\.0\.claim: no claim 'no\.such\.claim'/);
    writeFileSync(expectFile, JSON.stringify({ expected: [{ claim: 'mse.mean-divides-by-every-element' }] }));
    expect((await run(['verify', '--expect', expectFile])).err).toMatch(/expected\.0\.reason/);
  });

  it('names a backend that is neither built in nor a file', async () => {
    const r = await run(['verify', '--backend', 'nonesuch']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no backend named 'nonesuch' and no such module file/);
  });
});

describe('sharding', () => {
  it('splits the claims into disjoint slices that cover all of them', () => {
    const shards = [1, 2, 3].map((i) => shardClaims(ALL_CLAIMS, `${i}/3`).map((c) => c.id));
    expect(shards.flat().sort()).toEqual(ALL_CLAIMS.map((c) => c.id).sort());
    expect(new Set(shards.flat()).size).toBe(ALL_CLAIMS.length);
  });
  it.each(['0/3', '4/3', '1/0', 'a/b', '2'])('rejects --shard %s', (s) => {
    expect(() => shardClaims(ALL_CLAIMS, s)).toThrow(/--shard must be I\/N/);
  });
});

describe('splitCommand', () => {
  it('splits like a shell without expanding anything', () => {
    expect(splitCommand(`python3 "my adapter.py" --flag='a b' $HOME x\\ y`)).toEqual(['python3', 'my adapter.py', '--flag=a b', '$HOME', 'x y']);
  });
  it('rejects unterminated quotes and empty commands', () => {
    expect(() => splitCommand('python3 "oops')).toThrow(/unterminated " quote/);
    expect(() => splitCommand('   ')).toThrow(/empty/);
  });
});
