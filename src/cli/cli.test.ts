import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALL_CLAIMS } from '../../properties/index.ts';
import { DEFAULT_LIMITS, LIMIT_SOURCES, limitsFrom } from '../backends/lifecycle.ts';
import { parseArgs, UsageError } from './args.ts';
import { main } from './main.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return { out: () => out.join(''), err: () => err.join('') };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('argument parsing', () => {
  const spec = { values: ['runs'], switches: ['help'] };
  it('reads --flag value, --flag=value and switches', () => {
    expect(parseArgs(['--runs', '5', '--help'], spec, 'x').values.get('runs')).toBe('5');
    expect(parseArgs(['--runs=7'], spec, 'x').values.get('runs')).toBe('7');
  });
  it.each([
    [['--nope'], /unknown option '--nope'/],
    [['--runs'], /--runs needs a value/],
    [['--runs', '1', '--runs', '2'], /given twice/],
    [['stray'], /unexpected argument 'stray'/],
    [['--help=1'], /takes no value/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgs(argv, spec, 'x')).toThrow(UsageError);
    expect(() => parseArgs(argv, spec, 'x')).toThrow(message);
  });
});

describe('regproof verify', () => {
  it('runs the selected claims, prints a row each and exits 0', async () => {
    const io = capture();
    const code = await main(['verify', '--only', 'mse.,graph.', '--runs', '3', '--seed', '5']);
    expect(code).toBe(0);
    expect(io.out()).toMatch(/mse\.mean-divides-by-every-element\s+pass\s+3/);
    expect(io.out()).toMatch(/graph\.second-backward-throws\s+pass/);
    expect(io.out()).toMatch(/3 passed, 0 failed, 0 not applicable/);
  });

  it.each([
    [['verify', '--runs', 'many'], /--runs must be an integer/],
    [['verify', '--only', 'no.such.claim'], /no claim matches 'no.such.claim'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['verify', '--case-timeout', 'soon'], /verify: --case-timeout must be a positive number of seconds, got "soon"/],
    [['verify', '--budget=0'], /verify: --budget must be a positive number of seconds, got "0"/],
    [['verify', '--start-timeout='], /verify: --start-timeout must be a positive number of seconds, got ""/],
    [['verify', '--close-timeout', 'Infinity'], /verify: --close-timeout must be a positive number of seconds, got "Infinity"/],
  ])('exits 2 with a clear message for %j', async (argv, message) => {
    const io = capture();
    expect(await main(argv)).toBe(2);
    expect(io.err()).toMatch(message);
  });
});

describe('regproof usage, version and help', () => {
  it('prints a short usage and exits 0 with no arguments', async () => {
    const io = capture();
    expect(await main([])).toBe(0);
    expect(io.out()).toMatch(/^regproof: /);
    expect(io.out()).toMatch(/regproof explain/);
    expect(io.out().split('\n').length).toBeLessThan(20);
  });

  it('prints the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const io = capture();
    expect(await main(['--version'])).toBe(0);
    expect(io.out()).toBe(`regproof ${version}\n`);
  });

  it.each(['verify', 'explain', 'list', 'replay'])('%s answers -h and --help with its usage and exit 0', async (command) => {
    for (const flag of ['-h', '--help']) {
      const io = capture();
      expect(await main([command, flag])).toBe(0);
      expect(io.out()).toMatch(new RegExp(`^usage: regproof ${command}`, 'i'));
      vi.restoreAllMocks();
    }
  });
});

describe('verify limits', () => {
  it('lists every limit option in verify --help, with the variable it falls back to', async () => {
    const io = capture();
    expect(await main(['verify', '--help'])).toBe(0);
    for (const { option, variable } of Object.values(LIMIT_SOURCES)) {
      // The option's row, continuation lines included, up to the next option.
      expect(io.out()).toMatch(new RegExp(`\\n  --${option} S (?:(?!\\n  --)[\\s\\S])*\\(${variable}, `));
    }
  });

  it('takes each limit from its option, else its variable, else the default, in seconds', () => {
    const env = { REGPROOF_CASE_TIMEOUT: 'junk', REGPROOF_BUDGET: '30', REGPROOF_START_TIMEOUT: '' };
    expect(limitsFrom(new Map([['case-timeout', '1.5']]), env)).toEqual({ caseTimeoutMs: 1500, budgetMs: 30_000, startTimeoutMs: 120_000, closeTimeoutMs: 2000 });
    expect(() => limitsFrom(new Map(), env)).toThrow(/^REGPROOF_CASE_TIMEOUT must be a positive number of seconds, got "junk"$/);
    expect(limitsFrom(new Map(), {})).toEqual(DEFAULT_LIMITS);
  });
});

describe('regproof --list', () => {
  it('prints every claim id with its statement', async () => {
    const io = capture();
    expect(await main(['--list'])).toBe(0);
    for (const c of ALL_CLAIMS) expect(io.out()).toContain(`${c.id}\n  ${c.statement}\n`);
  });

  it('filters like --only and prints JSON', async () => {
    const io = capture();
    expect(await main(['list', '--only', 'graph.,mse.', '--json'])).toBe(0);
    const listed = JSON.parse(io.out()) as { id: string; statement: string }[];
    const expected = ALL_CLAIMS.filter((c) => c.id.startsWith('graph.') || c.id.startsWith('mse.'));
    expect(listed.map((c) => c.id)).toEqual(expected.map((c) => c.id));
    expect(listed.map((c) => c.statement)).toEqual(expected.map((c) => c.statement));
  });

  it('rejects an id that matches no claim', async () => {
    const io = capture();
    expect(await main(['--list', '--only', 'no.such'])).toBe(2);
    expect(io.err()).toMatch(/no claim matches 'no.such'/);
  });
});
