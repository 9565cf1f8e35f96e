// Runs the CLI in-process with stdout and stderr captured; restore the spies in afterEach.
import { vi } from 'vitest';
import { main } from '../main.ts';

export function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return main(argv).then((code) => ({ code, out: out.join(''), err: err.join('') }));
}
