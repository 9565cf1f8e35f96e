/** How the case schema reports a problem: the field's path, the message, the received value shown plainly. */
import { encodeNumber } from './json.ts';

export interface CaseIssue {
  /** The field, as `optimizer.lr` or `graph.args[0].attrs.exponent`; empty for the whole value. */
  path: string;
  message: string;
}

/** A malformed case or result: every problem with the field it concerns. */
export class CaseError extends RangeError {
  constructor(
    readonly what: string,
    readonly issues: readonly CaseIssue[],
  ) {
    const lines = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
    super(lines.length === 1 ? `invalid ${what}: ${lines[0]}` : `invalid ${what} (${lines.length} problems):\n  ${lines.join('\n  ')}`);
    this.name = 'CaseError';
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** A received value in an error message: strings quoted, numbers with −0 and NaN visible. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number') return String(encodeNumber(v));
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** `a`, `a or b`, `a, b or c`. */
export function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/**
 * Names every object inherits (`constructor`, `toString`, `__proto__`, ...): as a key of a case's
 * record they would be confused with the inherited member, or (`__proto__`) dropped on copying.
 */
export function isPrototypeName(name: string): boolean {
  return name in Object.prototype;
}

export const PROTOTYPE_NAME_MESSAGE = (name: string) =>
  `the name ${JSON.stringify(name)} is reserved: every JavaScript object inherits a member of that name`;
