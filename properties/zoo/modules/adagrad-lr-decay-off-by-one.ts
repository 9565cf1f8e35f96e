/** Bug: Adagrad decays the learning rate from the first step: lr/(1 + t·lrDecay) instead of lr/(1 + (t − 1)·lrDecay). */
import { brokenReference, replaceOptimizer } from './broken.ts';

export default brokenReference('zoo-adagrad-lr-decay-off-by-one', {
  makeOptimizer: replaceOptimizer('adagrad', (p, g, s, o, t) => {
    const d = (o.maximize ? -g : g) + o.weightDecay * p;
    s.sum = (s.sum ?? o.initialAccumulatorValue) + d * d;
    return p - ((o.lr / (1 + t * o.lrDecay)) * d) / (Math.sqrt(s.sum) + o.eps);
  }),
});
