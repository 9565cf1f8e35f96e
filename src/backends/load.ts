/** Turns `--backend NAME|MODULE` or `--cmd "COMMAND"` into a running Backend. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isBackendError, type Backend } from './backend.ts';
import { installSignalHandlers, LimitReached, limitsFrom, seconds, within, type Limits } from './lifecycle.ts';
import { describeThrown, guardModuleBackend } from './module.ts';
import { referenceBackend } from './reference.ts';
import { importUserModule } from './user-module.ts';

export class BackendLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendLoadError';
  }
}

/**
 * Splits a command line into arguments the way a POSIX shell would for plain words and quotes,
 * without expanding anything: the result is handed to spawn as an argument list, never to a shell.
 */
export function splitCommand(command: string): string[] {
  const args: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i];
    if (quote !== null) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < command.length && '"\\'.includes(command[i + 1])) current += command[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < command.length) {
      current += command[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote !== null) throw new BackendLoadError(`--cmd: unterminated ${quote} quote in '${command}'`);
  if (inWord) args.push(current);
  if (args.length === 0) throw new BackendLoadError('--cmd: the command is empty');
  return args;
}

function isBackend(value: unknown): value is Backend {
  const b = value as Backend;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof b.name === 'string' &&
    typeof b.version === 'string' &&
    (b.dtype === 'float64' || b.dtype === 'float32') &&
    typeof b.runExpr === 'function' &&
    typeof b.runTrain === 'function' &&
    b.capabilities instanceof Set &&
    [...b.capabilities].every((c) => typeof c === 'string')
  );
}

/**
 * A user's module: its default export (or `createBackend`) is a Backend or a function returning
 * one. Importing it and creating the backend are bounded by the start timeout; whatever fails
 * says that `--backend PATH` failed and why.
 */
async function loadModule(path: string, limits: Limits): Promise<Backend> {
  const file = resolve(path);
  if (!existsSync(file)) throw new BackendLoadError(`--backend: no backend named '${path}' and no such module file (built-in backends: reference, reference-pytorch, tfjs, torch)`);
  const step = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await within(Promise.resolve().then(work), limits.startTimeoutMs, () => `${what} did not settle within ${seconds(limits.startTimeoutMs)}`);
    } catch (e) {
      if (e instanceof LimitReached) throw new BackendLoadError(`--backend ${path}: ${e.message}`);
      throw new BackendLoadError(`--backend ${path}: ${what} failed: ${isBackendError(e) ? e.message : describeThrown(e)}`);
    }
  };
  const mod = await step('importing the module', () => importUserModule(file));
  const exported = mod.createBackend ?? mod.default;
  const value = typeof exported === 'function' ? await step(`${mod.createBackend !== undefined ? 'createBackend()' : 'the default export'}`, async () => (exported as () => unknown)()) : exported;
  if (!isBackend(value)) {
    throw new BackendLoadError(`--backend ${path}: the module must export a Backend (name and version as strings, dtype 'float64' or 'float32', capabilities as a Set of strings, runExpr, runTrain) as its default export or as createBackend(), or a function returning one`);
  }
  return guardModuleBackend(value, path, limits);
}

export interface LoadOptions {
  backend?: string;
  cmd?: string;
  /** Timeouts and the overall budget; from REGPROOF_CASE_TIMEOUT and friends by default (lifecycle.ts limitsFrom). */
  limits?: Limits;
  /**
   * Let SIGINT and SIGTERM stop the backend (its whole process group) and let the run finish its
   * report (installSignalHandlers); for the CLI, not for a library that owns its signals.
   */
  handleSignals?: boolean;
  /** Adapter processes serving concurrent requests of a process backend; REGPROOF_JOBS by default, else 1. */
  jobs?: number;
}

/** A count of adapter processes, as `--jobs` or REGPROOF_JOBS gives it; `what` names the source in the error. */
export function parseJobs(text: string, what: string): number {
  const value = Number(text.trim());
  if (!/^[1-9][0-9]*$/.test(text.trim()) || value > MAX_JOBS) throw new BackendLoadError(`${what} must be an integer from 1 to ${MAX_JOBS}, got ${JSON.stringify(text)}`);
  return value;
}

const MAX_JOBS = 256;

/** REGPROOF_JOBS, or undefined when it is not set. */
export function jobsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.REGPROOF_JOBS;
  return text === undefined || text === '' ? undefined : parseJobs(text, 'REGPROOF_JOBS');
}

export async function loadBackend(options: LoadOptions): Promise<Backend> {
  if (options.backend !== undefined && options.cmd !== undefined) throw new BackendLoadError('give either --backend or --cmd, not both');
  let limits: Limits;
  try {
    limits = options.limits ?? limitsFrom();
  } catch (e) {
    throw new BackendLoadError((e as Error).message);
  }
  const name = options.backend ?? 'reference';
  // Only adapters and modules stop on an interruption; the built-in engines end with Node's default.
  if (options.handleSignals === true && (options.cmd !== undefined || !['reference', 'tfjs'].includes(name))) installSignalHandlers();
  const processLimits = {
    requestTimeoutMs: limits.caseTimeoutMs,
    budgetMs: limits.budgetMs,
    startTimeoutMs: limits.startTimeoutMs,
    closeTimeoutMs: limits.closeTimeoutMs,
    jobs: options.jobs ?? jobsFromEnv() ?? 1,
  };
  if (options.cmd !== undefined) {
    const [command, ...args] = splitCommand(options.cmd);
    const { startProcessBackend } = await import('./process.ts');
    return startProcessBackend({ command, args, ...processLimits });
  }
  switch (name) {
    case 'reference':
      return referenceBackend();
    case 'reference-pytorch':
      return referenceBackend({ arith: 'pytorch' });
    case 'torch': {
      const { torchBackend, torchStatus } = await import('./torch.ts');
      const status = torchStatus();
      if (!status.available) throw new BackendLoadError(`--backend torch: ${status.reason}`);
      return torchBackend(processLimits);
    }
    case 'tfjs': {
      const { tfjsBackend } = await import('./tfjs.ts');
      return tfjsBackend();
    }
    default:
      return loadModule(name, limits);
  }
}
