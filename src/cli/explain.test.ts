import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CATALOGUE } from '../regularize/recipes.ts';
import { buildFigures } from '../teach/figures.ts';
import { formatNumber } from '../teach/format.ts';
import { LAMBDA, STEPS, threadCase } from '../teach/scenarios.ts';
import { runExplain } from './explain.ts';

/** Runs the command and captures what it printed. */
async function explain(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await runExplain(argv), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'regproof-explain-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('regproof explain in the terminal', async () => {
  const { code, out, err } = await explain([]);

  it('exits 0 with every entry, its code, verdict and evidence, and nothing on stderr', () => {
    expect(code).toBe(0);
    expect(err).toBe('');
    const flat = out.replace(/\s+/g, ' ');
    for (const entry of CATALOGUE) {
      expect(out).toContain(`${entry.id}: ${entry.title}`);
      expect(out).toContain(entry.pytorch.split('\n').map((l) => `    ${l}`).join('\n'));
      expect(flat).toContain(entry.verdict.replace(/\s+/g, ' '));
    }
    expect(out).not.toContain('CONTRADICTS');
    expect(out).toMatch(/Summary: \d+ entries, \d+ with live evidence; \d+ measurements, all as their verdicts predict\./);
  });

  it('prints the numbers independent computations predict', () => {
    const flat = out.replace(/\s+/g, ' ');
    const size = Object.values(threadCase().init).flat().length;
    // Weight decay and λ·0.5·Σw² agree on every value of 4 settings × 40 steps.
    expect(flat).toContain(`SGD(weight_decay=λ), every step of the 4 settings: 0 (0 of ${4 * STEPS * size} values differ)`);
    // Pure L2 descent after 40 steps: 0.9^40 and 1.1^40 of the start, printed to 6 digits.
    expect(flat).toContain(`lr·λ = 1.9: ${formatNumber(0.9 ** STEPS)}; lr·λ = 2.1: ${formatNumber(1.1 ** STEPS)}`);
    // The item() penalty's offset is its value λ·Σ‖W‖, with hypot as the independent norm.
    const penalty = LAMBDA * Object.values(threadCase().init).reduce((s, w) => s + Math.hypot(...w), 0);
    expect(flat).toContain(`reported loss without it, step 1: ${formatNumber(penalty)}`);
    expect(flat).toContain(`gradient of W.pow(2).sum().sqrt() at W = 0: (NaN, NaN, NaN, NaN)`);
    expect(flat).toContain(`D = 3 target components: 3`);
  });

  it('is the same on every run', async () => {
    expect((await explain([])).out).toBe(out);
  });
});

describe('regproof explain --html', () => {
  it('writes the report, creating its folder, and says where', async () => {
    const file = join(scratch, 'nested', 'report.html');
    const { code, out } = await explain(['--html', file]);
    expect(code).toBe(0);
    expect(out).toContain(`Wrote ${file}: ${CATALOGUE.length} entries, ${buildFigures().length} plots`);
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const f of buildFigures()) expect(html).toContain(`id="${f.id}"`);
  });

  it('exits 2 with a clear message when the file cannot be written', async () => {
    const blocker = join(scratch, 'a-file');
    writeFileSync(blocker, '');
    const { code, err } = await explain([`--html=${join(blocker, 'report.html')}`]);
    expect(code).toBe(2);
    expect(err).toContain('cannot write the report to');
  });
});

describe('regproof explain arguments', () => {
  it.each([
    [['--bogus'], /unknown option '--bogus'/],
    [['--html'], /--html needs a file name/],
    [['--html', '--help'], /--html needs a file name/],
    [['--html='], /--html needs a file name/],
    [['--html', 'a.html', '--html', 'b.html'], /--html was given twice/],
    [['report.html'], /unexpected argument 'report.html'/],
  ])('%j exits 2: %s', async (argv, message) => {
    const { code, out, err } = await explain(argv as string[]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(err).toContain('Usage: regproof explain');
  });

  it('--help prints the usage and exits 0', async () => {
    const { code, out } = await explain(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('Usage: regproof explain [--html <file>]');
  });
});
