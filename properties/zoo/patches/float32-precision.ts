/** A float32 kernel behind a float64 API: the op's values rounded to float32, so they carry 2^-24 relative error. */
import { OPS } from '../../../src/engine/index.ts';
import { replace, type Patch } from './patch.ts';

export function float32Precision(op: 'exp' | 'tanh'): Patch {
  return () => {
    const forward = OPS[op].forward;
    return replace(OPS[op], 'forward', (inputs, attrs) => {
      const out = forward(inputs, attrs);
      return { ...out, data: out.data.map(Math.fround) };
    });
  };
}
