export { Optimizer, type ParamGroup, type ParamsInput, type ResolvedGroup } from './optimizer.ts';
export { SGD, type SGDOptions } from './sgd.ts';
