/** Bug: sqrt's backward is g/y, without the 1/2 of d√x/dx = 1/(2√x). */
import { OPS } from '../../../src/engine/index.ts';
import { replace, type Patch } from './patch.ts';

const patch: Patch = () => replace(OPS.sqrt, 'backward', (g, { output }) => [g.map((gi, i) => gi / output.data[i])]);
export default patch;
