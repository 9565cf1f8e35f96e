import { Tensor } from '../engine/index.ts';

/** A layer or a model: named parameters and named children, as torch.nn.Module. */
export abstract class Module {
  private readonly params = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  abstract forward(x: Tensor): Tensor;

  protected registerParameter(name: string, value: Tensor): Tensor {
    if (!value.isLeaf) throw new Error(`registerParameter('${name}'): a parameter must be a leaf tensor`);
    value.requiresGrad = true;
    this.params.set(name, value);
    return value;
  }

  protected registerModule(name: string, module: Module): void {
    this.children.set(name, module);
  }

  /** Every parameter with its dotted path, in registration order: `0.weight`, `0.bias`, `2.weight`, ... */
  *namedParameters(prefix = ''): Generator<[string, Tensor]> {
    for (const [name, p] of this.params) yield [prefix + name, p];
    for (const [name, child] of this.children) yield* child.namedParameters(`${prefix}${name}.`);
  }

  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  /** Zeroes every parameter's gradient (PyTorch 1.13's default), or drops it with setToNone. */
  zeroGrad(setToNone = false): void {
    for (const p of this.parameters()) p.zeroGrad(setToNone);
  }
}
