/** Helpers shared by the process backend's tests and the fault-injection suite. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { ExprCase } from '../../cases/types.ts';
import { ProcessBackendError, startProcessBackend, type ProcessBackendOptions } from '../process.ts';

export const testdata = (file: string) => fileURLToPath(new URL(`./${file}`, import.meta.url));

export const FAULTY = testdata('fault_adapter.mjs');

/** The fault adapter (testdata/fault_adapter.mjs) behind a process backend; `args` pick start-up and lifetime faults. */
export const faulty = (options: Partial<ProcessBackendOptions> = {}, ...args: string[]) =>
  startProcessBackend({ command: process.execPath, args: [FAULTY, ...args], ...options });

/** An expression case the fault adapter answers by echoing the input named `name` (its name picks a fault). */
export function echo(name: string, data: number[] = [1, -0]): ExprCase {
  return { kind: 'expr', version: 1, inputs: { [name]: { shape: [data.length], data, requiresGrad: true } }, graph: { op: 'input', name }, seed: data.map((v) => v * 2) };
}

/** The error `run` rejects with, which must be a ProcessBackendError. */
export async function failureOf(run: Promise<unknown>): Promise<ProcessBackendError> {
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProcessBackendError);
  return error as ProcessBackendError;
}

/** A marker to put in an adapter's argv (its children keep it), unique to this test process and call. */
let markers = 0;
export function marker(): string {
  return `regproof-fault-marker-${process.pid}-${++markers}`;
}

/** Processes whose command line contains `mark`, from the process table (zombies have lost theirs). */
export function processesWith(mark: string): string[] {
  const table = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return table.split('\n').filter((line) => line.includes(mark) && !/^\s*\d+\s+Z/.test(line));
}

/** The processes with `mark` still alive after up to `ms` (a SIGKILL takes a moment to land). */
export async function leftovers(mark: string, ms = 2_000): Promise<string[]> {
  const until = Date.now() + ms;
  for (;;) {
    const left = processesWith(mark);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}
