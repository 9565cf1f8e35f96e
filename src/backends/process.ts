/**
 * The process backend: any program that speaks regproof's JSON-lines protocol on stdin/stdout
 * (docs/protocol.md). The program is started from an argument list, never through a shell, as
 * the leader of a process group of its own. One request is in flight per adapter process, and
 * `jobs` adapters serve concurrent requests (one by default). A crash, a hang,
 * a closed stdout, a line that is not a reply, a reply to another request, or a reply past the
 * size limit fails that request with an error naming the backend, the request, what happened and
 * the tail of the adapter's stderr; the adapter's whole group is then killed, and the next request
 * starts a fresh one, so a run continues past a bad case. Something that goes wrong between
 * requests (an exit, an unsolicited line) is reported by the next request.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { basename } from 'node:path';
import { z } from 'zod';
import { CASE_VERSION, type ExprCase, type ExprResult, type TrainCase, type TrainResult } from '../cases/types.ts';
import { decodeJson, encodeJson, JsonEncodingError } from '../cases/json.ts';
import { CaseError, parseExprCase, parseExprResult, parseTrainCase, show } from '../cases/schema.ts';
import { BackendError, CaseDeclined, type Backend, type Capability, type Dtype } from './backend.ts';
import { Budget, DEFAULT_LIMITS, describeTimeout, killGroup, onInterrupt, checkInterrupted, seconds, trackGroup, untrackGroup } from './lifecycle.ts';
import { readTrainResult } from './train-result.ts';

export const PROTOCOL_VERSION = 1;

export interface ProcessBackendOptions {
  /** The program to run, found on PATH like any argv[0]; it is never handed to a shell. */
  command: string;
  args?: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Longest wait for one reply, in ms. */
  requestTimeoutMs?: number;
  /** Longest time all requests together may take, in ms (the run's overall budget). */
  budgetMs?: number;
  /** Longest wait for the handshake reply, in ms: interpreter start-up and library imports. */
  startTimeoutMs?: number;
  /** Longest wait for the adapter to exit once its stdin is closed, in ms; then its group is killed. */
  closeTimeoutMs?: number;
  /** Longest reply line, in bytes; a longer one fails the request instead of exhausting memory. */
  maxReplyBytes?: number;
  /** How many adapter processes may serve requests at once (1 by default: one request in flight). */
  jobs?: number;
}

export const PROCESS_DEFAULTS = {
  requestTimeoutMs: DEFAULT_LIMITS.caseTimeoutMs,
  budgetMs: DEFAULT_LIMITS.budgetMs,
  startTimeoutMs: DEFAULT_LIMITS.startTimeoutMs,
  closeTimeoutMs: DEFAULT_LIMITS.closeTimeoutMs,
  maxReplyBytes: 64 * 1024 * 1024,
} as const;

/** How long to read what an exiting adapter wrote last, and to wait for a killed one to exit. */
const EXIT_DRAIN_MS = 50;
const KILL_WAIT_MS = 1_000;

/** What went wrong with a request; all but 'adapter-error' and 'invalid-result' restart the adapter. */
export type ProcessFailure = 'start' | 'crash' | 'timeout' | 'garbage' | 'oversized' | 'protocol' | 'adapter-error' | 'invalid-result' | 'interrupted';

/** Characters of stderr kept per adapter process, and how many of its last lines an error message quotes. */
const STDERR_KEEP_CHARS = 16 * 1024;
const STDERR_QUOTE_LINES = 20;

/** What happens after each kind of failure, as the error message says it. */
const AFTERMATH: Record<ProcessFailure, string> = {
  start: 'The adapter is not running; the next request tries to start it again.',
  crash: 'The next request starts a new adapter.',
  timeout: 'The adapter was stopped; the next request starts a new one.',
  garbage: 'The adapter was stopped, since its replies can no longer be matched to requests; the next request starts a new one.',
  oversized: 'The adapter was stopped; the next request starts a new one.',
  protocol: 'The adapter was stopped, since its replies can no longer be matched to requests; the next request starts a new one.',
  'adapter-error': 'The adapter keeps running.',
  'invalid-result': 'The adapter keeps running.',
  interrupted: 'The adapter was stopped, and no further request is sent.',
};

