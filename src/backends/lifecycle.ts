/**
 * What every out-of-process and in-process backend shares about its lifetime: the per-case
 * timeout, the run's overall budget, the process groups of running adapters, and what SIGINT and
 * SIGTERM do. Every wait is bounded by a timer that keeps Node alive while it runs, so a run
 * always reaches its report however a backend behaves; and no adapter (nor a child it started)
 * outlives regproof.
 */
import { BackendError } from './backend.ts';

export interface Limits {
  /** Longest wait for one case's result, in ms. */
  caseTimeoutMs: number;
  /** Longest time all requests of the run may take together, in ms; Infinity for none. */
  budgetMs: number;
  /** Longest wait for a backend to start (an adapter's handshake, a module's import), in ms. */
  startTimeoutMs: number;
  /** Longest wait for a backend to stop when the run ends, in ms; then it is killed (or abandoned). */
  closeTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = { caseTimeoutMs: 60_000, budgetMs: Infinity, startTimeoutMs: 120_000, closeTimeoutMs: 2_000 };

/**
 * How each of Limits is set, in seconds: by a `regproof verify` option (named here without its
 * dashes), else by an environment variable.
 */
export const LIMIT_SOURCES = {
  caseTimeoutMs: { option: 'case-timeout', variable: 'REGPROOF_CASE_TIMEOUT' },
  budgetMs: { option: 'budget', variable: 'REGPROOF_BUDGET' },
  startTimeoutMs: { option: 'start-timeout', variable: 'REGPROOF_START_TIMEOUT' },
  closeTimeoutMs: { option: 'close-timeout', variable: 'REGPROOF_CLOSE_TIMEOUT' },
} as const satisfies Record<keyof Limits, { option: string; variable: string }>;

/**
 * Limits from the options given (`--case-timeout` and the others of LIMIT_SOURCES, by name without
 * the dashes), else from the environment (REGPROOF_CASE_TIMEOUT, ...), else the defaults; all in
 * seconds. A value that is not a positive number throws, naming the option or variable.
 */
export function limitsFrom(options: ReadonlyMap<string, string> = new Map(), env: NodeJS.ProcessEnv = process.env): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    const { option: name, variable } = LIMIT_SOURCES[key];
    const option = options.get(name);
    const [source, text] = option !== undefined ? [`--${name}`, option] : [variable, env[variable]];
    if (text === undefined || (option === undefined && text === '')) continue;
    const seconds = Number(text);
    if (!/^\s*[0-9.eE+]+\s*$/.test(text) || !(seconds > 0) || !Number.isFinite(seconds)) {
      throw new RangeError(`${source} must be a positive number of seconds, got ${JSON.stringify(text)}`);
    }
    limits[key] = seconds * 1000;
  }
  return limits;
}

/**
 * The run's overall budget, counted from the first request. A request gets the smaller of the
 * per-case timeout and what is left of the budget; once it is spent, requests fail at once.
 */
export class Budget {
  private deadline: number | null = null;

  constructor(private readonly limits: Pick<Limits, 'caseTimeoutMs' | 'budgetMs'>) {}

  /** How long the next request may take, in ms; throws a BackendError naming `request` when the budget is spent. */
  timeoutFor(request: string): { ms: number; cause: 'case' | 'budget' } {
    this.deadline ??= performance.now() + this.limits.budgetMs;
    const left = this.deadline - performance.now();
    if (left <= 0) throw new BackendError(`${request} not sent: the run's overall budget of ${seconds(this.limits.budgetMs)} is spent`);
    return left < this.limits.caseTimeoutMs ? { ms: left, cause: 'budget' } : { ms: this.limits.caseTimeoutMs, cause: 'case' };
  }
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** A description of a timeout for error messages: the per-case limit or the rest of the budget. */
export function describeTimeout(limit: { ms: number; cause: 'case' | 'budget' }): string {
  return limit.cause === 'case'
    ? `no result within the per-case timeout of ${seconds(limit.ms)}`
    : `no result within the ${seconds(Math.round(limit.ms))} left of the run's overall budget`;
}

/** A limit reached while waiting for a backend: a timeout or an interruption, never the backend's own error. */
export class LimitReached extends BackendError {
  constructor(message: string) {
    super(message);
    this.name = 'LimitReached';
  }
}

/**
 * Settles like `work`, or rejects with a LimitReached of message `onTimeout()` after `ms`, or
 * with one naming the signal when SIGINT or SIGTERM arrives first. The timer is a normal (ref'd) one: while it runs, Node stays
 * alive, so a promise that never settles cannot end the process with nothing written.
 */
export function within<T>(work: Promise<T>, ms: number, onTimeout: () => string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = onInterrupt((signal) => finish(() => reject(new LimitReached(`interrupted by ${signal}`))));
    const timer = setTimeout(() => finish(() => reject(new LimitReached(onTimeout()))), ms);
    let done = false;
    function finish(settle: () => void): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stop();
      settle();
    }
    work.then(
      (v) => finish(() => resolve(v)),
      (e: unknown) => finish(() => reject(e)),
    );
  });
}

// ---------------------------------------------------------------- process groups and signals

/** Process group ids of adapters that may still run (an adapter's pid is its group's id). */
const groups = new Set<number>();

/** SIGKILLs a process group; a group that is already gone is fine. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: every process of the group has exited already.
  }
}

export function trackGroup(pgid: number): void {
  groups.add(pgid);
  installExitHook();
}

export function untrackGroup(pgid: number): void {
  groups.delete(pgid);
}

let exitHookInstalled = false;

/** However the process ends (an exception, process.exit), no adapter group outlives it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of groups) killGroup(pgid);
  });
}

let interruption: NodeJS.Signals | null = null;
const interruptListeners = new Set<(signal: NodeJS.Signals) => void>();

/** The signal that interrupted the run, or null. */
export function interrupted(): NodeJS.Signals | null {
  return interruption;
}

/** Calls `listener` when the run is interrupted; returns the function that unsubscribes it. */
export function onInterrupt(listener: (signal: NodeJS.Signals) => void): () => void {
  interruptListeners.add(listener);
  return () => interruptListeners.delete(listener);
}

/** Throws the BackendError every request gets once the run has been interrupted. */
export function checkInterrupted(request: string): void {
  if (interruption !== null) throw new BackendError(`${request} not sent: the run was interrupted by ${interruption}`);
}

/**
 * Marks the run interrupted: every adapter group is killed, every waiting request fails with a
 * BackendError, and later requests fail at once, so the run finishes its report quickly.
 */
export function interrupt(signal: NodeJS.Signals): void {
  interruption ??= signal;
  for (const pgid of groups) killGroup(pgid);
  for (const listener of [...interruptListeners]) listener(signal);
}

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };
let signalsInstalled = false;

/**
 * The first SIGINT or SIGTERM interrupts the run (see interrupt), which then writes its report
 * and exits; a second one kills the adapters and exits at once with 128 + the signal number.
 */
export function installSignalHandlers(): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interruption === null) {
        process.stderr.write(`regproof: ${signal}: stopping the backend; the report follows (send it again to exit at once)\n`);
        interrupt(signal);
        return;
      }
      for (const pgid of groups) killGroup(pgid);
      process.exit(SIGNAL_EXIT[signal]);
    });
  }
}
