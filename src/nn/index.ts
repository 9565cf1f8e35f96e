export { Module } from './module.ts';
export { Linear, ReLU, Tanh, Sequential, type LinearOptions } from './layers.ts';
export { mseLoss, type Reduction } from './loss.ts';
