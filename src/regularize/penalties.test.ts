/**
 * The penalties' own contract, beyond what the claims exercise: values and gradients on hand-computed
 * cases, every input check with its message, and parameter selection by name, including the
 * top-level names `weight` and `bias` (written to kill the survivors of issue 10's mutation run).
 */
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../engine/index.ts';
import { l1Penalty, l2Penalty, selectParams } from './penalties.ts';

const leaf = (values: number[]) => tensor(values, { requiresGrad: true });

describe('l2Penalty and l1Penalty', () => {
  it('l2: λ·0.5·Σw² over every parameter, with gradient λ·w', () => {
    // λ = 0.5 on [3, −4] and [2]: 0.5·0.5·(9 + 16 + 4) = 7.25; the gradient is 0.5·w.
    const [a, b] = [leaf([3, -4]), leaf([2])];
    const p = l2Penalty([a, b], 0.5);
    expect(p.item()).toBe(7.25);
    p.backward();
    expect([...a.grad!.data, ...b.grad!.data]).toEqual([1.5, -2, 1]);
  });

  it('l1: λ·Σ|w| over every parameter, with gradient λ·sign(w) and 0 at an exact zero', () => {
    // λ = 2 on [3, −4, 0] and [−1]: 2·(3 + 4 + 0 + 1) = 16.
    const [a, b] = [leaf([3, -4, 0]), leaf([-1])];
    const p = l1Penalty([a, b], 2);
    expect(p.item()).toBe(16);
    p.backward();
    expect([...a.grad!.data, ...b.grad!.data]).toEqual([2, -2, 0, -2]);
  });

  it('accepts λ = 0 and λ = −0 (no penalty): the value is 0 with the sign of λ·positive', () => {
    expect(Object.is(l2Penalty([leaf([3])], 0).item(), 0)).toBe(true);
    expect(Object.is(l1Penalty([leaf([3])], 0).item(), 0)).toBe(true);
    expect(Object.is(l2Penalty([leaf([3])], -0).item(), -0)).toBe(true);
    expect(Object.is(l1Penalty([leaf([3])], -0).item(), -0)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['-1', -1],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['0.5', '0.5'],
  ])('rejects λ = %s, naming the function and the value', (shown, lambda) => {
    expect(() => l2Penalty([leaf([1])], lambda as number)).toThrow(new RangeError(`l2Penalty: λ must be a finite number ≥ 0, got ${shown}`));
    expect(() => l1Penalty([leaf([1])], lambda as number)).toThrow(new RangeError(`l1Penalty: λ must be a finite number ≥ 0, got ${shown}`));
  });

  it('rejects an empty parameter list and a parameter that is not a Tensor', () => {
    expect(() => l2Penalty([], 1)).toThrow(new RangeError('l2Penalty: no parameters to penalize (did a filter exclude all of them?)'));
    expect(() => l1Penalty([], 1)).toThrow(new RangeError('l1Penalty: no parameters to penalize (did a filter exclude all of them?)'));
    const notATensor = { data: [1] } as unknown as Tensor;
    expect(() => l2Penalty([leaf([1]), notATensor], 1)).toThrow(new TypeError('l2Penalty: parameter 1 is not a Tensor'));
    expect(() => l1Penalty([leaf([1]), notATensor], 1)).toThrow(new TypeError('l1Penalty: parameter 1 is not a Tensor'));
  });
});

describe('selectParams', () => {
  const names = ['weight', 'bias', '0.weight', '0.bias', '2.weight', 'weightless', 'my_bias', 'scale'];
  const named = names.map((name, i): [string, Tensor] => [name, tensor([i])]);
  const chosen = (select: Parameters<typeof selectParams>[1]) => selectParams(named, select).map((t) => names[t.data[0]]);

  it('weights: `weight` and `*.weight`, biases: `bias` and `*.bias`, all: everything, in order', () => {
    expect(chosen('weights')).toEqual(['weight', '0.weight', '2.weight']);
    expect(chosen('biases')).toEqual(['bias', '0.bias']);
    expect(chosen('all')).toEqual(names);
  });

  it.each(['everything', 'constructor', 'toString'])('rejects select %s', (select) => {
    expect(() => selectParams(named, select as 'all')).toThrow(new RangeError(`selectParams: select must be 'all', 'weights' or 'biases', got '${select}'`));
  });
});
