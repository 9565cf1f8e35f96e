/**
 * The bug zoo: deliberately broken backends, each the reference with one realistic bug, some as
 * module backends (`--backend properties/zoo/modules/<bug>.ts`) and some as process adapters
 * (`--cmd "node --import tsx properties/zoo/process/serve.ts <bug>"`). Each entry names the claims
 * that must catch it and a phrase its report must contain: the op or option at fault. Engine
 * bugs are patches (patches/), served by a process or applied around each case by a module.
 */
import { fileURLToPath } from 'node:url';
import type { Backend } from '../../src/backends/backend.ts';
import { loadBackend } from '../../src/backends/load.ts';
import { startProcessBackend } from '../../src/backends/process.ts';

export interface ZooEntry {
  id: string;
  bug: string;
  kind: 'module' | 'process';
  /** Claims that catch the bug (the zoo test runs these; scripts/zoo.ts runs every claim). */
  catches: string[];
  /** What the first failing report must name. */
  names: string;
}

const entry = (kind: ZooEntry['kind'], id: string, bug: string, catches: string[], names: string): ZooEntry => ({ id, bug, kind, catches, names });

export const ZOO: readonly ZooEntry[] = [
  entry('process', 'mse-mean-over-n-squared', "MSELoss('mean') divides by N² instead of N·D", ['ops.mse.mean'], 'MSE(mean)'),
  entry('process', 'pow-backward-2xg', "pow's backward is 2·x·g for every exponent", ['ops.pow.gradients', 'ops.pow.own-differences'], 'pow('),
  entry('module', 'sum-last-axis-only', 'sum over every element reduces only the last axis', ['ops.sum.values'], 'sum('),
  entry('module', 'mean-axis-divides-by-total', 'mean over an axis divides by the total count', ['ops.mean.values'], 'mean('),
  entry('module', 'relu-leaks', "relu's negative branch leaks 0.01·x", ['ops.relu.values'], 'relu('),
  entry('module', 'tanh-float32-precision', 'tanh computed at float32 precision in float64', ['ops.tanh.values'], 'tanh('),
  entry('module', 'exp-float32-precision', 'exp computed at float32 precision in float64', ['ops.exp.values'], 'exp('),
  entry('module', 'div-divisor-gradient-sign', "div's divisor gradient has the wrong sign", ['ops.div.gradients', 'ops.div.own-differences'], 'div('),
  entry('module', 'broadcast-gradient-averaged', "add's broadcast gradient is averaged, not summed", ['ops.add.gradients', 'ops.add.own-differences'], 'add('),
  entry('module', 'sqrt-backward-missing-half', "sqrt's backward lacks the 1/2", ['ops.sqrt.gradients', 'ops.sqrt.own-differences'], 'sqrt('),
  entry('process', 'linear-bias-gradient-averaged', "Linear's bias gradient is averaged over the batch", ['ops.linear.gradients'], '.bias['),
  entry('module', 'adam-no-bias-correction', 'Adam without bias correction', ['ops.optimizer.adam'], 'adam('),
  entry('module', 'adam-eps-inside-sqrt', 'Adam with eps inside the square root', ['ops.optimizer.adam'], 'eps='),
  entry('module', 'adamw-decay-coupled', "AdamW's decay added to the gradient (coupled)", ['ops.optimizer.adamw'], 'weightDecay='),
  entry('module', 'adam-amsgrad-uses-current', 'Adam amsgrad divides by the current v, not the maximum', ['ops.optimizer.adam'], 'amsgrad=true'),
  entry('module', 'sgd-decay-after-momentum', 'SGD adds weight decay after momentum', ['ops.optimizer.sgd'], 'weightDecay='),
  entry('module', 'sgd-nesterov-ignored', 'SGD ignores nesterov', ['ops.optimizer.sgd'], 'nesterov=true'),
  entry('module', 'sgd-dampening-on-first-step', 'SGD dampens the first momentum step', ['ops.optimizer.sgd'], 'dampening='),
  entry('module', 'adagrad-lr-decay-off-by-one', "Adagrad's lr decay starts one step early", ['ops.optimizer.adagrad'], 'lrDecay='),
  entry('module', 'rmsprop-eps-inside-sqrt', 'RMSprop with eps inside the square root', ['ops.optimizer.rmsprop'], 'rmsprop('),
  entry('module', 'zero-grad-does-nothing', 'zero_grad does nothing', ['ops.train.zero-grad-gives-fresh-gradients'], 'zero_grad'),
  entry('module', 'silent-gradient-clipping', 'the optimizer silently clips gradients to norm 1', ['ops.optimizer.sgd'], 'sgd('),
  entry('module', 'retained-backward-counts-twice', 'a retained second backward adds the gradient twice (3× instead of 2×)', ['ops.graph.retain-accumulates'], 'with retainGraph'),
];

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The module file, or the process adapter's arguments after `node`. */
function location(e: ZooEntry): { module: string } | { args: string[] } {
  return e.kind === 'module' ? { module: here(`./modules/${e.id}.ts`) } : { args: ['--import', 'tsx', here('./process/serve.ts'), e.id] };
}

/** The command-line flag that runs an entry through `regproof verify`, with paths relative to root. */
export function zooFlag(e: ZooEntry, root: string): string {
  const where = location(e);
  const relative = (p: string) => (p.startsWith(`${root}/`) ? p.slice(root.length + 1) : p);
  return 'module' in where ? `--backend ${relative(where.module)}` : `--cmd "node ${where.args.map(relative).join(' ')}"`;
}

export function startZooBackend(e: ZooEntry): Promise<Backend> {
  const where = location(e);
  return 'module' in where ? loadBackend({ backend: where.module }) : startProcessBackend({ command: process.execPath, args: where.args });
}