export class ProcessBackendError extends BackendError {
  constructor(
    readonly backend: string,
    readonly request: string,
    readonly failure: ProcessFailure,
    detail: string,
    readonly stderrTail: string,
    aftermath: string = AFTERMATH[failure],
  ) {
    const stderr = stderrTail === '' ? '' : `\n--- adapter stderr (last lines) ---\n${stderrTail}`;
    const what = `process backend ${backend}: ${request} failed (${failure}): ${detail}.`;
    super(`${aftermath === '' ? what : `${what} ${aftermath}`}${stderr}`);
    this.name = 'ProcessBackendError';
  }
}

const handshakeResultSchema = z.strictObject({
  protocol: z.number(),
  name: z.string().min(1),
  version: z.string(),
  dtype: z.enum(['float64', 'float32']),
  capabilities: z.array(z.string()),
});

type Identity = z.output<typeof handshakeResultSchema>;

const replySchema = z.union([
  z.strictObject({ id: z.number(), ok: z.literal(true), result: z.unknown() }),
  z.strictObject({ id: z.number().nullable(), ok: z.literal(false), error: z.string() }),
  z.strictObject({ id: z.number(), declined: z.string().min(1) }),
]);

type Reply = z.output<typeof replySchema>;

interface Failure {
  failure: ProcessFailure;
  detail: string;
}

