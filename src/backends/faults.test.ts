/**
 * The fault-injection suite of issue 10: hostile adapters (Node and Python) and hostile modules,
 * one per fault. Each test checks what regproof reports, and, where processes are involved, that
 * none is left: every adapter and child carries a marker in its argv, looked up in the process
 * table. The CLI tests run regproof in a child process, since the faults they cover (an exit with
 * code 13 and nothing written, a signal) only show in a process of its own.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_CLAIMS } from '../../properties/index.ts';
import { BackendError, CaseDeclined, isBackendError, isCaseDeclined, type Backend } from './backend.ts';
import { BackendLoadError, loadBackend } from './load.ts';
import { DEFAULT_LIMITS } from './lifecycle.ts';
import { guardModuleBackend } from './module.ts';
import { referenceBackend } from './reference.ts';
import { startProcessBackend } from './process.ts';
import { DYADIC_CASE, negationChain } from './testdata/cases.ts';
import { caseCapabilities } from './capabilities.ts';
import { echo, failureOf, faulty, FAULTY, leftovers, marker, processesWith, testdata } from './testdata/support.ts';
import { CLI_FROM_SOURCE } from '../cli/testdata/spawn-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'regproof-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['--version']).status === 0);

describe('protocol: every reply is read strictly', () => {
  it.each<[string, string, RegExp]>([
    ['barenan', 'garbage', /holds a bare NaN or Infinity: JSON has no such literal, so write NaN, Infinity, -Infinity and -0 as the strings "NaN"/],
    ['huge', 'garbage', /the number at key "0" is beyond float64's range \(±1\.8e308\); write an infinity as the string "Infinity"/],
    ['proto', 'invalid-result', /grads\.__proto__: the name "__proto__" is reserved: every JavaScript object inherits a member of that name/],
    ['inherited', 'invalid-result', /value\.data\[1\]: expected a number .*got "valueOf"[\s\S]*grads\.constructor: the name "constructor" is reserved/],
  ])('%s: a %s error that quotes the line, never a number or a dropped key', async (fault, failure, detail) => {
    const backend = await faulty();
    try {
      const error = await failureOf(backend.runExpr(echo(fault)));
      expect(error.failure).toBe(failure);
      expect(error.message).toMatch(detail);
    } finally {
      await backend.close();
    }
  });

  it.each(['duplicate', 'latedup'])('%s: a second reply to one request fails the next request, naming the line', async (fault) => {
    const backend = await faulty();
    try {
      expect((await backend.runExpr(echo(fault))).value.data).toEqual([1, -0]);
      // The late duplicate arrives 100 ms after the first reply, while no request waits.
      await new Promise((r) => setTimeout(r, 300));
      const error = await failureOf(backend.runExpr(echo('next')));
      expect(error.failure).toBe('protocol');
      expect(error.message).toMatch(/before this request was sent: after its last reply, the adapter wrote "\{\\"id\\":1,\\"ok\\":true.*" while no request was waiting \(a duplicate or unsolicited reply/);
      expect((await backend.runExpr(echo('after'))).value.data).toEqual([1, -0]);
    } finally {
      await backend.close();
    }
  });

  it('a JSON line written before the handshake is a start error, not the handshake', async () => {
    const error = await failureOf(faulty({}, 'json-banner'));
    expect(error.message).toMatch(/the handshake failed \(start\): the adapter wrote "\{\\"status\\": \\"ready\\"\}", which is not a reply/);
  });

  it('a handshake reply written before the request is caught when the real one follows', async () => {
    const backend = await faulty({}, 'early-reply');
    try {
      const error = await failureOf(backend.runExpr(echo('x')));
      expect(error.failure).toBe('protocol');
      // The second handshake reply arrives before or after request 1 is sent: either is reported, quoting it.
      expect(error.message).toMatch(/the adapter wrote "\{\\"id\\":0,\\"ok\\":true,.*"(, a second reply to request 0, which was answered already \(a duplicate reply\)| while no request was waiting)/);
    } finally {
      await backend.close();
    }
  });

  it('a declined case is CaseDeclined with the reason, and the adapter keeps running', async () => {
    const backend = await faulty();
    try {
      const error = await backend.runExpr(echo('declined')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CaseDeclined);
      expect((error as CaseDeclined).reason).toBe('inputs named declined are not supported');
      expect((await backend.runExpr(echo('count', [0]))).value.data).toEqual([2]);
    } finally {
      await backend.close();
    }
  });
});

describe('lifecycle: adapters and their children never outlive a request or the run', () => {
  it('a closed stdout fails the waiting request at once, not after the timeout', async () => {
    // The per-case timeout is longer than this test's own (10 s): only an early detection passes.
    const backend = await faulty({ requestTimeoutMs: 60_000 });
    try {
      const error = await failureOf(backend.runExpr(echo('closeout')));
      expect(error.failure).toBe('crash');
      expect(error.message).toMatch(/the adapter closed its stdout \(it can no longer reply\)/);
    } finally {
      await backend.close();
    }
  }, 10_000);

  it('an adapter that exits between requests: the next request reports it, and the one after starts a new adapter', async () => {
    const backend = await faulty();
    try {
      await backend.runExpr(echo('exitlater'));
      await new Promise((r) => setTimeout(r, 300));
      const error = await failureOf(backend.runExpr(echo('next')));
      expect(error.failure).toBe('crash');
      expect(error.message).toMatch(/before this request was sent: the adapter exited \(exit code 4\) while no request was waiting/);
      expect((await backend.runExpr(echo('count', [0]))).value.data).toEqual([1]);
    } finally {
      await backend.close();
    }
  });

  it('a timeout kills the adapter and the child it started that holds its stdout', async () => {
    const mark = marker();
    const backend = await faulty({ requestTimeoutMs: 500 }, 'child-holds-stdout', mark);
    try {
      expect(processesWith(mark)).toHaveLength(2);
      const error = await failureOf(backend.runExpr(echo('hang')));
      expect(error.message).toMatch(/failed \(timeout\): no result within the per-case timeout of 500 ms/);
      expect(await leftovers(mark)).toEqual([]);
    } finally {
      await backend.close();
    }
  });

  it('the overall budget bounds every request after the first, then fails them at once', async () => {
    const backend = await faulty({ requestTimeoutMs: 400, budgetMs: 600 });
    try {
      expect((await failureOf(backend.runExpr(echo('hang')))).message).toMatch(/no result within the per-case timeout of 400 ms/);
      expect((await failureOf(backend.runExpr(echo('hang')))).message).toMatch(/no result within the \d+ ms left of the run's overall budget/);
      await expect(backend.runExpr(echo('x'))).rejects.toThrow(/request \d+ \(expr case\) not sent: the run's overall budget of 600 ms is spent/);
    } finally {
      await backend.close();
    }
  });

  it.each<[string, string[]]>([
    ['an adapter slow to exit', ['slow-exit']],
    ['a Node adapter whose child holds stdout', ['child-holds-stdout']],
    ...(python === undefined ? [] : ([['a Python adapter whose subprocess.Popen child holds stdout', ['popen-child']]] as [string, string[]][])),
  ])('close() ends %s and its whole group within the grace period', async (_what, args) => {
    const mark = marker();
    const usePython = args[0] === 'popen-child';
    const backend = await startProcessBackend({
      command: usePython ? python! : process.execPath,
      args: usePython ? [testdata('hostile_adapter.py'), ...args, mark] : [FAULTY, ...args, mark],
      closeTimeoutMs: 200,
    });
    expect(processesWith(mark).length).toBeGreaterThan(0);
    await backend.close();
    expect(await leftovers(mark)).toEqual([]);
  });
});

describe('module backends: held to the rules of process adapters', () => {
  const reference = referenceBackend();
  const c = echo('x', [1, 2]);
  const guarded = (overrides: Partial<Backend>, limits = DEFAULT_LIMITS, warn = (_: string) => {}) =>
    guardModuleBackend({ ...reference, name: 'hostile', ...overrides }, 'hostile.ts', limits, warn);

  it.each<[string, Partial<Backend>, RegExp]>([
    ['junk training results', { runTrain: async () => ({ losses: [], grads: [], params: [] }) }, /runTrain, request 1 returned a malformed result: invalid training result \(3 problems\):\n {2}losses: 0 entries for 1 steps/],
    ['numbers as "lol"', { runExpr: async () => ({ value: { shape: [2], data: ['lol', 'lol'] }, grads: { x: ['lol', 1] } }) as never }, /returned a malformed result: .*value\.data\[0\]: expected a number/s],
    ['a throw', { runExpr: () => { throw new TypeError('x.map is not a function'); } }, /module backend 'hostile' \(hostile\.ts\): runExpr, request 1 threw: TypeError: x\.map is not a function/],
    ['a rejection with a non-error', { runExpr: () => Promise.reject('nope') }, /runExpr, request 1 threw: a non-error value "nope"/],
    ['a BackendError of its own copy of regproof', { runExpr: () => { throw Object.assign(new Error('device lost'), { name: 'BackendError' }); } }, /runExpr, request 1 failed: BackendError: device lost/],
  ])('%s: a BackendError naming the module and the request', async (_what, overrides, message) => {
    const backend = guarded(overrides);
    const train = { ...DYADIC_CASE, steps: 1 };
    const error = await (overrides.runTrain !== undefined ? backend.runTrain(train) : backend.runExpr(c)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(message);
  });

  it('a case 100,001 ops deep runs, and its result is validated, without overflowing the stack', async () => {
    const deep = negationChain(100_001);
    expect(caseCapabilities(deep)).toEqual(new Set(['op:neg', 'op:sum']));
    expect(await guarded({}).runExpr(deep)).toEqual({ value: { shape: [], data: [-3] }, grads: { x: [-1, -1] } });
  });

  it('a promise that never settles is a timeout', async () => {
    const backend = guarded({ runExpr: () => new Promise(() => {}) }, { ...DEFAULT_LIMITS, caseTimeoutMs: 200 });
    await expect(backend.runExpr(c)).rejects.toThrow(/runExpr, request 1 failed: no result within the per-case timeout of 200 ms/);
  });

  it('a close() that never settles is abandoned with a warning; one that throws is a BackendError', async () => {
    const warnings: string[] = [];
    await guarded({ close: () => new Promise(() => {}) }, { ...DEFAULT_LIMITS, closeTimeoutMs: 100 }, (w) => warnings.push(w)).close!();
    expect(warnings).toEqual(["module backend 'hostile' (hostile.ts): close() did not settle within 100 ms; abandoned"]);
    await expect(guarded({ close: async () => { throw new Error('flush failed'); } }).close!()).rejects.toThrow(/close\(\) threw: Error: flush failed/);
  });

  it('CaseDeclined, from this copy of regproof or another, declines the case with its reason', async () => {
    class CaseDeclinedElsewhere extends Error {
      constructor(readonly reason: string) {
        super(`declined: ${reason}`);
      }
    }
    Object.defineProperty(CaseDeclinedElsewhere, 'name', { value: 'CaseDeclined' });
    for (const thrown of [new CaseDeclined('too large for the GPU'), new CaseDeclinedElsewhere('too large for the GPU')]) {
      const error = await guarded({ runExpr: () => Promise.reject(thrown) }).runExpr(c).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CaseDeclined);
      expect((error as CaseDeclined).reason).toBe('too large for the GPU');
    }
    expect(isCaseDeclined(new CaseDeclinedElsewhere('x'))).toBe(true);
    expect(isBackendError(Object.assign(new Error('x'), { name: 'BackendError' }))).toBe(true);
    expect(isBackendError(new TypeError('x'))).toBe(false);
  });

  it.each<[string, string, RegExp]>([
    ['an import that throws', 'throwing_module.ts', /--backend .*throwing_module\.ts: importing the module failed: Error: boom: cannot connect to the GPU/],
    ['a createBackend() that throws', 'hostile_module.ts', /--backend .*hostile_module\.ts: createBackend\(\) failed: Error: cannot connect to the GPU/],
  ])('%s: the load error says that --backend failed and why', async (_what, file, message) => {
    process.env.REGPROOF_HOSTILE_MODULE = 'boom-at-create';
    try {
      const error = await loadBackend({ backend: testdata(file) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendLoadError);
      expect((error as Error).message).toMatch(message);
    } finally {
      delete process.env.REGPROOF_HOSTILE_MODULE;
    }
  });
});

// ---------------------------------------------------------------- the CLI, in a process of its own

const CLAIM = ALL_CLAIMS.find((c) => c.id === 'l2.half-square-is-weight-decay')!;
/** A second claim, for runs that keep two adapters busy at once. */
const OTHER_CLAIM = ALL_CLAIMS.find((c) => c.id === 'l2.square-without-half-is-double')!;
/** Every name the claims may use: a requirement `a|b` is met by either, so the adapter declares both. */
const CLAIM_CAPABILITIES = [...new Set([CLAIM, OTHER_CLAIM].flatMap((c) => c.requires.flatMap((r) => r.split('|'))))].join(',');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  json: string;
  junit: string;
}

