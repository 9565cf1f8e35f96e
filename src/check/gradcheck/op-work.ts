/**
 * The work the engine's ops do while a body runs, counted rather than timed: calls of each op's
 * forward and backward, and the elements they produce. The complexity test and the benchmark
 * express gradcheck's cost with it in forward+backward passes of the function it checks.
 */
import { OPS, type OpDef } from '../../engine/index.ts';

export interface OpWork {
  forwardCalls: number;
  backwardCalls: number;
  /** Σ over forward calls of the result's size and over backward calls of the gradients' sizes. */
  elements: number;
}

/** Runs `body` with every op of the OPS table counting its calls; the table is restored afterwards. */
export function countOpWork<T>(body: () => T): { result: T; work: OpWork } {
  const table = OPS as Record<string, OpDef<any>>;
  const originals = { ...table };
  const work: OpWork = { forwardCalls: 0, backwardCalls: 0, elements: 0 };
  for (const [name, op] of Object.entries(originals)) {
    table[name] = {
      ...op,
      forward(inputs, attrs) {
        const result = op.forward(inputs, attrs);
        work.forwardCalls++;
        work.elements += result.data.length;
        return result;
      },
      backward(grad, ctx) {
        const grads = op.backward(grad, ctx);
        work.backwardCalls++;
        for (const g of grads) work.elements += g === null ? 0 : g.length;
        return grads;
      },
    };
  }
  try {
    return { result: body(), work };
  } finally {
    Object.assign(table, originals);
  }
}
