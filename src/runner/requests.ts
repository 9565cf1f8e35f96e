/**
 * A failing case as the backend received it: the exact requests, saved to a file that
 * `regproof replay` sends again, so a library author can debug without regproof's generators.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { decodeJson, encodeJson } from '../cases/json.ts';
import { parseExprCase, parseTrainCase } from '../cases/schema.ts';
import { writeFileAtomic } from './files.ts';
import type { BackendRequest } from './instrument.ts';

export const REQUEST_FORMAT = 'regproof-request';
export const REQUEST_VERSION = 1;

export interface RequestFile {
  format: typeof REQUEST_FORMAT;
  version: typeof REQUEST_VERSION;
  claim: string;
  backend: string;
  /** Why the claim failed on this case, as the report said it. */
  message: string;
  requests: BackendRequest[];
}

const requestSchema = z.strictObject({
  format: z.literal(REQUEST_FORMAT),
  version: z.literal(REQUEST_VERSION),
  claim: z.string(),
  backend: z.string(),
  message: z.string(),
  requests: z.array(z.strictObject({ method: z.enum(['runExpr', 'runTrain']), case: z.record(z.string(), z.unknown()) })).min(1),
});

export function writeRequestFile(path: string, content: Omit<RequestFile, 'format' | 'version'>): void {
  writeFileAtomic(path, encodeJson({ format: REQUEST_FORMAT, version: REQUEST_VERSION, ...content }, 2) + '\n');
}

/** Reads a request file; every problem is an error naming the file and the field. */
export function readRequestFile(path: string): RequestFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`replay: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = decodeJson(text);
  } catch (e) {
    throw new Error(`replay: ${path} is not valid JSON (${(e as Error).message})`);
  }
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`replay: ${path} is not a regproof request file (${issue.path.join('.') || 'top level'}: ${issue.message})`);
  }
  const file = parsed.data;
  const requests = file.requests.map((r, i): BackendRequest => {
    try {
      return r.method === 'runExpr' ? { method: r.method, case: parseExprCase(r.case) } : { method: r.method, case: parseTrainCase(r.case) };
    } catch (e) {
      throw new Error(`replay: ${path}: requests.${i}.case: ${(e as Error).message}`);
    }
  });
  return { ...file, requests };
}
