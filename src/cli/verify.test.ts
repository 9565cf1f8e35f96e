import { spawn } from 'node:child_process';
import { CLI_FROM_SOURCE } from './testdata/spawn-cli.ts';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALL_CLAIMS } from '../../properties/index.ts';
import { splitCommand } from '../backends/load.ts';
import { JSDOM } from 'jsdom';
import { referenceBackend } from '../backends/reference.ts';
import { decodeJson } from '../cases/json.ts';
import { runCli } from './testdata/run-cli.ts';
import { exitCode, shardClaims } from './verify.ts';

const BROKEN = 'src/cli/testdata/half-dropped-backend.ts';
const dir = mkdtempSync(join(tmpdir(), 'regproof-verify-'));

const run = runCli;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('verify against a user backend module', () => {
  const only = ['--only', 'l2.half-square-is-weight-decay,l2.square-without-half-is-double', '--runs', '20', '--no-save'];

  it('exits 1 and prints a repro on the same backend when a claim fails', async () => {
    const r = await run(['verify', '--backend', BROKEN, ...only, '--seed', '3']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/l2\.half-square-is-weight-decay\s+FAIL/);
    expect(r.out).toContain(`rerun: npx regproof verify --backend ${BROKEN} --runs 20 --seed 3 --only l2.half-square-is-weight-decay`);
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

describe('reports are never lost', () => {
  const failing = ['--only', 'l2.half-square-is-weight-decay,l2.square-without-half-is-double', '--runs', '10', '--no-save'];
  const fresh = () => mkdtempSync(join(tmpdir(), 'regproof-reports-'));
  const readReport = (path: string) => decodeJson(readFileSync(path, 'utf8')) as { summary: Record<string, number>; errors: string[]; results: { id: string; outcome: string }[] };

  it('creates missing folders for --json and --junit and writes both with the summary line', async () => {
    const d = fresh();
    const r = await run(['verify', '--backend', BROKEN, ...failing, '--json', join(d, 'a/b/r.json'), '--junit', join(d, 'c/r.xml')]);
    expect(r.code).toBe(1);
    expect(readReport(join(d, 'a/b/r.json')).summary).toMatchObject({ pass: 1, fail: 1 });
    expect(readFileSync(join(d, 'c/r.xml'), 'utf8')).toMatch(/failures="1" errors="0"/);
    expect(r.out).toMatch(/\n1 passed, 1 failed, .* 0 backend errors \(.*\); reports: /);
    expect(readdirSync(join(d, 'a/b'))).toEqual(['r.json']);
  });

  it('checks output paths before the run: a folder given as --json is a usage error, and nothing runs', async () => {
    const d = fresh();
    const r = await run(['verify', '--backend', BROKEN, ...failing, '--json', d]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`--json ${d}: is a directory`));
    expect(r.out).not.toMatch(/regproof verify: backend/);
    const same = await run(['verify', '--json', join(d, 'r'), '--junit', join(d, '.', 'r')]);
    expect(same.code).toBe(2);
    expect(same.err).toMatch(/--json and --junit name the same file/);
  });

  it('close() failing outranks a failed claim (exit 2), and every report and the summary still appear', async () => {
    const d = fresh();
    const r = await run(['verify', '--backend', 'src/cli/testdata/close-throws-backend.ts', ...failing, '--json', join(d, 'r.json'), '--junit', join(d, 'r.xml')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/module backend 'close-throws' \(.*\): close\(\) threw: Error: cannot release the GPU context/);
    expect(r.out).toMatch(/claim l2\.half-square-is-weight-decay failed on backend close-throws/);
    expect(r.out).toMatch(/1 passed, 1 failed, .* 1 backend errors/);
    const report = readReport(join(d, 'r.json'));
    expect(report.summary).toMatchObject({ pass: 1, fail: 1 });
    expect(report.errors).toEqual([expect.stringMatching(/^module backend 'close-throws' \(.*\): close\(\) threw: Error: cannot release the GPU context$/)]);
    expect(readFileSync(join(d, 'r.xml'), 'utf8')).toMatch(/<error message="module backend &apos;close-throws&apos; \(.*\): close\(\) threw: Error: cannot release the GPU context">/);
  });

  it('a backend that fails to load still gets its reports, saying so, and exit 2', async () => {
    const d = fresh();
    const r = await run(['verify', '--backend', 'src/cli/testdata/load-throws-backend.ts', '--only', 'mse.', '--json', join(d, 'r.json'), '--junit', join(d, 'r.xml')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/the backend could not be loaded: --backend src\/cli\/testdata\/load-throws-backend\.ts: .*cannot connect to the GPU/);
    expect(r.out).toMatch(/0 passed, 0 failed, .* 1 backend errors/);
    expect(readReport(join(d, 'r.json')).errors[0]).toMatch(/cannot connect to the GPU/);
    expect(readFileSync(join(d, 'r.xml'), 'utf8')).toMatch(/errors="1"/);
  });

  it('after kill -9 no stale report passes for the killed run: the old one is gone once the run starts', async () => {
    const d = fresh();
    const json = join(d, 'r.json');
    writeFileSync(json, '{"summary": "from an earlier run"}');
    const child = spawn(process.execPath, [...CLI_FROM_SOURCE, 'verify', '--backend', 'src/cli/testdata/hanging-backend.ts', '--only', 'mse.', '--runs', '1', '--no-save', '--json', json], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('regproof verify: backend hanging') && resolve()));
    expect(existsSync(json)).toBe(false);
    child.kill('SIGKILL');
    await exited;
    expect(readdirSync(d)).toEqual([]);
  });

  it('an adapter message with characters XML forbids still gives a well-formed JUnit report', async () => {
    const d = fresh();
    const capabilities = JSON.stringify([...referenceBackend().capabilities]);
    const cmd = `${process.execPath} src/cli/testdata/hostile_adapter.mjs '${capabilities}'`;
    const r = await run(['verify', '--cmd', cmd, '--only', 'mse.mean-divides-by-every-element', '--runs', '2', '--no-save', '--junit', join(d, 'r.xml')]);
    expect(r.code).toBe(2);
    const xml = readFileSync(join(d, 'r.xml'), 'utf8');
    const doc = new new JSDOM('').window.DOMParser().parseFromString(xml, 'application/xml');
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
    expect(doc.getElementsByTagName('error')[0].getAttribute('message')).toMatch(/the GPU said \\u\{FFFE\}\\u\{0\}\\u\{1B\}\[31m\\u\{D800\} <\/error><x y="&">/);
  });

  it('exit-code precedence: backend or usage error 2, then a failed claim 1, then 0', () => {
    expect(exitCode(1, 5)).toBe(2);
    expect(exitCode(0, 5)).toBe(1);
    expect(exitCode(0, 0)).toBe(0);
  });
});

describe('declined cases in the CLI', () => {
  it('are counted and shown with their reason; a claim whose every case was declined is not applicable', async () => {
    const d = mkdtempSync(join(tmpdir(), 'regproof-declined-'));
    const r = await run(['verify', '--backend', 'src/cli/testdata/declining-backend.ts', '--only', 'graph.second-backward-throws', '--runs', '4', '--no-save', '--json', join(d, 'r.json')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/graph\.second-backward-throws\s+n\/a/);
    expect(r.out).toContain('graph.second-backward-throws: 4 cases declined by the backend (every case it was sent, so the claim is not applicable)\n  4 declined: expressions are not wired up yet');
    const report = decodeJson(readFileSync(join(d, 'r.json'), 'utf8')) as { results: { declined: unknown }[] };
    expect(report.results[0].declined).toEqual({ count: 4, reasons: [{ reason: 'expressions are not wired up yet', count: 4 }] });
  });
});

describe('saved failures in the CLI', () => {
  it('a saved file naming no known claim is reported by name, and the run goes on', async () => {
    const d = mkdtempSync(join(tmpdir(), 'regproof-saved-'));
    writeFileSync(join(d, 'reference--l2.renamed-long-ago.json'), '{}');
    const r = await run(['verify', '--only', 'mse.mean', '--runs', '2', '--failures-dir', d]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`warning: saved failure ${join(d, 'reference--l2.renamed-long-ago.json')}: names no known claim ('l2.renamed-long-ago')`);
  });

  it('an unwritable failures folder is a warning: exit 1 for the failure, with its case printed and in the report', async () => {
    const d = mkdtempSync(join(tmpdir(), 'regproof-saved-'));
    writeFileSync(join(d, 'blocker'), '');
    const r = await run(['verify', '--backend', BROKEN, '--only', 'l2.half-square-is-weight-decay', '--runs', '10', '--failures-dir', join(d, 'blocker'), '--json', join(d, 'r.json')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/warning: l2\.half-square-is-weight-decay: cannot save the failure to .*blocker/);
    expect(r.out).toMatch(/shrunk case: \[\{"case":\{"kind":"train"/);
    const report = decodeJson(readFileSync(join(d, 'r.json'), 'utf8')) as { results: { failure: { counterexample: unknown } }[]; warnings: string[] };
    expect(report.results[0].failure.counterexample).toBeDefined();
    expect(report.warnings[0]).toMatch(/cannot save the failure/);
  });

  it('--no-save writes nothing; with a folder the failing requests are saved with a replay command', async () => {
    const d = mkdtempSync(join(tmpdir(), 'regproof-saved-'));
    const only = ['--only', 'l2.half-square-is-weight-decay', '--runs', '10'];
    const none = await run(['verify', '--backend', BROKEN, ...only, '--no-save']);
    expect(none.code).toBe(1);
    expect(none.out).toMatch(/requests the backend received: 2, in the JSON report \(saving is off\)/);
    const saved = await run(['verify', '--backend', BROKEN, ...only, '--failures-dir', d]);
    const file = join(d, 'requests', 'half-dropped--l2.half-square-is-weight-decay--1.json');
    expect(saved.out).toContain(`replay them on the backend and the reference: npx regproof replay ${file} --backend ${BROKEN}`);
    expect(readdirSync(d).sort()).toEqual(['half-dropped--l2.half-square-is-weight-decay.json', 'requests']);
  });
});
