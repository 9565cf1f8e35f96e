import { describe, expect, it } from 'vitest';
import { oneStepGap } from './rounding.ts';
import { LAMBDA, referenceRunner, sgd, threadCase, withDecay, withPenalty } from './scenarios.ts';

const run = referenceRunner();
const c = { ...threadCase(), steps: 10 };

describe('one-step gaps against the derived rounding bound', () => {
  it('holds λ·0.5·‖W‖² and decoupled plain SGD to weight_decay within rounding, with roundings that do differ', () => {
    const penalty = oneStepGap(run, withPenalty(c, 'half-norm-squared'), { kind: 'penalty', factor: 1 }, withDecay(c, LAMBDA), { kind: 'weightDecay' });
    const decoupled = oneStepGap(run, { ...c, optimizer: { ...sgd(), kind: 'sgdw', weightDecay: LAMBDA } }, { kind: 'decoupled' }, withDecay(c, LAMBDA), { kind: 'weightDecay' });
    for (const gap of [penalty, decoupled]) {
      expect(gap.within).toBe(true);
      expect(gap.differing).toBeGreaterThan(0);
      expect(gap.compared).toBe(10 * 36);
    }
  });

  it('catches a penalty 1e-13 too strong: a gap no rounding explains', () => {
    const stronger = { ...withPenalty(c, 'half-norm-squared'), penalty: { ...withPenalty(c, 'half-norm-squared').penalty!, lambda: LAMBDA * (1 + 1e-13) } };
    const gap = oneStepGap(run, stronger, { kind: 'penalty', factor: 1 }, withDecay(c, LAMBDA), { kind: 'weightDecay' });
    expect(gap.within).toBe(false);
    expect(gap.largest).toBeGreaterThan(gap.bound);
  });

  it('refuses settings it has no derivation for', () => {
    const momentum = { ...c, optimizer: sgd({ momentum: 0.9 }) };
    expect(() => oneStepGap(run, withPenalty(momentum, 'half-pow-sum'), { kind: 'penalty', factor: 1 }, withDecay(momentum, LAMBDA), { kind: 'weightDecay' })).toThrow(
      /derived for SGD without momentum or maximize only/,
    );
  });
});
