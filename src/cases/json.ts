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

export function encodeJson(value: unknown, indent?: number): string {
  const encode = (v: unknown): unknown => {
    if (typeof v === 'number') return encodeNumber(v);
    if (Array.isArray(v)) return v.map(encode);
    if (ArrayBuffer.isView(v)) return Array.from(v as Float64Array, encodeNumber);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
    return v;
  };
  return JSON.stringify(encode(value), null, indent);
}

/** A JSON text that is well-formed but breaks the encoding rule (a number out of float64's range). */
export class JsonEncodingError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = 'JsonEncodingError';
  }
}

export function decodeJson(text: string): unknown {
  const root = { value: JSON.parse(text) as unknown };
  // A walk with a stack of its own, not JSON.parse's reviver: that calls back for every value,
  // which costs several times the parse, and a deep op tree must not overflow the call stack.
  const stack: [Record<string, unknown>, string][] = [[root, 'value']];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [holder, key] = top;
    const v = holder[key];
    if (typeof v === 'string') {
      if (SPECIAL.has(v)) holder[key] = SPECIAL.get(v);
    } else if (typeof v === 'number') {
      // JSON.parse yields ±Infinity only for a literal too large for a float64.
      if (!Number.isFinite(v)) throw new JsonEncodingError(`the number at key ${JSON.stringify(key)} is beyond float64's range (±1.8e308); write an infinity as the string "Infinity" or "-Infinity"`);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) if (typeof v[i] !== 'number' || !Number.isFinite(v[i])) stack.push([v as unknown as Record<string, unknown>, String(i)]);
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) stack.push([v as Record<string, unknown>, k]);
    }
  }
  return root.value;
}
