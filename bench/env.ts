/**
 * The benches' settings, from the environment or the command line: a positive number (a whole one
 * where it counts something) or the default, never a silent NaN or a truncated fraction.
 */
export function positiveSetting(what: string, raw: string | undefined, fallback: number, { integer = false } = {}): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    process.stderr.write(`bench: ${what} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return value;
}

export const positiveFromEnv = (name: string, fallback: number, options: { integer?: boolean } = {}): number =>
  positiveSetting(name, process.env[name], fallback, options);
