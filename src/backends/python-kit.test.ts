// The Python adapter kit (adapters/regproof_adapter.py) and docs/protocol.md's minimal adapter on it.
// The kit is standard library only, so any python3 runs these.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../cli/main.ts';
import { packageFile } from '../package-root.ts';

const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
const pythonReason = python.error !== undefined ? python.error.message : python.status !== 0 ? python.stderr : null;

const dir = mkdtempSync(join(tmpdir(), 'regproof-kit-'));
copyFileSync(packageFile('adapters', 'regproof_adapter.py'), join(dir, 'regproof_adapter.py'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs an adapter script on the kit with the given request lines; returns its replies and stderr. */
function converse(script: string, requests: unknown[]): { replies: Record<string, unknown>[]; stderr: string } {
  const file = join(dir, 'adapter.py');
  writeFileSync(file, script);
  const input = requests.map((r) => (typeof r === 'string' ? r : JSON.stringify(r)) + '\n').join('');
  const run = spawnSync('python3', [file], { input, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`the adapter exited ${run.status}: ${run.stderr}`);
  return { replies: run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>), stderr: run.stderr };
}

const ECHO = `
import math
from regproof_adapter import Declined, log, serve

def run_expr(case):
    data = case['inputs']['x']['data']
    print('a stray print')
    log('a log line')
    if data == ['declined']:
        raise Declined('not this one')
    if data == ['object']:
        return {'value': object()}
    # The signs show that -0 arrived as -0.0; 1 / 0.0 raises, as a bug in an adapter would.
    return {'value': {'shape': [len(data)], 'data': data}, 'signs': [math.copysign(1.0, v) for v in data],
            'reciprocal': 1 / data[0]}

serve(name='echo', version='3', dtype='float32', capabilities=['op:add'], expr=run_expr)
`;

const handshake = { id: 0, type: 'handshake', protocol: 1, caseVersion: 1 };
const expr = (id: number, data: unknown[]) => ({ id, type: 'expr', case: { kind: 'expr', version: 1, inputs: { x: { shape: [data.length], data } } } });

describe.skipIf(pythonReason !== null)(`the Python adapter kit${pythonReason === null ? '' : ` (skipped: no python3: ${pythonReason})`}`, () => {
  it('answers the handshake with what serve was given', () => {
    const { replies } = converse(ECHO, [handshake]);
    expect(replies).toEqual([{ id: 0, ok: true, result: { name: 'echo', version: '3', dtype: 'float32', capabilities: ['op:add'], protocol: 1 } }]);
  });

  it('refuses a protocol or case version it does not speak, naming both', () => {
    const { replies } = converse(ECHO, [{ ...handshake, protocol: 2 }, { ...expr(1, [1]), case: { version: 9, inputs: {} } }]);
    expect(replies[0]).toMatchObject({ id: 0, ok: false });
    expect(replies[0].error).toMatch(/speaks protocol 1 and reads case version 1, the runner asked for protocol 2/);
    expect(replies[1]).toMatchObject({ id: 1, ok: false, error: 'ValueError: this adapter reads case version 1, got 9' });
  });

  it('decodes and encodes NaN, ±Infinity and −0 both ways', () => {
    const { replies } = converse(ECHO, [expr(4, [2, '-0', 'NaN', 'Infinity', '-Infinity'])]);
    expect(replies[0]).toEqual({
      id: 4,
      ok: true,
      result: { value: { shape: [5], data: [2, '-0', 'NaN', 'Infinity', '-Infinity'] }, signs: [1, -1, 1, 1, -1], reciprocal: 0.5 },
    });
  });

  it('rewrites special numbers in the JSON text exactly as walking every value with decode()/encode() would', () => {
    // Random nested values mixing the special numbers with strings that spell them (as keys and
    // values, inside longer strings, with quotes and backslashes); 4,000 requests and replies.
    const check = `
import json, math, random
import regproof_adapter as kit
rng = random.Random(7)
WORDS = ['NaN', 'Infinity', '-Infinity', '-0', '-0.0', 'x', 'a"NaN"b', '\\\\', '"-0"', 'NaN:', '']
def value(depth):
    r = rng.random()
    if depth > 3 or r < 0.4:
        return rng.choice([math.nan, math.inf, -math.inf, -0.0, 0.0, -0.001, 1e300, -2.5e-8, 3, True, None] + WORDS)
    if r < 0.7:
        return [value(depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(WORDS): value(depth + 1) for _ in range(rng.randrange(4))}
bad = 0
for _ in range(2000):
    v = value(0)
    bad += kit._reply_line(v) != json.dumps(kit.encode(v), allow_nan=False)
    for sep in [(',', ':'), (' , ', ' : ')]:
        text = json.dumps(kit.encode(v), separators=sep)
        bad += repr(kit._request(text)) != repr(kit.decode(json.loads(text)))
print(bad)
`;
    const run = spawnSync('python3', ['-c', check], { cwd: dir, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('0\n');
  });

  it('turns an exception into an error reply, logs its traceback and keeps serving', () => {
    const { replies, stderr } = converse(ECHO, [expr(5, [0]), 'not json', expr(6, [4])]);
    // The message's wording varies between Python versions; the type leads it in each.
    expect(replies[0]).toMatchObject({ id: 5, ok: false, error: expect.stringMatching(/^ZeroDivisionError: .*division by zero$/) });
    expect(replies[1]).toMatchObject({ id: null, ok: false });
    expect(replies[2]).toMatchObject({ id: 6, ok: true });
    expect(stderr).toMatch(/Traceback[\s\S]*ZeroDivisionError/);
  });

  it('replies declined with the reason, for a declined case and for a kind of case with no function', () => {
    const train = { id: 8, type: 'train', case: { kind: 'train', version: 1 } };
    const { replies } = converse(ECHO, [expr(7, ['declined']), train]);
    expect(replies).toEqual([
      { id: 7, declined: 'not this one' },
      { id: 8, declined: 'this adapter runs no train cases' },
    ]);
  });

  it('keeps stdout for replies: prints and log() go to stderr', () => {
    const { replies, stderr } = converse(ECHO, [expr(9, [1])]);
    expect(replies).toHaveLength(1);
    expect(stderr).toContain('a stray print\na log line\n');
  });

  it('names a value JSON cannot carry', () => {
    const { replies } = converse(ECHO, [expr(10, ['object'])]);
    expect(replies[0]).toMatchObject({ id: 10, ok: false });
    expect(replies[0].error).toMatch(/^TypeError: cannot send a object in a reply: convert it to floats and lists first/);
  });
});

/** The example adapter of docs/protocol.md, exactly as printed there. */
function exampleAdapter(): string {
  const page = readFileSync(packageFile('docs', 'protocol.md'), 'utf8');
  const match = /<!-- example-adapter -->\s*```python\n([\s\S]*?)```/.exec(page);
  if (match === null) throw new Error('docs/protocol.md has no example adapter block');
  return match[1];
}

describe.skipIf(pythonReason !== null)("docs/protocol.md's minimal adapter, through regproof verify --cmd", () => {
  it('passes the claims it declares enough for, with no failure and no backend error', async () => {
    const file = join(dir, 'minimal_adapter.py');
    writeFileSync(file, exampleAdapter());
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const code = await main(['verify', '--cmd', `python3 ${file}`, '--runs', '10']);
    const report = out.join('');
    expect(report).toMatch(/backend minimal-python 1 \(float64\)/);
    const summary = /(\d+) passed, (\d+) failed, \d+ not applicable, .* (\d+) backend errors/.exec(report);
    expect(summary, report).not.toBeNull();
    const [passed, failed, errors] = summary!.slice(1).map(Number);
    expect({ passed: passed > 0, failed, errors }, report).toEqual({ passed: true, failed: 0, errors: 0 });
    // The claims docs/protocol.md names.
    expect(report).toMatch(/sgd\.matches-documented-update\s+pass/);
    expect(report).toMatch(/thread\.inplace-square-update-is-not-decay\s+pass/);
    expect(report).toMatch(/diff\.steps-match-reference\s+pass/);
    expect(code).toBe(0);
  });
});
