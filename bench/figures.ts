/** How the benches print their figures and fit a power law to them. */

/** A number in scientific notation with two significant digits (0 as it is). */
export const sci = (v: number): string => (v === 0 ? '0' : v.toExponential(1));

export const pad = (s: string, n: number): string => s.padStart(n);

/** The least-squares slope of log y against log x: the k of y ∝ x^k. */
export function fittedExponent(xs: number[], ys: number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const my = ly.reduce((s, v) => s + v, 0) / ly.length;
  let num = 0;
  let den = 0;
  lx.forEach((x, i) => {
    num += (x - mx) * (ly[i] - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}
