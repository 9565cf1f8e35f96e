/**
 * Graph lifetime as in PyTorch: backward frees the tensors ops saved for it, so a second backward
 * through such an op fails unless the first kept the graph; ops that save nothing can be
 * backwarded again, and gradients accumulate either way.
 */
import fc from 'fast-check';
import { CASE_VERSION, type ExprCase, type ExprNode } from '../src/cases/types.ts';
import type { Claim } from '../src/runner/claim.ts';
import type { Backend } from '../src/backends/backend.ts';
import { arbitrariesFor } from '../src/cases/arbitraries.ts';
import { fmt, isBitExact } from './support.ts';

/** One step of a chain over w: [label, whether it saves tensors for backward, how it wraps its argument, the op it uses]. */
type ChainOp = [string, boolean, (x: ExprNode) => ExprNode, string];

const unary = (op: string) => (x: ExprNode): ExprNode => ({ op, args: [x] }) as ExprNode;
const withConst = (op: string, value: number) => (x: ExprNode): ExprNode => ({ op, args: [x, { op: 'const', value }] }) as ExprNode;

// Which ops save tensors follows PyTorch's autograd formulas (docs/ops.md): add, sub, neg,
// sum, mean, reshape, transpose and sign need no values in backward.
const CHAIN_OPS: ChainOp[] = [
  ['add', false, withConst('add', 0.5), 'add'],
  ['sub', false, withConst('sub', 0.25), 'sub'],
  ['neg', false, unary('neg'), 'neg'],
  ['sum(axis 0, keepDim)', false, (x) => ({ op: 'sum', args: [x], attrs: { axis: 0, keepDim: true } }), 'sum'],
  ['transpose', false, unary('transpose'), 'transpose'],
  ['mul', true, withConst('mul', 1.5), 'mul'],
  ['tanh', true, unary('tanh'), 'tanh'],
  ['exp', true, unary('exp'), 'exp'],
  ['square', true, unary('square'), 'square'],
  ['abs', true, unary('abs'), 'abs'],
  ['relu', true, unary('relu'), 'relu'],
  ['pow 3', true, (x) => ({ op: 'pow', args: [x], attrs: { exponent: 3 } }), 'pow'],
];

/** Chains over the ops the backend declares (sum, which every chain ends with, is always among them). */
const chainArb = (backend: Backend) =>
  fc.array(fc.constantFrom(...CHAIN_OPS.filter(([, , , op]) => backend.capabilities.has(`op:${op}`))), { minLength: 1, maxLength: 5 });

function inputArb(backend: Backend) {
  // Built once, not per case: arbitrariesFor builds every arbitrary of the backend's dtype.
  const A = arbitrariesFor(backend);
  const entry = A.num(-1, 1);
  return fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).chain(([r, c]) =>
    fc.record({ shape: fc.constant<number[]>([r, c]), data: A.values(r * c, entry) }),
  );
}

function chainCase(chain: ChainOp[], input: { shape: number[]; data: number[] }, backward: ExprCase['backward']): ExprCase {
  const body = chain.reduce<ExprNode>((x, [, , wrap]) => wrap(x), { op: 'input', name: 'w' });
  return { kind: 'expr', version: CASE_VERSION, inputs: { w: { ...input, requiresGrad: true } }, graph: { op: 'sum', args: [body] }, backward };
}

const describeChain = (chain: ChainOp[]) => chain.map(([name]) => name).join(' → ');

export const secondBackwardThrows: Claim = {
  id: 'graph.second-backward-throws',
  statement: 'Without retainGraph, a second backward fails with a graph-released error exactly when the graph holds an op that saved tensors; otherwise it succeeds and the gradients accumulate to twice the first.',
  requires: ['graph:releasesSaved', 'graph:accumulates', 'op:sum'],
  property: (backend) =>
    fc.asyncProperty(fc.record({ chain: chainArb(backend), w: inputArb(backend) }), async ({ chain, w: input }) => {
      const [once, twice] = await Promise.all([
        backend.runExpr(chainCase(chain, input, { times: 1, retainGraph: false })),
        backend.runExpr(chainCase(chain, input, { times: 2, retainGraph: false })),
      ]);
      const saves = chain.some(([, s]) => s);
      if (saves) {
        if (twice.error?.kind !== 'graph-released') throw new Error(`${describeChain(chain)}: the second backward should fail with graph-released, got ${twice.error ? twice.error.kind : 'no error'}`);
        return;
      }
      if (twice.error !== undefined) throw new Error(`${describeChain(chain)} saves nothing, yet the second backward failed: ${twice.error.message}`);
      await expectDoubled(backend, chain, input, once.grads.w!, twice.grads.w!);
    }),
};

/**
 * Both backwards apply the same derivative rules to the same saved tensors, and g + g = 2g exactly
 * in binary floating point (barring overflow). On a bit-exact backend that is bit-identity. Another
 * backend may use kernels whose rounding varies from call to call (parallel reductions): there the
 * allowance is twice the spread it shows on a repeated single backward, measured, not assumed (0
 * for a deterministic backend, which must then double exactly too).
 */
async function expectDoubled(backend: Backend, chain: ChainOp[], input: { shape: number[]; data: number[] }, once: number[], twice: number[]): Promise<void> {
  const again = isBitExact(backend) ? once : (await backend.runExpr(chainCase(chain, input, { times: 1, retainGraph: false }))).grads.w!;
  once.forEach((g, i) => {
    const spread = 2 * Math.abs(again[i] - g);
    if (!(Object.is(twice[i], g + g) || Math.abs(twice[i] - 2 * g) <= spread)) {
      throw new Error(`${describeChain(chain)}: after two backwards grad[${i}] is ${fmt(twice[i])}, expected 2 × ${fmt(g)} = ${fmt(2 * g)}: the second backward added ${fmt(twice[i] - g)} where it should add ${fmt(g)}`);
    }
  });
}

export const retainedGraphAccumulatesTwice: Claim = {
  id: 'graph.retained-graph-accumulates-twice',
  statement: 'With retainGraph on the first call, a second backward through any graph succeeds and leaves exactly twice the gradient of one backward.',
  requires: ['graph:retainGraph', 'graph:accumulates', 'op:sum'],
  property: (backend) =>
    fc.asyncProperty(fc.record({ chain: chainArb(backend), w: inputArb(backend) }), async ({ chain, w: input }) => {
      const [once, twice] = await Promise.all([
        backend.runExpr(chainCase(chain, input, { times: 1, retainGraph: false })),
        backend.runExpr(chainCase(chain, input, { times: 2, retainGraph: true })),
      ]);
      if (twice.error !== undefined) throw new Error(`${describeChain(chain)}: backward with retainGraph failed: ${twice.error.message}`);
      await expectDoubled(backend, chain, input, once.grads.w!, twice.grads.w!);
    }),
};

export const claims: Claim[] = [secondBackwardThrows, retainedGraphAccumulatesTwice];
