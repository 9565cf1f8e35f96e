import { afterEach, describe, expect, it, vi } from 'vitest';
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
  ])('exits 2 with a clear message for %j', async (argv, message) => {
    const io = capture();
    expect(await main(argv)).toBe(2);
    expect(io.err()).toMatch(message);
  });
});
