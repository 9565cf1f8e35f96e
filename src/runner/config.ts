/** Run count and seed come from one place, so CI can raise the runs and every tool agrees. */
export interface RunConfig {
  runs: number;
  seed: number;
}

export const DEFAULT_RUNS = 100;
export const DEFAULT_SEED = 20261125;

function parseInteger(name: string, raw: string, min: number, max: number): number {
  const trimmed = raw.trim();
  if (!/^-?\d+$/.test(trimmed)) throw new RangeError(`${name} must be an integer, got '${raw}'`);
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

export function parseRuns(raw: string, name = 'REGPROOF_RUNS'): number {
  return parseInteger(name, raw, 1, 10_000_000);
}

export function parseSeed(raw: string, name = 'REGPROOF_SEED'): number {
  return parseInteger(name, raw, -0x80000000, 0x7fffffff);
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RunConfig {
  return {
    runs: env.REGPROOF_RUNS === undefined || env.REGPROOF_RUNS === '' ? DEFAULT_RUNS : parseRuns(env.REGPROOF_RUNS),
    seed: env.REGPROOF_SEED === undefined || env.REGPROOF_SEED === '' ? DEFAULT_SEED : parseSeed(env.REGPROOF_SEED),
  };
}

/** A claim's own seed: FNV-1a of the claim id mixed with the run seed, so one claim reruns alone with the same cases. */
export function claimSeed(runSeed: number, claimId: string): number {
  let h = 0x811c9dc5 ^ (runSeed >>> 0);
  for (let i = 0; i < claimId.length; i++) {
    h ^= claimId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
