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

function flatten(value: Nested, shape: Shape, dim: number, out: number[], path: string): void {
  if (dim === shape.length) {
    if (typeof value !== 'number') throw new TypeError(`tensor(): ${path} should be a number (the array is ragged)`);
    out.push(value);
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[dim]) {
    throw new RangeError(`tensor(): ${path} should be an array of length ${shape[dim]} (the array is ragged)`);
  }
  value.forEach((v, i) => flatten(v, shape, dim + 1, out, `${path}[${i}]`));
}

/** A tensor from a number or nested arrays, as `torch.tensor(...)`. */
export function tensor(value: Nested, options: CreateOptions = {}): Tensor {
  const shape = inferShape(value, 'value');
  const flat: number[] = [];
  flatten(value, shape, 0, flat, 'value');
  return new Tensor(Float64Array.from(flat), shape, options);
}

/** A tensor that takes ownership of `data`, read row-major into `shape`. */
export function fromData(data: Float64Array | readonly number[], shape: Shape, options: CreateOptions = {}): Tensor {
  const values = data instanceof Float64Array ? data : Float64Array.from(data);
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
