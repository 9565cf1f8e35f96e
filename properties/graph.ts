/**
 * Graph lifetime as in PyTorch: backward frees the tensors ops saved for it, so a second backward
 * through such an op fails unless the first kept the graph; ops that save nothing can be
 * backwarded again, and gradients accumulate either way.
 */
import fc from 'fast-check';
import { CASE_VERSION, type ExprCase, type ExprNode } from '../src/cases/types.ts';
import type { Claim } from '../src/runner/claim.ts';
import { fmt } from './support.ts';

/** One step of a chain over w: [op name, whether it saves tensors for backward, how it wraps its argument]. */
type ChainOp = [string, boolean, (x: ExprNode) => ExprNode];

const unary = (op: string) => (x: ExprNode): ExprNode => ({ op, args: [x] }) as ExprNode;
const withConst = (op: string, value: number) => (x: ExprNode): ExprNode => ({ op, args: [x, { op: 'const', value }] }) as ExprNode;

// Which ops save tensors follows PyTorch's autograd formulas (docs/ops.md): add, sub, neg,
// sum, mean, reshape, transpose and sign need no values in backward.
const CHAIN_OPS: ChainOp[] = [
  ['add', false, withConst('add', 0.5)],
  ['sub', false, withConst('sub', 0.25)],
  ['neg', false, unary('neg')],
  ['sum(axis 0, keepDim)', false, (x) => ({ op: 'sum', args: [x], attrs: { axis: 0, keepDim: true } })],
  ['transpose', false, unary('transpose')],
  ['mul', true, withConst('mul', 1.5)],
  ['tanh', true, unary('tanh')],
  ['exp', true, unary('exp')],
  ['square', true, unary('square')],
  ['abs', true, unary('abs')],
  ['relu', true, unary('relu')],
  ['pow 3', true, (x) => ({ op: 'pow', args: [x], attrs: { exponent: 3 } })],
];

/** Every op a chain may use, for the claims' capability requirements. */
const CHAIN_CAPABILITIES = ['op:add', 'op:sub', 'op:neg', 'op:sum', 'op:transpose', 'op:mul', 'op:tanh', 'op:exp', 'op:square', 'op:abs', 'op:relu', 'op:pow'];

const chainArb = fc.array(fc.constantFrom(...CHAIN_OPS), { minLength: 1, maxLength: 5 });

const inputArb = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).chain(([r, c]) =>
  fc.record({ shape: fc.constant<number[]>([r, c]), data: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: r * c, maxLength: r * c }) }),
);

function chainCase(chain: ChainOp[], input: { shape: number[]; data: number[] }, backward: ExprCase['backward']): ExprCase {
  const body = chain.reduce<ExprNode>((x, [, , wrap]) => wrap(x), { op: 'input', name: 'w' });
  return { kind: 'expr', version: CASE_VERSION, inputs: { w: { ...input, requiresGrad: true } }, graph: { op: 'sum', args: [body] }, backward };
}

const describeChain = (chain: ChainOp[]) => chain.map(([name]) => name).join(' → ');

export const secondBackwardThrows: Claim = {
  id: 'graph.second-backward-throws',
  statement: 'Without retainGraph, a second backward fails with a graph-released error exactly when the graph holds an op that saved tensors; otherwise it succeeds and the gradients accumulate to twice the first.',
  requires: ['graph:releasesSaved', 'graph:accumulates', ...CHAIN_CAPABILITIES],
  property: (backend) =>
    fc.asyncProperty(chainArb, inputArb, async (chain, input) => {
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
      expectDoubled(once.grads.w!, twice.grads.w!, describeChain(chain));
    }),
};

function expectDoubled(once: number[], twice: number[], label: string): void {
  once.forEach((g, i) => {
    // g + g = 2g exactly in binary floating point (barring overflow), so this is bit-identity.
    if (!Object.is(twice[i], g + g)) throw new Error(`${label}: after two backwards grad[${i}] is ${fmt(twice[i])}, expected 2 × ${fmt(g)}`);
  });
}

export const retainedGraphAccumulatesTwice: Claim = {
  id: 'graph.retained-graph-accumulates-twice',
  statement: 'With retainGraph on the first call, a second backward through any graph succeeds and leaves exactly twice the gradient of one backward.',
  requires: ['graph:retainGraph', 'graph:accumulates', ...CHAIN_CAPABILITIES],
  property: (backend) =>
    fc.asyncProperty(chainArb, inputArb, async (chain, input) => {
      const [once, twice] = await Promise.all([
        backend.runExpr(chainCase(chain, input, { times: 1, retainGraph: false })),
        backend.runExpr(chainCase(chain, input, { times: 2, retainGraph: true })),
      ]);
      if (twice.error !== undefined) throw new Error(`${describeChain(chain)}: backward with retainGraph failed: ${twice.error.message}`);
      expectDoubled(once.grads.w!, twice.grads.w!, describeChain(chain));
    }),
};

export const claims: Claim[] = [secondBackwardThrows, retainedGraphAccumulatesTwice];
