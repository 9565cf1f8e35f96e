import { Random, Tensor, fromData, linear, relu, tanh } from '../engine/index.ts';
import { allocate } from '../engine/alloc.ts';
import { Module } from './module.ts';

export interface LinearOptions {
  bias?: boolean;
  /**
   * The generator for the initial values; give one with a fixed seed for reproducible models. null
   * leaves the parameters at zero and draws nothing, for a caller that loads its own values.
   */
  rng: Random | null;
}

/**
 * y = x·Wᵀ + b with PyTorch's layout (weight [out, in], bias [out]) and initialisation:
 * kaiming_uniform with a = √5 gives U(−1/√in, 1/√in) for the weight, and the bias uses the same bound.
 */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions) {
    super();
    for (const [name, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Linear: ${name} must be a positive integer, got ${v}`);
    }
    const bound = 1 / Math.sqrt(inFeatures);
    const rng = options.rng;
    const draw = (n: number): Float64Array => {
      const values = allocate(n);
      if (rng !== null) for (let i = 0; i < n; i++) values[i] = rng.uniform(-bound, bound);
      return values;
    };
    this.weight = this.registerParameter('weight', fromData(draw(outFeatures * inFeatures), [outFeatures, inFeatures]));
    this.bias = options.bias === false ? null : this.registerParameter('bias', fromData(draw(outFeatures), [outFeatures]));
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 2 || x.shape[1] !== this.inFeatures) {
      throw new RangeError(`Linear(${this.inFeatures}, ${this.outFeatures}): input must have shape [batch, ${this.inFeatures}], got [${x.shape.join(', ')}]`);
    }
    return linear(x, this.weight, this.bias);
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Applies its modules in order; their parameters are named by position (`0.weight`, `2.bias`). */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, m) => m.forward(h), x);
  }
}
