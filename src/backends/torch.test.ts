import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainCase } from '../cases/types.ts';
import { OPS } from '../engine/ops.ts';
import { PENALTIES } from '../regularize/recipes.ts';
import type { ProcessBackend } from './process.ts';
import { referenceBackend } from './reference.ts';
import { DYADIC_CASE, EXACT_RECIPES, OP_CASES, differences, expectSame, opCase, penalty, sgd } from './testdata/cases.ts';
import { torchBackend, torchStatus, type TorchStatus } from './torch.ts';

const status = torchStatus();
const skipNote = status.available ? '' : ` (SKIPPED: ${status.reason})`;
if (!status.available) console.warn(`torch backend tests skipped: ${status.reason}`);

/**
 * The op cases apply one op to inputs in [−2, 3]. Each compared number takes at most three
 * roundings after the op's libm call; the two libms are each within an ulp of the true value, so
 * they differ by at most 2 ulps, and the worst amplification of that difference here is tanh's
 * 1 − y² at |x| = 3 (2y²/(1 − y²) < 200). That bounds the difference by 3·200·4U·max(1, |v|) ≈
 * 2.7e-13·max(1, |v|); the reductions (at most six terms below 25) add at most 2·6·25·U ≈ 3.3e-14.
 * 2⁻⁴⁰ ≈ 9.1e-13 covers both, while a different rule or subgradient is off by order 1 at these
 * points. Non-finite values and the signs of zeros must match exactly.
 */
const OP_TOLERANCE = 2 ** -40;

const TRAIN_CASES: [string, TrainCase][] = [
  ['no penalty, plain SGD', DYADIC_CASE],
  ['sum reduction, heavy-ball momentum with dampening', { ...DYADIC_CASE, loss: { kind: 'mse', reduction: 'sum' }, optimizer: sgd({ lr: 0.0625, momentum: 0.5, dampening: 0.5 }) }],
  ['nesterov and weight decay', { ...DYADIC_CASE, optimizer: sgd({ momentum: 0.75, nesterov: true, weightDecay: 0.5 }) }],
  ['maximize with a subtracted penalty', { ...DYADIC_CASE, penalty: penalty('half-pow-sum', { sign: 'subtract' }), optimizer: sgd({ maximize: true, weightDecay: 0.25 }) }],
  ['weights-only penalty and parameter groups', { ...DYADIC_CASE, penalty: penalty('pow-sum', { select: 'weights' }), groups: [{ select: 'weights', weightDecay: 0.5 }, { select: 'biases', weightDecay: 0 }] }],
  ['gradients never zeroed', { ...DYADIC_CASE, penalty: penalty('l1'), zeroGrad: false, optimizer: sgd({ momentum: 0.5 }) }],
  ...Object.keys(PENALTIES).map((recipe): [string, TrainCase] => [`recipe ${recipe}`, { ...DYADIC_CASE, penalty: penalty(recipe), steps: EXACT_RECIPES.has(recipe) ? 2 : 1 }]),
];

