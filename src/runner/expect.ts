/**
 * Known failures: a backend that departs from the reference semantics on purpose lists the
 * claims it fails, each with its reason. An expected failure does not fail the run; an entry
 * whose claim now passes is stale and does, so the list cannot silently rot.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export interface Expectation {
  claim: string;
  reason: string;
}

const expectationsSchema = z.strictObject({
  expected: z.array(z.strictObject({ claim: z.string().min(1), reason: z.string().min(1, 'give the reason the claim is expected to fail') })),
});

export function parseExpectations(text: string, source: string, knownClaims: readonly string[]): Expectation[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = expectationsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${source}: ${issue.path.join('.') || '(top level)'}: ${issue.message} (expected {"expected": [{"claim": "<id>", "reason": "<why>"}]})`);
  }
  const seen = new Set<string>();
  for (const [i, e] of parsed.data.expected.entries()) {
    if (!knownClaims.includes(e.claim)) throw new Error(`${source}: expected.${i}.claim: no claim '${e.claim}'`);
    if (seen.has(e.claim)) throw new Error(`${source}: expected.${i}.claim: '${e.claim}' is listed twice`);
    seen.add(e.claim);
  }
  return parsed.data.expected;
}

export function loadExpectations(path: string, knownClaims: readonly string[]): Expectation[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`--expect: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseExpectations(text, path, knownClaims);
}
