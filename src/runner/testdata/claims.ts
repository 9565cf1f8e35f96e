/**
 * Small synthetic claims and backends for the runner's tests: a claim over one integer that
 * sends one expression case (x·2) to the backend, so each test controls exactly how it fails.
 */
import fc from 'fast-check';
import { BackendError, CaseDeclined, type Backend } from '../../backends/backend.ts';
import { referenceBackend } from '../../backends/reference.ts';
import type { ExprCase } from '../../cases/types.ts';
import type { Claim, Observer } from '../claim.ts';

export const doubled = (x: number): ExprCase => ({
  kind: 'expr',
  version: 1,
  inputs: { x: { shape: [1], data: [x], requiresGrad: true } },
  graph: { op: 'mul', args: [{ op: 'input', name: 'x' }, { op: 'const', value: 2 }] },
});

/** The generated integers, in 0..1000. */
export const ints = fc.integer({ min: 0, max: 1000 });

/** A claim that sends doubled(x) and then applies `check` to x and the backend's value. */
export function intClaim(id: string, check: (x: number, value: number, observe?: Observer) => void): Claim {
  return {
    id,
    statement: `synthetic claim ${id}`,
    requires: [],
    property: (backend, observe) =>
      fc.asyncProperty(ints, async (x) => {
        const r = await backend.runExpr(doubled(x));
        check(x, r.value.data[0], observe);
      }),
  };
}

/** Fails two ways: above 500 ("too big"), else on odd numbers ("odd"). */
export const twoKinds = intClaim('synthetic.two-kinds', (x) => {
  if (x > 500) throw new Error(`too big: ${x}`);
  if (x % 2 === 1) throw new Error(`odd: ${x}`);
});

/** Holds on the reference: x·2 is 2x. */
export const holds = intClaim('synthetic.holds', (x, v) => {
  if (v !== 2 * x) throw new Error(`x·2 gave ${v} for x = ${x}`);
});

/** The reference engine with runExpr replaced, counting the calls that reach it. */
export function backendWith(runExpr: (c: ExprCase, inner: Backend) => Promise<unknown>, name = 'synthetic'): Backend & { calls: number } {
  const inner = referenceBackend({ name });
  const b = {
    ...inner,
    name,
    calls: 0,
    runExpr: async (c: ExprCase) => {
      b.calls++;
      return (await runExpr(c, inner)) as Awaited<ReturnType<Backend['runExpr']>>;
    },
  };
  return b;
}

export const declinesMultiplesOf3 = () => backendWith((c, inner) => (c.inputs.x.data[0] % 3 === 0 ? Promise.reject(new CaseDeclined('multiples of 3 are not supported')) : inner.runExpr(c)));
export const declinesAll = () => backendWith(() => Promise.reject(new CaseDeclined('this backend runs no expressions')));
export const throwsPlain = () => backendWith((c, inner) => (c.inputs.x.data[0] > 700 ? Promise.reject(new TypeError('cannot read properties of undefined')) : inner.runExpr(c)));
export const throwsBackendError = () => backendWith(() => Promise.reject(new BackendError('adapter crashed')));