/** How long regproof may take to exit once it has printed its summary line. */
const EXIT_AFTER_SUMMARY_MS = 5_000;

/**
 * Runs `regproof verify --only CLAIM --runs 2` (or the claims `only` names) with reports into a
 * fresh folder; `during` is called with the child once it has started. A child still running 5 s
 * after its summary line is SIGKILLed, so a run that never exits shows as signal SIGKILL rather
 * than a hung test.
 */
function verify(args: string[], env: Record<string, string>, during?: (child: ReturnType<typeof spawn>) => void, only = CLAIM.id): Promise<Run> {
  const out = mkdtempSync(join(dir, 'run-'));
  const json = join(out, 'report.json');
  const junit = join(out, 'report.xml');
  const child = spawn(process.execPath, [...CLI_FROM_SOURCE, 'verify', '--only', only, '--runs', '2', '--json', json, '--junit', junit, ...args], {
    cwd: out,
    env: { ...process.env, REGPROOF_CASE_TIMEOUT: '20', REGPROOF_CLOSE_TIMEOUT: '0.3', ...env },
  });
  let stdout = '';
  let stderr = '';
  let killer: NodeJS.Timeout | undefined;
  child.stdout.on('data', (d) => {
    stdout += d;
    if (killer === undefined && SUMMARY.test(stdout)) killer = setTimeout(() => child.kill('SIGKILL'), EXIT_AFTER_SUMMARY_MS);
  });
  child.stderr.on('data', (d) => (stderr += d));
  during?.(child);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, out: stdout, err: stderr, json: existsSync(json) ? readFileSync(json, 'utf8') : '', junit: existsSync(junit) ? readFileSync(junit, 'utf8') : '' });
    }),
  );
}

