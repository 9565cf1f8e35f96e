/** Bug: exp computed in float32 (a float32 kernel behind a float64 API), so its values carry 2^-24 relative error. */
import { float32Precision } from './float32-precision.ts';

export default float32Precision('exp');
