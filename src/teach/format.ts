/** How the teaching output writes numbers and measured values, the same in the terminal and the report. */
import type { FactValue } from './evidence.ts';

/** Integers in full, other numbers to 6 significant digits; NaN, ±Infinity and −0 by name. */
export function formatNumber(x: number): string {
  if (Object.is(x, -0)) return '-0';
  if (!Number.isFinite(x) || (Number.isInteger(x) && Math.abs(x) < 1e21)) return String(x);
  return String(Number(x.toPrecision(6)));
}

export function formatValue(value: FactValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value);
  if (Array.isArray(value)) return `(${value.map(formatNumber).join(', ')})`;
  return Object.entries(value as Record<string, number>)
    .map(([label, v]) => `${label}: ${formatNumber(v)}`)
    .join('; ');
}
