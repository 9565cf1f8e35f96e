import { describe, expect, it } from 'vitest';
import { claimSeed, configFromEnv, DEFAULT_RUNS, DEFAULT_SEED } from './config.ts';

describe('run configuration', () => {
  it('defaults and reads REGPROOF_RUNS and REGPROOF_SEED', () => {
    expect(configFromEnv({})).toEqual({ runs: DEFAULT_RUNS, seed: DEFAULT_SEED });
    expect(configFromEnv({ REGPROOF_RUNS: '1000', REGPROOF_SEED: '-7' })).toEqual({ runs: 1000, seed: -7 });
  });
  it.each(['abc', '1.5', '0', '1e3', '   '])('rejects REGPROOF_RUNS=%j with a message naming it', (raw) => {
    expect(() => configFromEnv({ REGPROOF_RUNS: raw })).toThrow(/REGPROOF_RUNS must be an integer/);
  });
  it('derives distinct, stable claim seeds', () => {
    expect(claimSeed(1, 'a')).toBe(claimSeed(1, 'a'));
    expect(claimSeed(1, 'a')).not.toBe(claimSeed(1, 'b'));
    expect(claimSeed(1, 'a')).not.toBe(claimSeed(2, 'a'));
  });
});
