/** Bug: pow's backward is 2·x·g whatever the exponent (the square's rule, copied). */
import { OPS } from '../../../src/engine/index.ts';
import { replace, type Patch } from './patch.ts';

const patch: Patch = () => replace(OPS.pow, 'backward', (g, { inputs: [x] }) => [g.map((gi, i) => 2 * x.data[i] * gi)]);
export default patch;
