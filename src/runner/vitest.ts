/**
 * Registers claims as vitest tests. Library authors call registerConformance from their own
 * suite with their backend; regproof's properties/*.prop.ts files call registerClaims with the
 * reference engine.
 */
import { describe, it } from 'vitest';
import { FAMILIES } from '../../properties/index.ts';
import type { Backend } from '../backends/backend.ts';
import type { Claim } from './claim.ts';
import { configFromEnv } from './config.ts';
import type { Expectation } from './expect.ts';
import { formatFailure, notApplicableReason, shellQuote } from './format.ts';
import { runClaim, type RunOptions } from './run.ts';

export interface RegisterOptions extends RunOptions {
  /** Claims the backend is known to fail, with the reason: registered as expected failures, so a fix shows up as a failing test (see loadExpectations). */
  expected?: readonly Expectation[];
  /** Generated cases per claim; defaults to REGPROOF_RUNS (or 100). */
  runs?: number;
  /** The run seed; defaults to REGPROOF_SEED. Pin it where expected failures depend on the cases drawn. */
  seed?: number;
  /** Prefixes every family's describe block, to tell backends apart in one suite. */
  label?: string;
}

export function registerClaims(family: string, claims: readonly Claim[], backend: () => Backend | Promise<Backend>, options: RegisterOptions = {}): void {
  const config = { ...configFromEnv(), ...(options.runs === undefined ? {} : { runs: options.runs }), ...(options.seed === undefined ? {} : { seed: options.seed }) };
  let instance: Promise<Backend> | null = null;
  const get = () => (instance ??= Promise.resolve(backend()));
  describe(family, () => {
    for (const claim of claims) {
      const expectation = options.expected?.find((e) => e.claim === claim.id);
      const body = async (ctx: { skip: (note?: string) => void }) => {
        // An expected failure needs only its verdict; anything else gets the whole report.
        const result = await runClaim(claim, await get(), config, { distinctFailures: expectation === undefined, ...options });
        if (result.verdict === 'not-applicable') ctx.skip(notApplicableReason(result));
        // vitest ran it with this backend, so vitest reruns it: the CLI would pick its own backend.
        const command = `REGPROOF_SEED=${config.seed} REGPROOF_RUNS=${config.runs} npx vitest run -t ${shellQuote(claim.id)}`;
        if (result.verdict === 'fail' || result.verdict === 'error') throw new Error(formatFailure(result, { runSeed: config.seed, command }));
      };
      if (expectation) it.fails(`${claim.id} (expected to fail: ${expectation.reason})`, body);
      else it(`${claim.id}: ${claim.statement}`, body);
    }
  });
}

/**
 * Every claim regproof has, against the author's backend, one describe block per family. The
 * backend is created once on first use; close it in the suite's afterAll if it holds a process.
 */
export function registerConformance(backend: () => Backend | Promise<Backend>, options: RegisterOptions = {}): void {
  const known = Object.values(FAMILIES).flat().map((c) => c.id);
  for (const e of options.expected ?? []) {
    if (!known.includes(e.claim)) throw new Error(`registerConformance: expected failure for unknown claim '${e.claim}'`);
  }
  let shared: Promise<Backend> | null = null;
  const once = () => (shared ??= Promise.resolve(backend()));
  for (const [family, claims] of Object.entries(FAMILIES)) registerClaims(options.label ? `${options.label}: ${family}` : family, claims, once, options);
}
