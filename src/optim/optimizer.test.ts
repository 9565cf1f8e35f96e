/**
 * What every optimizer shares (optimizer.ts): every option's check with the exact message, naming
 * the optimizer, the option, the value, where it was given and the rule; parameter groups and their
 * errors; zeroGrad. Written to kill the survivors of issue 10's mutation run over src/optim.
 */
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../engine/index.ts';
import { Adagrad, Adam, AdamW, Optimizer, RMSprop, SGD, SGDW } from './index.ts';

const param = (values: number[], grad?: number[]) => {
  const p = tensor(values, { requiresGrad: true });
  if (grad) p.grad = tensor(grad);
  return p;
};

type Make = (params: never, options: object) => unknown;

/** The message of what `run` throws (and a failure when it does not throw). */
function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

interface Spec {
  label: string;
  make: Make;
  /** The name its messages start with (SGDW's options are SGD's, and so are its messages). */
  name: string;
  /** Its options in the order of its defaults, as the unknown-option message lists them. */
  known: string[];
  nonNegative: string[];
  /** Any finite number, negative too (as in PyTorch). */
  finite: string[];
  booleans: string[];
}

const SGD_SPEC = {
  name: 'SGD',
  known: ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize'],
  nonNegative: ['lr', 'momentum', 'weightDecay'],
  finite: ['dampening'],
  booleans: ['nesterov', 'maximize'],
};
const ADAM_SPEC = {
  known: ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize'],
  nonNegative: ['lr', 'eps', 'weightDecay'],
  finite: [],
  booleans: ['amsgrad', 'maximize'],
};
const SPECS: Spec[] = [
  { label: 'SGD', make: (p, o) => new SGD(p, o), ...SGD_SPEC },
  { label: 'SGDW', make: (p, o) => new SGDW(p, o), ...SGD_SPEC },
  { label: 'Adam', make: (p, o) => new Adam(p, o), name: 'Adam', ...ADAM_SPEC },
  { label: 'AdamW', make: (p, o) => new AdamW(p, o), name: 'AdamW', ...ADAM_SPEC },
  {
    label: 'RMSprop',
    make: (p, o) => new RMSprop(p, o),
    name: 'RMSprop',
    known: ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered', 'maximize'],
    nonNegative: ['lr', 'eps', 'momentum', 'weightDecay', 'alpha'],
    finite: [],
    booleans: ['centered', 'maximize'],
  },
  {
    label: 'Adagrad',
    make: (p, o) => new Adagrad(p, o),
    name: 'Adagrad',
    known: ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps', 'maximize'],
    nonNegative: ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'],
    finite: [],
    booleans: ['maximize'],
  },
];

describe.each(SPECS.map((s) => [s.label, s] as const))('%s options', (_, spec) => {
  const { make, name } = spec;
  /** Builds it on two groups, the option given in the second, so messages name group 1. */
  const build = (options: object) => () =>
    make([{ params: [param([1])] }, { params: [param([1])], ...options }] as never, {});

  it.each(spec.nonNegative)('%s: rejects a negative or infinite value, accepts 0', (option) => {
    expect(messageOf(build({ [option]: -1 }))).toBe(`${name}: invalid ${option} -1 in parameter group 1 (it must be ≥ 0)`);
    expect(messageOf(build({ [option]: Infinity }))).toBe(
      `${name}: invalid ${option} Infinity in parameter group 1 (it must be a finite number)`,
    );
    expect(build({ [option]: 0 })).not.toThrow();
  });

  it.each(spec.finite)('%s: accepts a negative value, rejects NaN', (option) => {
    expect(build({ [option]: -0.5 })).not.toThrow();
    expect(messageOf(build({ [option]: NaN }))).toBe(
      `${name}: invalid ${option} NaN in parameter group 1 (it must be a finite number)`,
    );
  });

  it.each(spec.booleans)('%s: must be a boolean', (option) => {
    expect(messageOf(build({ [option]: 'yes' }))).toBe(`${name}: ${option} must be true or false in parameter group 1, got yes`);
  });

  it('names an unknown option, where it was given, and the known ones', () => {
    const known = spec.known.join(', ');
    expect(messageOf(() => make([param([1])] as never, { rate: 1 }))).toBe(
      `${name}: unknown option 'rate' in the options (known: ${known})`,
    );
    expect(messageOf(build({ rate: 1 }))).toBe(`${name}: unknown option 'rate' in parameter group 1 (known: ${known})`);
  });
});