/** Quotes an argument list for display only: the arguments themselves are passed verbatim. */
function displayCommand(command: string, args: readonly string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

function excerpt(text: string): string {
  return show(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

/** One running adapter: its process group, its pipes, its stderr tail, and the single request it may be answering. */
class AdapterProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private stderr = '';
  private requests = 0;
  private pending: { resolve: (line: string) => void; reject: (f: Failure) => void; timer: NodeJS.Timeout } | null = null;
  /** Set once the process is unusable: exited, killed, or out of step with the protocol. */
  dead: Failure | null = null;
  /** Set when the process became unusable on its own while no request was waiting: the next request reports it. */
  idleFailure: Failure | null = null;
  private readonly exited: Promise<void>;
  private stdoutEnded = false;
  private hasExited = false;
  /** Set once the group has been killed after the adapter exited: its id may be reused from then on. */
  private released = false;
  private readonly stopInterrupt: () => void;

  constructor(private readonly options: ProcessBackendOptions & { maxReplyBytes: number }) {
    // detached: the adapter leads a process group of its own, so killing the group also ends the
    // children it started (a Python subprocess or worker pool that may hold its stdout).
    this.child = spawn(options.command, [...(options.args ?? [])], { cwd: options.cwd, env: options.env, shell: false, stdio: 'pipe', windowsHide: true, detached: true });
    const pid = this.child.pid;
    if (pid !== undefined) trackGroup(pid);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.once('error', (e) => this.stop({ failure: 'start', detail: `could not run ${JSON.stringify(options.command)}: ${e.message}` }));
    this.child.once('exit', (code, signal) => {
      this.hasExited = true;
      const detail = `the adapter exited (${signal !== null ? `signal ${signal}` : `exit code ${code}`})`;
      // What it wrote just before exiting may still be in the pipe: read it first, for a moment.
      const report = () => this.stop({ failure: 'crash', detail: this.pending === null ? `${detail} while no request was waiting` : `${detail} before replying` });
      if (this.stdoutEnded) report();
      else setTimeout(report, EXIT_DRAIN_MS).unref();
    });
    this.child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    // A closed stdout means no reply can come: fail at once, unless this is the adapter exiting
    // (its exit, reported a moment later, says more).
    this.child.stdout.once('end', () => {
      this.stdoutEnded = true;
      setTimeout(() => this.stop({ failure: 'crash', detail: 'the adapter closed its stdout (it can no longer reply)' }), EXIT_DRAIN_MS).unref();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_KEEP_CHARS);
    });
    // Writing to an adapter that has just died raises EPIPE here; its exit reports the death.
    this.child.stdin.on('error', () => {});
    this.stopInterrupt = onInterrupt((signal) => this.stop({ failure: 'interrupted', detail: `regproof received ${signal}` }));
    // An idle adapter does not keep Node alive: every wait for it (a request, shutdown) runs a
    // timer that does, and the exit hook of lifecycle.ts kills its group however Node ends.
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) (stream as unknown as { unref(): void }).unref();
  }

  stderrTail(): string {
    const lines = this.stderr.trimEnd().split('\n');
    return lines.slice(-STDERR_QUOTE_LINES).join('\n');
  }

  /** Sends one line and resolves with the next line the adapter writes; `onTimeout` describes a timeout. */
  request(line: string, timeoutMs: number, onTimeout: string): Promise<string> {
    if (this.dead !== null) return Promise.reject(this.dead);
    // Error messages quote what the adapter wrote while serving this request (and, for the
    // first one, while starting), not what earlier requests left behind.
    if (this.requests++ > 0) this.stderr = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.stop({ failure: 'timeout', detail: onTimeout }), timeoutMs);
      this.pending = { resolve, reject, timer };
      this.child.stdin.write(`${line}\n`);
    });
  }

  private receive(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline >= 0 && this.dead === null; newline = chunk.indexOf(10, start)) {
      const part = chunk.subarray(start, newline);
      start = newline + 1;
      if (this.buffered + part.length > this.options.maxReplyBytes) return this.oversized();
      const line = Buffer.concat([...this.chunks, part]).toString('utf8');
      this.chunks = [];
      this.buffered = 0;
      this.deliver(line);
    }
    if (this.dead !== null || start === chunk.length) return;
    const rest = chunk.subarray(start);
    this.chunks.push(rest);
    this.buffered += rest.length;
    if (this.buffered > this.options.maxReplyBytes) this.oversized();
  }

  private oversized(): void {
    this.stop({ failure: 'oversized', detail: `the reply passed the limit of ${this.options.maxReplyBytes} bytes without ending its line` });
  }

  private deliver(line: string): void {
    const pending = this.pending;
    if (pending === null) {
      this.stop({ failure: 'protocol', detail: `after its last reply, the adapter wrote ${excerpt(line)} while no request was waiting (a duplicate or unsolicited reply; stdout is reserved for replies, write logs to stderr)` });
      return;
    }
    this.pending = null;
    clearTimeout(pending.timer);
    pending.resolve(line);
  }

  /** Marks the process unusable, fails the waiting request with `failure`, and kills its whole group. */
  stop(failure: Failure): void {
    if (this.dead === null) {
      this.dead = failure;
      if (this.pending === null) this.idleFailure = failure;
    }
    const pending = this.pending;
    this.pending = null;
    if (pending !== null) {
      clearTimeout(pending.timer);
      pending.reject(failure);
    }
    this.killProcessGroup();
  }

  private killProcessGroup(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.released) return;
    killGroup(pid);
    this.stopInterrupt();
    if (this.hasExited) {
      this.released = true;
      untrackGroup(pid);
    }
  }

  /**
   * Ends stdin so a well-behaved adapter exits, waits at most graceMs for that, then kills the
   * adapter's group (children it left behind included) and waits, bounded again, for the exit.
   * Resolves in at most graceMs + KILL_WAIT_MS whatever the adapter does.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.child.stdin.end();
    await waitAtMost(this.exited, graceMs);
    if (this.dead === null) this.dead = { failure: 'crash', detail: 'stopped at shutdown' };
    this.killProcessGroup();
    await waitAtMost(this.exited, KILL_WAIT_MS);
    this.killProcessGroup();
    // A grandchild outside the group may still hold the pipes open: stop reading them.
    this.child.stdout.destroy();
    this.child.stderr.destroy();
  }
}

/** Resolves when `p` does or after ms, whichever is first; the timer keeps Node alive meanwhile. */
function waitAtMost(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void p.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * One adapter process of a backend and the requests queued for it, one in flight at a time; the
 * ids it has answered tell a late duplicate from a reply to another request.
 */
interface Slot {
  adapter: AdapterProcess | null;
  queue: Promise<unknown>;
  waiting: number;
  answered: Set<number>;
}

/**
 * A Backend served by adapter processes; create it with startProcessBackend. With `jobs` > 1,
 * concurrent requests go to up to that many adapters (started when first needed, each with the
 * handshake of the first), so callers that run cases concurrently are not serialised.
 */
export class ProcessBackend implements Backend {
  readonly name: string;
  readonly version: string;
  readonly dtype: Dtype;
  readonly capabilities: ReadonlySet<Capability>;
  /** The command line, for messages and reports. */
  readonly commandLine: string;
  private nextId = 1;
  private readonly slots: Slot[];
  private closing = false;
  private readonly budget: Budget;

  private constructor(
    private readonly options: ProcessBackendOptions,
    first: AdapterProcess,
    private readonly identity: Identity,
  ) {
    const jobs = options.jobs ?? 1;
    this.slots = Array.from({ length: jobs }, (_, i) => ({ adapter: i === 0 ? first : null, queue: Promise.resolve(), waiting: 0, answered: new Set<number>(i === 0 ? [0] : []) }));
    this.name = identity.name;
    this.version = identity.version;
    this.dtype = identity.dtype;
    this.capabilities = new Set(identity.capabilities);
    this.commandLine = displayCommand(options.command, options.args ?? []);
    this.budget = new Budget({
      caseTimeoutMs: options.requestTimeoutMs ?? PROCESS_DEFAULTS.requestTimeoutMs,
      budgetMs: options.budgetMs ?? PROCESS_DEFAULTS.budgetMs,
    });
  }

  /** Starts the adapter and performs the handshake; a failure throws a ProcessBackendError ('start'). */
  static async start(options: ProcessBackendOptions): Promise<ProcessBackend> {
    if (options.jobs !== undefined && !(Number.isInteger(options.jobs) && options.jobs >= 1)) {
      throw new RangeError(`process backend: jobs must be an integer ≥ 1, got ${show(options.jobs)}`);
    }
    try {
      const { adapter, identity } = await launch(options, 0);
      return new ProcessBackend(options, adapter, identity);
    } catch (e) {
      if (!(e instanceof LaunchFailure)) throw e;
      const label = `'${basename(options.command)}' (${displayCommand(options.command, options.args ?? [])})`;
      throw new ProcessBackendError(label, 'the handshake', 'start', e.detail, e.stderrTail, '');
    }
  }

  get label(): string {
    return `'${this.name}' (${this.commandLine})`;
  }

  async runExpr(c: ExprCase): Promise<ExprResult> {
    const checked = parseExprCase(c);
    return this.call('expr', checked, (result) => parseExprResult(result, checked));
  }

  async runTrain(c: TrainCase): Promise<TrainResult> {
    const checked = parseTrainCase(c);
    return this.call('train', checked, (result) => readTrainResult(result, checked));
  }

  /** Stops the adapters: at most closeTimeoutMs for each to exit on its own, then its group is killed. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((slot) => slot.queue));
    await Promise.all(
      this.slots.map((slot) => {
        const adapter = slot.adapter;
        slot.adapter = null;
        return adapter?.shutdown(this.options.closeTimeoutMs ?? PROCESS_DEFAULTS.closeTimeoutMs);
      }),
    );
  }

  /** Queues the request on the adapter with the fewest requests waiting (with jobs = 1, the only one). */
  private call<T>(type: 'expr' | 'train', c: ExprCase | TrainCase, check: (result: unknown) => T): Promise<T> {
    if (this.closing) return Promise.reject(new Error(`process backend ${this.label} is closed`));
    const id = this.nextId++;
    const slot = this.slots.reduce((best, s) => (s.waiting < best.waiting ? s : best));
    slot.waiting++;
    const task = () => this.exchange(slot, id, type, c, check);
    const run = slot.queue.then(task, task).finally(() => slot.waiting--);
    slot.queue = run.catch(() => undefined);
    return run;
  }

  private async exchange<T>(slot: Slot, id: number, type: 'expr' | 'train', c: ExprCase | TrainCase, check: (result: unknown) => T): Promise<T> {
    const request = `request ${id} (${type} case)`;
    checkInterrupted(`process backend ${this.label}: ${request}`);
    const limit = this.budget.timeoutFor(`process backend ${this.label}: ${request}`);
    const adapter = await this.ensureAdapter(slot, request);
    const fail = (failure: ProcessFailure, detail: string): never => {
      if (failure !== 'adapter-error' && failure !== 'invalid-result') {
        adapter.stop({ failure, detail });
        if (slot.adapter === adapter) slot.adapter = null;
      }
      throw new ProcessBackendError(this.label, request, failure, detail, adapter.stderrTail());
    };
    let line: string;
    try {
      line = await adapter.request(encodeJson({ id, type, case: c }), limit.ms, describeTimeout(limit));
    } catch (e) {
      const { failure, detail } = e as Failure;
      return fail(failure, detail);
    }
    const reply = readReply(line);
    if (typeof reply === 'string') return fail('garbage', reply);
    if (reply.id !== id) {
      const duplicate = reply.id !== null && slot.answered.has(reply.id);
      return fail('protocol', duplicate
        ? `the adapter wrote ${excerpt(line)}, a second reply to request ${reply.id}, which was answered already (a duplicate reply)`
        : `the adapter wrote ${excerpt(line)}: the reply carries id ${show(reply.id)}, not ${id}`);
    }
    slot.answered.add(id);
    if ('declined' in reply) throw new CaseDeclined(reply.declined);
    if (!reply.ok) return fail('adapter-error', `the adapter reported: ${reply.error}`);
    try {
      return check(reply.result);
    } catch (e) {
      if (e instanceof CaseError) return fail('invalid-result', e.message);
      throw e;
    }
  }

  /**
   * The running adapter, or a new one whose handshake must match the first one's. An adapter that
   * failed on its own since the last request (exited, closed its stdout, wrote an unsolicited
   * line) fails this request with what happened; the next one starts a new adapter.
   */
  private async ensureAdapter(slot: Slot, request: string): Promise<AdapterProcess> {
    const current = slot.adapter;
    if (current !== null && current.dead === null) return current;
    slot.adapter = null;
    if (current !== null && current.idleFailure !== null) {
      const { failure, detail } = current.idleFailure;
      throw new ProcessBackendError(this.label, request, failure, `before this request was sent: ${detail}`, current.stderrTail());
    }
    let started: { adapter: AdapterProcess; identity: Identity };
    const handshakeId = this.nextId++;
    try {
      started = await launch(this.options, handshakeId);
    } catch (e) {
      if (e instanceof LaunchFailure) throw new ProcessBackendError(this.label, request, 'start', `the adapter could not be restarted: ${e.detail}`, e.stderrTail);
      throw e;
    }
    const was = identityKey(this.identity);
    const now = identityKey(started.identity);
    if (was !== now) {
      started.adapter.stop({ failure: 'start', detail: 'identity changed' });
      throw new ProcessBackendError(this.label, request, 'start', `the restarted adapter describes itself differently: was ${was}, now ${now}`, started.adapter.stderrTail());
    }
    slot.adapter = started.adapter;
    // A handshake reply repeated later is a duplicate, not a reply to some other request.
    slot.answered.add(handshakeId);
    return started.adapter;
  }
}

export function startProcessBackend(options: ProcessBackendOptions): Promise<ProcessBackend> {
  return ProcessBackend.start(options);
}

function identityKey(i: Identity): string {
  return `${i.name} ${i.version} ${i.dtype} [${[...i.capabilities].sort().join(', ')}]`;
}

/** Bare NaN, Infinity or -Infinity outside a string, as Python's json.dumps writes them by default. */
const BARE_SPECIAL = /(?:^|[[,:]\s*)-?(?:NaN|Infinity)\s*(?:[\],}]|$)/;

