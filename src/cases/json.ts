/**
 * JSON with every float64 preserved: NaN, ±Infinity and −0 have no JSON literal
 * (JSON.stringify turns the first three into null and −0 into 0), so they travel as the
 * strings "NaN", "Infinity", "-Infinity" and "-0". Numeric fields never hold strings otherwise.
 * Decoding is strict: a number literal beyond float64's range (1e400) is an error, not Infinity,
 * since Infinity has its own spelling; bare NaN and Infinity tokens are not JSON and are errors.
 */
const SPECIAL = new Map<string, number>([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-0', -0],
]);

export function encodeNumber(x: number): number | string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return x;
}

/** JSON's text for a value other than an object or array; undefined for one it leaves out (undefined, a function, a symbol). */
function scalar(v: unknown): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? String(v) : `"${encodeNumber(v)}"`;
  // A string quoted and escaped, true, false, null; a bigint throws, as it always has.
  return JSON.stringify(v);
}

/** An array or object being written: its keys (null for an array) and the next entry to write. */
interface Open {
  container: Record<string, unknown>;
  keys: string[] | null;
  length: number;
  next: number;
}

const omitted = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/**
 * The value as JSON, with the four special numbers spelled out and typed arrays as arrays.
 * JSON.stringify is native and fast, but it recurses, and overflows the stack near depth 3,000;
 * a value that deep (a 100,000-op chain) is written by encodeDeep instead, to the same text.
 */
export function encodeJson(value: unknown, indent?: number): string {
  const encode = (v: unknown): unknown => {
    if (typeof v === 'number') return encodeNumber(v);
    if (Array.isArray(v)) return v.map(encode);
    if (ArrayBuffer.isView(v)) return Array.from(v as Float64Array, encodeNumber);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
    return v;
  };
  try {
    return JSON.stringify(encode(value), null, indent);
  } catch (e) {
    // A stack overflow; JSON.stringify's other RangeError, a text too long, recurs in encodeDeep.
    if (e instanceof RangeError) return encodeDeep(value, indent);
    throw e;
  }
}

/** encodeJson's text, written with an explicit stack rather than recursion, for a value of any depth. */
export function encodeDeep(value: unknown, indent?: number): string {
  if (typeof value !== 'object' || value === null) return scalar(value) as string;
  const gap = ' '.repeat(Math.min(10, Math.max(0, Math.trunc(indent ?? 0))));
  const colon = gap === '' ? ':' : ': ';
  const newline = (depth: number) => (gap === '' ? '' : `\n${gap.repeat(depth)}`);
  let out = '';
  const open: Open[] = [];
  const onPath = new Set<object>();
  const put = (v: unknown, inArray: boolean) => {
    if (typeof v !== 'object' || v === null) return void (out += scalar(v) ?? (inArray ? 'null' : ''));
    if (onPath.has(v)) throw new TypeError('encodeJson: the value refers to itself (a cycle), which JSON cannot write');
    const array = Array.isArray(v) || ArrayBuffer.isView(v);
    const keys = array ? null : Object.keys(v).filter((k) => !omitted((v as Record<string, unknown>)[k]));
    onPath.add(v);
    open.push({ container: v as Record<string, unknown>, keys, length: keys?.length ?? ((v as { length?: number }).length ?? 0), next: 0 });
    out += array ? '[' : '{';
  };
  put(value, false);
  while (open.length > 0) {
    const top = open[open.length - 1];
    if (top.next === top.length) {
      open.pop();
      onPath.delete(top.container);
      out += `${top.length > 0 ? newline(open.length) : ''}${top.keys === null ? ']' : '}'}`;
      continue;
    }
    const i = top.next++;
    out += `${i > 0 ? ',' : ''}${newline(open.length)}`;
    if (top.keys === null) put(top.container[i], true);
    else {
      out += JSON.stringify(top.keys[i]) + colon;
      put(top.container[top.keys[i]], false);
    }
  }
  return out;
}

/** A JSON text that is well-formed but breaks the encoding rule (a number out of float64's range). */
export class JsonEncodingError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = 'JsonEncodingError';
  }
}

/**
 * Parses a JSON text and turns the four special spellings into their numbers. JSON.parse reads any
 * depth; the special spellings are then replaced with an explicit stack (a reviver recurses, and
 * overflows near depth 3,000).
 */
export function decodeJson(text: string): unknown {
  const root: unknown[] = [JSON.parse(text)];
  const pending: object[] = [root];
  // The value at `key` of `holder`, with a special spelling replaced (defineProperty, since a
  // plain assignment to the key "__proto__" would set the prototype instead).
  const visit = (holder: object, key: string | number, v: unknown) => {
    if (typeof v === 'object' && v !== null) pending.push(v);
    else if (typeof v === 'string' && SPECIAL.has(v)) Object.defineProperty(holder, key, { value: SPECIAL.get(v) });
    // JSON.parse yields ±Infinity only for a literal too large for a float64.
    else if (typeof v === 'number' && !Number.isFinite(v)) {
      const at = holder === root ? '' : String(key);
      throw new JsonEncodingError(`the number at key ${JSON.stringify(at)} is beyond float64's range (±1.8e308); write an infinity as the string "Infinity" or "-Infinity"`);
    }
  };
  while (pending.length > 0) {
    const holder = pending.pop()!;
    if (Array.isArray(holder)) for (let i = 0; i < holder.length; i++) visit(holder, i, holder[i]);
    else for (const [key, v] of Object.entries(holder)) visit(holder, key, v);
  }
  return root[0];
}
