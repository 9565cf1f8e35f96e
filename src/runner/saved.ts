/**
 * Saved failures: the shrunk cases of a failing claim, kept per backend and replayed first on the
 * next run (fast-check has no example database of its own). The store is advisory: a file it
 * cannot read, trust or write is reported by name and skipped, never fatal and never a verdict,
 * since a stale CI cache or a read-only folder says nothing about the backend under test.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { decodeJson, encodeJson } from '../cases/json.ts';
import { describeFsError, writeFileAtomic } from './files.ts';

export const SAVED_FORMAT = 'regproof-saved-failure';
export const SAVED_VERSION = 1;

export interface SavedFailure {
  format: typeof SAVED_FORMAT;
  version: typeof SAVED_VERSION;
  claim: string;
  backend: string;
  /**
   * A fingerprint of the cases the claim's generators draw for this backend: a saved case is only
   * meaningful to the generators that produced it, so a file from other generators (an older
   * regproof, another capability set) is skipped rather than replayed into a claim it no longer fits.
   */
  generator: string;
  /** One shrunk case per distinct kind of failure, each the property's argument tuple. */
  cases: unknown[][];
}

const savedSchema = z.strictObject({
  format: z.literal(SAVED_FORMAT),
  version: z.number(),
  claim: z.string(),
  backend: z.string(),
  generator: z.string(),
  cases: z.array(z.array(z.unknown())).min(1),
});

const fileStem = (backend: string) => `${backend.replace(/[^\w.-]+/g, '_')}--`;

export function savedFailureFile(dir: string, claimId: string, backend: string): string {
  return join(dir, `${fileStem(backend)}${claimId}.json`);
}

/** Where the requests of a saved failure's i-th kind (from 1) are kept for `regproof replay`. */
export function requestFilePath(dir: string, claimId: string, backend: string, i: number): string {
  return join(dir, 'requests', `${fileStem(backend)}${claimId}--${i}.json`);
}

/** Removes the request files of a claim's earlier failures, so none outlives the failure it belonged to. */
export function clearRequestFiles(dir: string, claimId: string, backend: string): string[] {
  const folder = join(dir, 'requests');
  const prefix = `${fileStem(backend)}${claimId}--`;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+\.json$/.test(n.slice(prefix.length)))
    .flatMap((n) => {
      try {
        rmSync(join(folder, n), { force: true });
        return [];
      } catch (e) {
        return [`cannot remove the outdated request file ${join(folder, n)} (${describeFsError(e)})`];
      }
    });
}

/** FNV-1a over the first cases the property draws from a fixed seed: cheap, and it moves whenever the generators do. */
export function generatorFingerprint(property: fc.IRawProperty<unknown[]>): string {
  const text = encodeJson(fc.sample(property, { seed: 0x5eed, numRuns: 2 }));
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

export type SavedRead = { status: 'none' } | { status: 'ok'; saved: SavedFailure } | { status: 'skipped'; warning: string };

/** Reads a saved failure for this claim, backend and generator; anything else is skipped with a warning naming the file. */
export function readSavedFailure(file: string, claimId: string, backend: string, generator: string): SavedRead {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    // Nothing saved, or no folder at all (ENOTDIR): writing will say whether that is a problem.
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return { status: 'none' };
    return { status: 'skipped', warning: `saved failure ${file}: cannot read it (${describeFsError(e)}); skipped` };
  }
  const skip = (why: string): SavedRead => ({ status: 'skipped', warning: `saved failure ${file}: ${why}; skipped (delete the file to silence this)` });
  if (text.trim() === '') return skip('the file is empty');
  let raw: unknown;
  try {
    raw = decodeJson(text);
  } catch (e) {
    return skip(`not valid JSON, perhaps truncated (${(e as Error).message})`);
  }
  const parsed = savedSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return skip(`not a regproof saved failure (${issue.path.join('.') || 'top level'}: ${issue.message})`);
  }
  const saved = parsed.data as SavedFailure;
  if (saved.version !== SAVED_VERSION) return skip(`format version ${saved.version}, this regproof reads version ${SAVED_VERSION}`);
  if (saved.claim !== claimId || saved.backend !== backend) return skip(`it belongs to claim '${saved.claim}' on backend '${saved.backend}', not to this file's name`);
  if (saved.generator !== generator) return skip(`saved from other generators for ${claimId} (an older regproof or other capabilities)`);
  return { status: 'ok', saved };
}

/** Writes atomically; returns a warning instead of throwing, since the counterexample is in the report anyway. */
export function writeSavedFailure(file: string, saved: SavedFailure): string | null {
  try {
    writeFileAtomic(file, encodeJson(saved, 2) + '\n');
    return null;
  } catch (e) {
    return `cannot save the failure to ${file} (${describeFsError(e)}); it is not replayed next run, but it is printed and in the reports`;
  }
}

/** Removes a saved failure that now passes; another run removing it first is not an error. */
export function removeSavedFailure(file: string): string | null {
  try {
    rmSync(file, { force: true });
    return null;
  } catch (e) {
    return `cannot remove the passing saved failure ${file} (${describeFsError(e)})`;
  }
}

/** Files in the store for this backend that name no known claim: reported, since nothing replays them. */
export function strayFailureFiles(dir: string, backend: string, knownClaims: readonly string[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const stem = fileStem(backend);
  return names
    .filter((n) => n.startsWith(stem) && n.endsWith('.json') && !knownClaims.includes(n.slice(stem.length, -'.json'.length)))
    .map((n) => `saved failure ${join(dir, n)}: names no known claim ('${n.slice(stem.length, -'.json'.length)}'); skipped (delete the file to silence this)`);
}
