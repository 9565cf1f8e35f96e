/**
 * The adapter kit: what an author needs to write a backend (a module or an adapter process) without
 * importing regproof's source by path. The errors a backend throws, the case and result types,
 * parsing and validating cases and results, JSON that keeps NaN, ±Infinity and −0, building the
 * reference's model from a case, and the capability vocabulary. Imported as `regproof/kit`.
 */
export { BackendError, CaseDeclined, type Backend, type Capability, type Dtype } from './backends/backend.ts';
export * from './backends/capabilities.ts';
export { buildModel, loadParameters } from './backends/reference.ts';
export * from './cases/types.ts';
export { outputSize, parameterShapes, type ParameterShape } from './cases/model.ts';
export { parseCase, parseCaseJson, parseExprCase, parseExprResult, parseTrainCase, parseTrainResult } from './cases/schema.ts';
export { decodeJson, encodeJson, encodeNumber } from './cases/json.ts';
