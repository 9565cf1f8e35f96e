/** Bug: RMSprop with eps inside the square root: √(s + eps) instead of √s + eps. */
import { brokenReference, replaceOptimizer } from './broken.ts';

export default brokenReference('zoo-rmsprop-eps-inside-sqrt', {
  makeOptimizer: replaceOptimizer('rmsprop', (p, g, s, o) => {
    const d = (o.maximize ? -g : g) + o.weightDecay * p;
    s.sq = (s.sq ?? 0) * o.alpha + (1 - o.alpha) * d * d;
    s.avg = o.centered ? (s.avg ?? 0) * o.alpha + (1 - o.alpha) * d : 0;
    const denom = Math.sqrt(s.sq - s.avg * s.avg + o.eps);
    if (o.momentum > 0) {
      s.buf = (s.buf ?? 0) * o.momentum + d / denom;
      return p - o.lr * s.buf;
    }
    return p - (o.lr * d) / denom;
  }),
});
