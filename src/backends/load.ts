/** Turns `--backend NAME|MODULE` or `--cmd "COMMAND"` into a running Backend. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Backend } from './backend.ts';
import { referenceBackend } from './reference.ts';

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
  return typeof value === 'object' && value !== null && typeof b.name === 'string' && typeof b.runExpr === 'function' && typeof b.runTrain === 'function' && b.capabilities instanceof Set;
}

/** A user's module: its default export (or `createBackend`) is a Backend or a function returning one. */
async function loadModule(path: string): Promise<Backend> {
  const file = resolve(path);
  if (!existsSync(file)) throw new BackendLoadError(`--backend: no backend named '${path}' and no such module file (built-in backends: reference, reference-pytorch, tfjs, torch)`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const exported = mod.createBackend ?? mod.default;
  const value = typeof exported === 'function' ? await (exported as () => unknown)() : exported;
  if (!isBackend(value)) {
    throw new BackendLoadError(`--backend ${path}: the module must export a Backend (name, version, dtype, capabilities as a Set, runExpr, runTrain) as its default export or as createBackend(), or a function returning one`);
  }
  return value;
}

export async function loadBackend(options: { backend?: string; cmd?: string }): Promise<Backend> {
  if (options.backend !== undefined && options.cmd !== undefined) throw new BackendLoadError('give either --backend or --cmd, not both');
  if (options.cmd !== undefined) {
    const [command, ...args] = splitCommand(options.cmd);
    const { startProcessBackend } = await import('./process.ts');
    return startProcessBackend({ command, args });
  }
  const name = options.backend ?? 'reference';
  switch (name) {
    case 'reference':
      return referenceBackend();
    case 'reference-pytorch':
      return referenceBackend({ arith: 'pytorch' });
    case 'torch': {
      const { torchBackend, torchStatus } = await import('./torch.ts');
      const status = torchStatus();
      if (!status.available) throw new BackendLoadError(`--backend torch: ${status.reason}`);
      return torchBackend();
    }
    case 'tfjs': {
      const { tfjsBackend } = await import('./tfjs.ts');
      return tfjsBackend();
    }
    default:
      return loadModule(name);
  }
}
