import { PLAIN, type Arith } from '../arith/index.ts';
import { Tensor } from '../engine/index.ts';

/** A parameter group: its tensors plus any options that override the optimizer's defaults. */
export type ParamGroup<O> = { params: readonly Tensor[] } & Partial<O>;

export type ParamsInput<O> = readonly Tensor[] | readonly ParamGroup<O>[];

export interface ResolvedGroup<O> {
  readonly params: readonly Tensor[];
  readonly options: Readonly<O>;
}

/**
 * What every optimizer shares: parameter groups with per-group options, validation of every
 * option (unknown keys included), per-parameter state, zeroGrad, and the arithmetic its updates
 * are done in (src/arith: 'plain' by default, or PyTorch's fused kernels; float64 or float32).
 */
export abstract class Optimizer<O extends object> {
  readonly groups: readonly ResolvedGroup<O>[];

  protected constructor(
    readonly name: string,
    params: ParamsInput<O>,
    defaults: O,
    overrides: Partial<O>,
    validate: (options: O, where: string) => void,
    readonly arith: Arith = PLAIN,
  ) {
    const checkKeys = (options: object, where: string) => {
      for (const key of Object.keys(options)) {
        if (key !== 'params' && !Object.hasOwn(defaults, key)) {
          throw new TypeError(`${name}: unknown option '${key}' in ${where} (known: ${Object.keys(defaults).join(', ')})`);
        }
      }
    };
    checkKeys(overrides, 'the options');
    const base = withDefined(defaults, overrides);
    const list = params as readonly unknown[];
    if (!Array.isArray(list) || list.length === 0) throw new RangeError(`${name}: got an empty parameter list`);
    const groupsIn: ParamGroup<O>[] = list.every((p) => p instanceof Tensor)
      ? [{ params: list as Tensor[] } as unknown as ParamGroup<O>]
      : (list as ParamGroup<O>[]);
    const seen = new Set<Tensor>();
    this.groups = groupsIn.map((group, gi) => {
      const where = `parameter group ${gi}`;
      if (group === null || typeof group !== 'object' || !Array.isArray(group.params)) {
        throw new TypeError(`${name}: ${where} must be an object with a 'params' array of tensors (or pass a plain array of tensors)`);
      }
      checkKeys(group, where);
      const options = withDefined(base, group as Partial<O>);
      validate(options, where);
      const groupParams = group.params;
      for (let pi = 0; pi < groupParams.length; pi++) {
        const p = groupParams[pi];
        if (!(p instanceof Tensor)) throw new TypeError(`${name}: ${where}, parameter ${pi} is not a Tensor`);
        if (!p.isLeaf) throw new TypeError(`${name}: ${where}, parameter ${pi} is not a leaf tensor, so it cannot be optimized`);
        if (seen.has(p)) throw new RangeError(`${name}: ${where}, parameter ${pi} appears in more than one parameter group`);
        seen.add(p);
      }
      return { params: groupParams.slice(), options: Object.freeze(options) };
    });
  }

  /** Applies one update to every parameter that has a gradient; parameters without one are skipped. */
  step(): void {
    for (const group of this.groups) {
      for (const p of group.params) {
        if (p.grad !== null) this.update(p, p.grad.data, group.options);
      }
    }
  }

  protected abstract update(param: Tensor, grad: Float64Array, options: Readonly<O>): void;

  /**
   * A parameter's state under PyTorch's names (momentum_buffer, exp_avg, step, ...), as
   * `optimizer.state[p]` holds it, so a replay can be compared with PyTorch's; none by default.
   */
  pytorchState(_param: Tensor): Readonly<Record<string, number | Float64Array>> {
    return {};
  }

  zeroGrad(setToNone = false): void {
    for (const group of this.groups) for (const p of group.params) p.zeroGrad(setToNone);
  }
}

/** base with every option of `options` that is defined (not undefined) put over it; 'params' is not an option. */
function withDefined<O extends object>(base: O, options: Partial<O>): O {
  const out = { ...base };
  for (const key of Object.keys(options) as (keyof O & string)[]) {
    const value = options[key];
    if (value !== undefined && key !== 'params') out[key] = value as O[keyof O & string];
  }
  return out;
}

export function requireNumber(optimizer: string, where: string, name: string, value: unknown, rule: 'nonNegative' | 'finite'): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${optimizer}: invalid ${name} ${String(value)} in ${where} (it must be a finite number)`);
  }
  if (rule === 'nonNegative' && value < 0) throw new RangeError(`${optimizer}: invalid ${name} ${value} in ${where} (it must be ≥ 0)`);
}

export function requireBoolean(optimizer: string, where: string, name: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new TypeError(`${optimizer}: ${name} must be true or false in ${where}, got ${String(value)}`);
}
