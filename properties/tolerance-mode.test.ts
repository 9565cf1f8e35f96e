// The claims' bounded comparisons, used for backends that do not compute the reference's exact
// arithmetic, must hold for the reference itself: run every claim in that mode on it.
import { referenceBackend } from '../src/backends/reference.ts';
import type { Backend } from '../src/backends/backend.ts';
import { registerConformance } from '../src/runner/vitest.ts';

function withoutBitExactness(): Backend {
  const inner = referenceBackend({ name: 'reference (bounded comparisons)' });
  return { ...inner, capabilities: new Set([...inner.capabilities].filter((c) => c !== 'arith:reference')) };
}

registerConformance(withoutBitExactness, { runs: 50 });
