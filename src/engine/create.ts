import { formatShape, sizeOf, type Shape } from './shape.ts';
import { Tensor } from './tensor.ts';

export interface CreateOptions {
  requiresGrad?: boolean;
}

type Nested = number | readonly Nested[];

function inferShape(value: Nested, path: string): number[] {
  if (typeof value === 'number') return [];
  if (!Array.isArray(value)) throw new TypeError(`tensor(): ${path} is ${value === null ? 'null' : typeof value}, expected a number or an array`);
  if (value.length === 0) return [0];
  return [value.length, ...inferShape(value[0], `${path}[0]`)];
}

/** `value[1][0]`: where the walk is, built only for an error message. */
const pathOf = (at: readonly number[]): string => `value${at.map((i) => `[${i}]`).join('')}`;

/** Writes value's numbers into out from `next` on, row-major; returns where the next number goes. */
function flatten(value: Nested, shape: Shape, dim: number, out: Float64Array, next: number, at: number[]): number {
  if (dim === shape.length) {
    if (typeof value !== 'number') throw new TypeError(`tensor(): ${pathOf(at)} should be a number (the array is ragged)`);
    out[next] = value;
    return next + 1;
  }
  if (!Array.isArray(value) || value.length !== shape[dim]) {
    throw new RangeError(`tensor(): ${pathOf(at)} should be an array of length ${shape[dim]} (the array is ragged)`);
  }
  for (let i = 0; i < value.length; i++) {
    at.push(i);
    next = flatten(value[i], shape, dim + 1, out, next, at);
    at.pop();
  }
  return next;
}

/** A tensor from a number or nested arrays, as `torch.tensor(...)`. */
export function tensor(value: Nested, options: CreateOptions = {}): Tensor {
  const shape = inferShape(value, 'value');
  const data = new Float64Array(sizeOf(shape));
  flatten(value, shape, 0, data, 0, []);
  return new Tensor(data, shape, options);
}

/** The numbers in a new Float64Array, by a plain loop: Float64Array.from walks its argument as an iterable, several times slower. */
function copyNumbers(data: readonly number[]): Float64Array {
  const values = new Float64Array(data.length);
  for (let i = 0; i < values.length; i++) values[i] = data[i];
  return values;
}

/** A tensor that takes ownership of `data`, read row-major into `shape`. */
export function fromData(data: Float64Array | readonly number[], shape: Shape, options: CreateOptions = {}): Tensor {
  const values = data instanceof Float64Array ? data : copyNumbers(data);
  if (values.length !== sizeOf(shape)) {
    throw new RangeError(`fromData(): ${values.length} values do not fill shape ${formatShape(shape)}`);
  }
  return new Tensor(values, shape, options);
}

export function zeros(shape: Shape, options: CreateOptions = {}): Tensor {
  return new Tensor(new Float64Array(sizeOf(shape)), shape, options);
}

export function full(shape: Shape, value: number, options: CreateOptions = {}): Tensor {
  return new Tensor(new Float64Array(sizeOf(shape)).fill(value), shape, options);
}
