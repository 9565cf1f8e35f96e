/** Bug: the optimizer silently clips each parameter's gradient to norm 1 before stepping (the recorded gradients are unclipped). */
import { brokenReference, patchOptimizer } from './broken.ts';

export default brokenReference('zoo-silent-gradient-clipping', {
  makeOptimizer: patchOptimizer((optimizer) => {
    const step = optimizer.step.bind(optimizer);
    optimizer.step = () => {
      for (const group of optimizer.groups) {
        for (const p of group.params) {
          const g = p.grad?.data;
          if (g === undefined) continue;
          const norm = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
          if (norm > 1) g.forEach((v, i) => (g[i] = v / norm));
        }
      }
      step();
    };
  }),
});
