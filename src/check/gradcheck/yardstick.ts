/**
 * The function gradcheck's cost is measured on, by the complexity test and the benchmark:
 * f(w) = mean((tanh(a·w) − b)²) over n parameters, with a, b and w drawn from a generator seeded by n.
 */
import { Random, fromData, mean, mul, square, sub, tanh, type Tensor } from '../../engine/index.ts';

export function yardstick(n: number): { f: (w: Tensor) => Tensor; w: Tensor } {
  const rng = new Random(n);
  const a = fromData(Array.from({ length: n }, () => rng.uniform(-2, 2)), [n]);
  const b = fromData(Array.from({ length: n }, () => rng.uniform(-1, 1)), [n]);
  const w = fromData(Array.from({ length: n }, () => rng.uniform(-1, 1)), [n], { requiresGrad: true });
  return { f: (p) => mean(square(sub(tanh(mul(a, p)), b))), w };
}