describe('parameter groups', () => {
  const groupMessage = (gi: number) =>
    `SGD: parameter group ${gi} must be an object with a 'params' array of tensors (or pass a plain array of tensors)`;

  it.each<[string, unknown]>([
    ['null', null],
    ['a number', 5],
    ["an object without 'params'", { lr: 1 }],
    ["an object whose 'params' is not an array", { params: param([1]) }],
    ["a function with a 'params' array", Object.assign(() => undefined, { params: [param([1])] })],
  ])('rejects %s as a group', (_, group) => {
    expect(messageOf(() => new SGD([{ params: [param([1])] }, group] as never))).toBe(groupMessage(1));
  });

  it('takes a list that mixes tensors and groups as groups, so the tensor is a malformed group', () => {
    expect(messageOf(() => new SGD([param([1]), { params: [param([1])] }] as never))).toBe(groupMessage(0));
  });

  it('rejects a parameter that is not a Tensor, naming its group and index', () => {
    const groups = [{ params: [param([1])] }, { params: [param([1]), [1]] }];
    const message = messageOf(() => new SGD(groups as never));
    expect(message).toBe('SGD: parameter group 1, parameter 1 is not a Tensor');
  });

  it('takes a plain array of tensors as one group with the options given', () => {
    const [a, b] = [param([1]), param([2])];
    const opt = new SGD([a, b], { lr: 0.5 });
    expect(opt.groups).toHaveLength(1);
    expect(opt.groups[0].params).toEqual([a, b]);
    expect(opt.groups[0].options.lr).toBe(0.5);
  });

  it('keeps its own copy of a group’s list, and options without params or undefined values', () => {
    const [a, b] = [param([1]), param([2])];
    const list = [a];
    const opt = new SGD([{ params: list, lr: undefined, momentum: 0.5 }], { lr: 0.25, momentum: undefined, dampening: 0.1 });
    list.push(b);
    expect(opt.groups[0].params).toEqual([a]);
    expect(opt.groups[0].options).toEqual({ lr: 0.25, momentum: 0.5, dampening: 0.1, weightDecay: 0, nesterov: false, maximize: false });
  });
});

describe('a subclass that keeps no state of its own', () => {
  /** p −= rate·g, one element at a time, with nothing kept between steps. */
  class Descent extends Optimizer<{ rate: number }> {
    constructor(params: Tensor[]) {
      super('Descent', params, { rate: 0.5 }, {}, () => undefined);
    }
    protected update(param: Tensor, grad: Float64Array, o: Readonly<{ rate: number }>): void {
      for (let i = 0; i < grad.length; i++) param.data[i] -= o.rate * grad[i];
    }
  }

  it('steps through update and reports no PyTorch state', () => {
    const p = param([1], [2]);
    const opt = new Descent([p]);
    opt.step();
    expect(p.data[0]).toBe(0);
    expect(opt.pytorchState(p)).toStrictEqual({});
  });
});

describe('zeroGrad', () => {
  it('fills every gradient with zeros by default, and drops them with setToNone', () => {
    const [a, b]: Tensor[] = [param([1, 2], [3, 4]), param([5], [6])];
    const opt = new SGD([{ params: [a] }, { params: [b] }]);
    opt.zeroGrad();
    expect([...a.grad!.data, ...b.grad!.data]).toEqual([0, 0, 0]);
    opt.zeroGrad(true);
    expect([a.grad, b.grad]).toEqual([null, null]);
  });
});