describe.skipIf(!status.available)(`torch backend (PyTorch through adapters/torch_adapter.py)${skipNote}`, () => {
  let torch: ProcessBackend;
  const reference = referenceBackend();
  beforeAll(async () => {
    torch = await torchBackend();
  });
  afterAll(() => torch?.close());

  it('describes itself: PyTorch 1.13 in float64, with every op and recipe of the reference', () => {
    expect(torch.name).toBe('torch');
    expect(torch.version).toMatch(/^1\.13\./);
    expect(torch.dtype).toBe('float64');
    for (const op of Object.keys(OPS)) expect(torch.capabilities).toContain(`op:${op}`);
    for (const recipe of Object.keys(PENALTIES)) expect(torch.capabilities).toContain(`recipe:${recipe}`);
  });

  it.each(OP_CASES)('expression %s: value and gradients agree with the reference', async (_name, graph) => {
    const c = await opCase(graph);
    const [t, r] = await Promise.all([torch.runExpr(c), reference.runExpr(c)]);
    expect(t.value.shape).toEqual(r.value.shape);
    const parted = [
      ...differences(t.value.data, r.value.data, OP_TOLERANCE, 'value'),
      ...Object.keys(r.grads).flatMap((name) => differences(t.grads[name], r.grads[name], OP_TOLERANCE, `grads.${name}`)),
    ];
    expect(parted).toEqual([]);
  });

  it('graph lifetime: a second backward fails exactly where the reference fails, except mean over an axis', async () => {
    // PyTorch 1.13's MeanBackward1 (mean over an axis) saves its input; the op table's mean saves
    // nothing (docs/ops.md, known divergences). Every other op agrees.
    const disagreements: string[] = [];
    for (const [name, graph] of OP_CASES) {
      const c = await opCase(graph, { times: 2, retainGraph: false });
      const [t, r] = await Promise.all([torch.runExpr(c), reference.runExpr(c)]);
      if (t.error?.kind !== r.error?.kind) disagreements.push(`${name}: torch ${t.error?.kind ?? 'no error'}, reference ${r.error?.kind ?? 'no error'}`);
    }
    expect(disagreements).toEqual(['mean axis 0: torch graph-released, reference no error']);
  });

  it('graph lifetime: with retainGraph, two backwards leave the same accumulated gradients on every op', async () => {
    for (const [name, graph] of OP_CASES) {
      const c = await opCase(graph, { times: 2, retainGraph: true });
      const [t, r] = await Promise.all([torch.runExpr(c), reference.runExpr(c)]);
      expect(t.error, name).toBeUndefined();
      expect(Object.keys(r.grads).flatMap((input) => differences(t.grads[input], r.grads[input], OP_TOLERANCE, `${name}: grads.${input}`))).toEqual([]);
    }
  });

  it.each(TRAIN_CASES)('training, %s: bit-identical to the reference (exact arithmetic)', async (_name, c) => {
    const [t, r] = await Promise.all([torch.runTrain(c), reference.runTrain(c)]);
    expectSame(t, r, 'result', ['torch', 'reference']);
  });

  it('the training comparison fails against a deliberately broken reference', async () => {
    // pow-sum's gradient is twice half-pow-sum's, and so is its value: the first losses differ.
    const broken = referenceBackend({ penalties: { ...PENALTIES, 'half-pow-sum': PENALTIES['pow-sum'] } });
    const c: TrainCase = { ...DYADIC_CASE, penalty: penalty('half-pow-sum') };
    const [t, r] = await Promise.all([torch.runTrain(c), broken.runTrain(c)]);
    expect(() => expectSame(t, r, 'result', ['torch', 'reference'])).toThrow(/^result\.losses\[0\]: torch .* versus reference/);
  });
});

describe('torch availability', () => {
  function statusWith(python: string): TorchStatus {
    const saved = process.env.REGPROOF_TORCH_PYTHON;
    process.env.REGPROOF_TORCH_PYTHON = python;
    try {
      return torchStatus();
    } finally {
      if (saved === undefined) delete process.env.REGPROOF_TORCH_PYTHON;
      else process.env.REGPROOF_TORCH_PYTHON = saved;
    }
  }

  it('names an interpreter that cannot run', () => {
    expect(statusWith('/nonexistent/python3')).toEqual({ available: false, python: '/nonexistent/python3', reason: expect.stringMatching(/^cannot run \/nonexistent\/python3: spawnSync \/nonexistent\/python3 ENOENT$/) });
  });

  const python = spawnSync('python3', ['--version']);
  it.skipIf(python.status !== 0)('names an interpreter without torch, and says how to get it', () => {
    // python3 -S skips site-packages, where torch lives, so this interpreter runs but has no torch.
    const dir = mkdtempSync(join(tmpdir(), 'regproof-python-'));
    const wrapper = join(dir, 'python-without-site');
    writeFileSync(wrapper, '#!/bin/sh\nexec python3 -S "$@"\n', { mode: 0o755 });
    try {
      expect(statusWith(wrapper)).toEqual({ available: false, python: wrapper, reason: `${wrapper} has no torch module (on Debian: apt-get install python3-torch; or set REGPROOF_TORCH_PYTHON)` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
