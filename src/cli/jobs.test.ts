import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { shellQuote } from '../runner/format.ts';
import { runCli } from './testdata/run-cli.ts';

// The reference engine with the L2 penalty's 0.5 dropped, as an adapter process that declines
// Tanh layers: of these claims one fails with shrunk counterexamples (saved, with their requests)
// and the others pass, one of them with declined cases.
const ADAPTER = `${shellQuote(process.execPath)} --import tsx src/cli/testdata/half_dropped_adapter.ts`;
const CLAIMS = ['--only', 'l2.half-square-is-weight-decay,l2.square-without-half-is-double,zero.subgradient', '--runs', '5', '--seed', '11'];

afterEach(() => {
  vi.restoreAllMocks();
});

/** Every file under dir, by its path relative to dir, with its contents. */
function files(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else found[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return found;
}

async function verify(jobs: number) {
  const dir = mkdtempSync(join(tmpdir(), `regproof-jobs-${jobs}-`));
  const r = await runCli(['verify', '--cmd', ADAPTER, ...CLAIMS, '--jobs', String(jobs), '--failures-dir', join(dir, 'failures'), '--json', join(dir, 'report.json')]);
  // What may differ between runs: the times, and the folder each run was given.
  const timeless = (text: string) => text.replaceAll(dir, 'DIR').replace(/\s+[\d.]+ m?s\b/g, ' T').replace(/\([\d.]+ s\)/g, '(T)');
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'), (key, v) => (key === 'ms' ? undefined : v)) as { results: { verdict: string }[] };
  return { code: r.code, out: timeless(r.out), err: r.err, report: timeless(JSON.stringify(report)), verdicts: report.results.map((x) => x.verdict), saved: files(join(dir, 'failures')) };
}

describe('verify --jobs', () => {
  it('reports the same verdicts, counterexamples and saved failures, in the same order, for every number of adapters', async () => {
    const one = await verify(1);
    expect(one.code).toBe(1);
    expect(one.verdicts).toContain('fail');
    expect(one.verdicts).toContain('pass');
    expect(Object.keys(one.saved).some((f) => f.includes('requests'))).toBe(true);
    expect(one.out).toMatch(/cases declined by the backend/);
    // Two adapters and two threads: the main thread and a worker send requests side by side.
    expect(await verify(2)).toEqual(one);
  });

  it('rejects a count that is not a positive integer, and --jobs for a backend that runs in-process', async () => {
    for (const bad of ['0', 'two', '1.5', '-1', '257']) {
      const r = await runCli(['verify', '--cmd', ADAPTER, '--jobs', bad]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`verify: --jobs must be an integer from 1 to 256, got "${bad}"`);
    }
    const inProcess = await runCli(['verify', '--backend', 'reference', '--jobs', '2']);
    expect(inProcess.code).toBe(2);
    expect(inProcess.err).toMatch(/--jobs sets how many adapter processes serve a process backend .*; --backend reference runs in-process/);
  });
});
