/** SGD's update with a switch for each of the zoo's SGD bugs; with none switched on it is the documented rule. */
import type { ElementUpdate } from './broken.ts';

export interface SgdBugs {
  decayAfterMomentum?: boolean;
  ignoreNesterov?: boolean;
  dampenFirstStep?: boolean;
}

export function sgdUpdate(bugs: SgdBugs): ElementUpdate {
  return (p, g, s, o, t) => {
    const decay = o.weightDecay * p;
    let d = (o.maximize ? -g : g) + (bugs.decayAfterMomentum ? 0 : decay);
    if (o.momentum !== 0) {
      s.buf = t === 1 && !bugs.dampenFirstStep ? d : (s.buf ?? 0) * o.momentum + (1 - o.dampening) * d;
      d = o.nesterov && !bugs.ignoreNesterov ? d + o.momentum * s.buf : s.buf;
    }
    if (bugs.decayAfterMomentum) d += decay;
    return p - o.lr * d;
  };
}