const SUMMARY = /\d+ passed, \d+ failed, \d+ not applicable, .* backend errors/;

describe.concurrent('the CLI always finishes its report, and leaves no process behind', () => {
  it('precondition: the claim these runs use needs capabilities, so an adapter that declares none gets no case', () => {
    expect(CLAIM.requires.length).toBeGreaterThan(0);
  });

  it(`${python === undefined ? 'a Node adapter' : 'a Python adapter whose subprocess.Popen child holds stdout, and'} that takes 30 s to exit: exit 0 with the summary and both reports`, async () => {
    const mark = marker();
    const adapter = python === undefined ? [process.execPath, FAULTY, 'slow-exit'] : [python, testdata('hostile_adapter.py'), 'popen-child,slow-exit'];
    const r = await verify(['--cmd', [...adapter, mark].join(' ')], {});
    expect(r.err).toBe('');
    expect([r.code, r.signal]).toEqual([0, null]);
    expect(r.out).toMatch(SUMMARY);
    expect(r.json).toMatch(new RegExp(`"id":\\s*"${CLAIM.id.replaceAll('.', '\\.')}"`));
    expect(r.junit).toMatch(/^<\?xml/);
    expect(await leftovers(mark)).toEqual([]);
  });

  it('a module whose promises and close() never settle: a backend error per claim and a warning, exit 2 with both reports', async () => {
    const r = await verify(['--backend', testdata('hostile_module.ts'), '--case-timeout', '0.5'], { REGPROOF_HOSTILE_MODULE: 'never-settles,close-never-settles' });
    expect([r.code, r.signal]).toEqual([2, null]);
    expect(r.out).toMatch(/failed: no result within the per-case timeout of 500 ms/);
    expect(r.err).toMatch(/regproof: warning: module backend 'hostile' .*close\(\) did not settle within 300 ms; abandoned/);
    expect(r.out).toMatch(SUMMARY);
    expect(r.json).toMatch(/"error"/);
    expect(r.junit).toMatch(/<error /);
  });

  it("a module that leaves a timer and a server open, and throws outside any request: run errors, exit 2 with the summary and both reports, then regproof exits", async () => {
    const r = await verify(['--backend', testdata('hostile_module.ts')], { REGPROOF_HOSTILE_MODULE: 'keeps-node-alive,throws-outside' });
    // A run that never ends is SIGKILLed 5 s after its summary: signal SIGKILL, code null.
    expect([r.code, r.signal]).toEqual([2, null]);
    expect(r.err).toMatch(/regproof: an error was thrown outside any request \(by the backend's code, say\): Error: a timer of the backend failed/);
    expect(r.err).toMatch(/regproof: an error was thrown outside any request \(by the backend's code, say\): Error: a promise of the backend failed/);
    expect(r.out).toMatch(/1 passed, 0 failed, .* 2 backend errors .*; reports: .*report\.json, .*report\.xml\n$/);
    expect(r.json).toMatch(/"outcome":\s*"pass"[\s\S]*a timer of the backend failed/);
    expect(r.junit).toMatch(/<error message="an error was thrown outside any request/);
  });

  it('a module that calls process.exit(0) in a request: exit 2, with the summary and both reports of the run so far', async () => {
    const r = await verify(['--backend', testdata('hostile_module.ts')], { REGPROOF_HOSTILE_MODULE: 'exits' });
    expect([r.code, r.signal]).toEqual([2, null]);
    expect(r.err).toMatch(/regproof: the process was ended \(exit code 0\) before the run finished/);
    expect(r.out).toMatch(/0 passed, 0 failed, .* 1 backend errors/);
    expect(r.json).toMatch(/"errors": \[\s*"the process was ended/);
    expect(r.junit).toMatch(/<error message="the process was ended/);
  });

  it.each([1, 2])('SIGTERM while adapters hang, --jobs %i: every adapter group is killed, and the run ends with exit 2 and both reports', async (jobs) => {
    const mark = marker();
    const busy = join(dir, `${mark}.busy`);
    const cmd = ['--cmd', [process.execPath, FAULTY, 'hang-all', CLAIM_CAPABILITIES, busy, mark].join(' '), '--jobs', String(jobs)];
    // With two adapters, two claims, and the signal once both adapters run (the CLI's own command
    // line holds the mark too): a worker thread sends requests beside the main thread.
    const r = await verify(cmd, {}, (child) => {
      const poll = setInterval(() => {
        if (!existsSync(busy) || processesWith(mark).length < 1 + jobs) return;
        clearInterval(poll);
        child.kill('SIGTERM');
      }, 50);
    }, jobs === 1 ? CLAIM.id : `${CLAIM.id},${OTHER_CLAIM.id}`);
    expect([r.code, r.signal]).toEqual([2, null]);
    expect(r.err).toMatch(/SIGTERM: stopping the backend/);
    expect(r.out).toMatch(/failed \(interrupted\): regproof received SIGTERM|not sent: the run was interrupted by SIGTERM/);
    expect(r.out).toMatch(SUMMARY);
    expect(r.json).not.toBe('');
    expect(r.junit).not.toBe('');
    expect(await leftovers(mark)).toEqual([]);
  });
});
