import { describe, expect, it } from 'vitest';
import { allTorchRuns, replayUpdates } from './fixtures-exact.ts';
import { randomTorchFixtures } from './fixture-support.ts';

describe('replaying PyTorch updates', () => {
  it('covers every optimizer, float64 and float32, in at least 200 random runs', () => {
    const random = randomTorchFixtures();
    expect(random.length).toBeGreaterThanOrEqual(200);
    expect(new Set(random.map((f) => f.case.optimizer.kind))).toEqual(new Set(['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad']));
    expect(new Set(random.map((f) => f.dtype))).toEqual(new Set(['float64', 'float32']));
  });

  it("fails in the plain arithmetic, which rounds a + α·b twice (the claim's check can fail)", () => {
    const plain = allTorchRuns().map((f) => replayUpdates(f, 'plain'));
    expect(plain.filter((r) => r.mismatched > 0).length).toBeGreaterThan(100);
  });
});
