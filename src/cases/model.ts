import type { ModelSpec } from './types.ts';

export interface ParameterShape {
  name: string;
  shape: number[];
}

/** Parameter names and shapes of a model spec, named as nn.Sequential names them. */
export function parameterShapes(spec: ModelSpec): ParameterShape[] {
  const out: ParameterShape[] = [];
  let index = 0;
  let width = spec.inputSize;
  for (const layer of spec.layers) {
    out.push({ name: `${index}.weight`, shape: [layer.outFeatures, width] }, { name: `${index}.bias`, shape: [layer.outFeatures] });
    index += layer.activation === 'identity' ? 1 : 2;
    width = layer.outFeatures;
  }
  return out;
}

export function outputSize(spec: ModelSpec): number {
  return spec.layers[spec.layers.length - 1].outFeatures;
}