/** A reply, or a description of why the line is not one. */
function readReply(line: string): Reply | string {
  let value: unknown;
  try {
    value = decodeJson(line);
  } catch (e) {
    if (BARE_SPECIAL.test(line)) {
      return `the adapter wrote ${excerpt(line)}, which holds a bare NaN or Infinity: JSON has no such literal, so write NaN, Infinity, -Infinity and -0 as the strings "NaN", "Infinity", "-Infinity" and "-0" (in Python, json.dumps(..., allow_nan=False) catches a missed one)`;
    }
    if (e instanceof JsonEncodingError) return `the adapter wrote ${excerpt(line)}: ${e.message}`;
    return `the adapter wrote ${excerpt(line)}, which is not JSON (stdout is reserved for replies; write logs to stderr)`;
  }
  const parsed = replySchema.safeParse(value);
  if (!parsed.success) {
    return `the adapter wrote ${excerpt(line)}, which is not a reply ({"id", "ok": true, "result"}, {"id", "ok": false, "error": "<message>"} or {"id", "declined": "<reason>"})`;
  }
  return parsed.data;
}

/** Why an adapter could not be started, with what it wrote to stderr meanwhile. */
class LaunchFailure {
  constructor(
    readonly detail: string,
    readonly stderrTail: string,
  ) {}
}

