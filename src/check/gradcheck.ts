/**
 * gradcheck, the stable entry: the checker lives in ./gradcheck/, one file per concern
 * (tolerances, kinks, the rounding-noise model, stencils, the driver and the report).
 */
export { gradcheck } from './gradcheck/driver.ts';
export { KINKS, SMOOTH_OPS, type KinkRule } from './gradcheck/kinks.ts';
export {
  GradcheckError,
  describeFailure,
  formatReport,
  type ElementCheck,
  type ElementStatus,
  type GradcheckOptions,
  type GradcheckReport,
  type Method,
  type Mode,
  type ZeroGradientFinding,
} from './gradcheck/report.ts';
export { DEFAULT_TOLERANCES, TOLERANCE_SAFETY, baseStep, errorFloor, unitRoundoff } from './gradcheck/tolerances.ts';
