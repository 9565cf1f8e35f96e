/**
 * Files that are either whole or absent: a report or a saved failure is written to a temporary
 * file beside its target and renamed over it, so a reader (a CI dashboard, a concurrent run, the
 * next run after a kill -9) never sees half of one.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { threadId } from 'node:worker_threads';

let counter = 0;

export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}-${threadId}-${++counter}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw e;
  }
}

/** The reason a file operation failed, as a person reads it: the errno code when there is one. */
export function describeFsError(e: unknown): string {
  const error = e as NodeJS.ErrnoException;
  return error.code !== undefined ? `${error.code}: ${error.message}` : String(error.message ?? e);
}