/** Spawns the adapter and performs the handshake as request `id`; throws a LaunchFailure. */
async function launch(options: ProcessBackendOptions, id: number): Promise<{ adapter: AdapterProcess; identity: Identity }> {
  const adapter = new AdapterProcess({ maxReplyBytes: PROCESS_DEFAULTS.maxReplyBytes, ...options });
  const fail = (detail: string): never => {
    adapter.stop({ failure: 'start', detail });
    throw new LaunchFailure(detail, adapter.stderrTail());
  };
  checkInterrupted('the handshake');
  const startTimeoutMs = options.startTimeoutMs ?? PROCESS_DEFAULTS.startTimeoutMs;
  let line: string;
  try {
    line = await adapter.request(
      encodeJson({ id, type: 'handshake', protocol: PROTOCOL_VERSION, caseVersion: CASE_VERSION }),
      startTimeoutMs,
      `no handshake reply within ${seconds(startTimeoutMs)}`,
    );
  } catch (e) {
    return fail((e as Failure).detail);
  }
  const reply = readReply(line);
  if (typeof reply === 'string') return fail(reply);
  if ('declined' in reply || reply.id !== id) {
    return fail(`the adapter wrote ${excerpt(line)} where the handshake reply (id ${id}) was due: a line written before the handshake is a protocol error (stdout is reserved for replies)`);
  }
  if (!reply.ok) return fail(`the adapter refused the handshake: ${reply.error}`);
  const parsed = handshakeResultSchema.safeParse(reply.result);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`the handshake result is malformed at '${issue.path.join('.')}': ${issue.message} (expected {protocol, name, version, dtype: 'float64' | 'float32', capabilities: [...]})`);
  }
  if (parsed.data.protocol !== PROTOCOL_VERSION) return fail(`the adapter speaks protocol ${parsed.data.protocol}, this regproof speaks ${PROTOCOL_VERSION}`);
  return { adapter, identity: parsed.data };
}
