export { Optimizer, type ParamGroup, type ParamsInput, type ResolvedGroup } from './optimizer.ts';
export { SGD, type SGDOptions } from './sgd.ts';
export { SGDW } from './sgdw.ts';
export { Adam, type AdamOptions } from './adam.ts';
export { AdamW, type AdamWOptions } from './adamw.ts';
export { RMSprop, type RMSpropOptions } from './rmsprop.ts';
export { Adagrad, type AdagradOptions } from './adagrad.ts';
