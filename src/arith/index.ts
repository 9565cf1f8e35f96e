export { ARITH_MODES, PLAIN, arithmetic, type Arith, type ArithMode } from './arith.ts';
export { fma, fma32 } from './fma.ts';
export { powInt } from './pow.ts';
