/**
 * PyTorch as a backend: adapters/torch_adapter.py behind the process protocol. The interpreter is
 * Debian's /usr/bin/python3 (which python3-torch installs into) unless REGPROOF_TORCH_PYTHON
 * names another; `python3` first on PATH is often a different interpreter without torch.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { packageFile } from '../package-root.ts';
import { BackendError } from './backend.ts';
import { startProcessBackend, type ProcessBackend, type ProcessBackendOptions } from './process.ts';

export const TORCH_ADAPTER = packageFile('adapters', 'torch_adapter.py');

export function torchPython(): string {
  return process.env.REGPROOF_TORCH_PYTHON ?? '/usr/bin/python3';
}

export type TorchStatus = { available: true; python: string } | { available: false; python: string; reason: string };

let cached: TorchStatus | undefined;

/**
 * Whether the interpreter can find the torch package. It looks the package up without importing
 * it (importing takes seconds), so a broken installation passes here and fails loudly at start-up.
 */
export function torchStatus(): TorchStatus {
  if (cached !== undefined && cached.python === torchPython()) return cached;
  const python = torchPython();
  const probe = spawnSync(python, ['-c', 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec("torch") else 3)'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error !== undefined) cached = { available: false, python, reason: `cannot run ${python}: ${probe.error.message}` };
  else if (probe.status === 3) cached = { available: false, python, reason: `${python} has no torch module (on Debian: apt-get install python3-torch; or set REGPROOF_TORCH_PYTHON)` };
  else if (probe.status !== 0) cached = { available: false, python, reason: `${python} failed (exit code ${probe.status}): ${probe.stderr.trim()}` };
  else cached = { available: true, python };
  return cached;
}

export function torchAvailable(): boolean {
  return torchStatus().available;
}

/** Starts the PyTorch adapter; the timeouts and limits of the process backend apply. */
export async function torchBackend(options: Omit<ProcessBackendOptions, 'command' | 'args'> = {}): Promise<ProcessBackend> {
  if (!existsSync(TORCH_ADAPTER)) throw new BackendError(`torch backend: the adapter script is missing at ${TORCH_ADAPTER}`);
  const status = torchStatus();
  if (!status.available) throw new BackendError(`torch backend: PyTorch is not available: ${status.reason}`);
  return startProcessBackend({ ...options, command: status.python, args: [TORCH_ADAPTER] });
}
