import { expect, it } from 'vitest';
import { tensor, type Tensor } from './index.ts';
import * as ops from './ops.ts';

// A stress test of its own (seconds, not milliseconds): backward walks the graph without recursion.
it('backward over a 100,000-op chain does not overflow the stack', () => {
  const x = tensor(1, { requiresGrad: true });
  let y: Tensor = x;
  for (let i = 0; i < 100_000; i++) y = ops.add(y, 1);
  y.backward();
  expect(x.grad!.item()).toBe(1);
  expect(y.item()).toBe(100_001);
});
