/**
 * JSON with every float64 preserved: NaN, ±Infinity and −0 have no JSON literal
 * (JSON.stringify turns the first three into null and −0 into 0), so they travel as the
 * strings "NaN", "Infinity", "-Infinity" and "-0". Numeric fields never hold strings otherwise.
 */
const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

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

export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_key, v) => (typeof v === 'string' && v in SPECIAL ? SPECIAL[v] : v));
}
