import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../src/backends/reference.ts';
import { allTorchRuns, fusedPair, replayUpdates } from './fixtures-exact.ts';
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

  it("fails the fused-pair claim for a backend doing the plain arithmetic, whose two runs are bit-identical", async () => {
    const plain = referenceBackend();
    const result = await fc.check(fusedPair.property(plain), { numRuns: 1 });
    expect(result.failed).toBe(true);
    expect(String(result.errorInstance)).toMatch(/differ from PyTorch's recording/);
  });
});
