// A user-supplied backend module for the CLI tests: the reference engine with the 0.5 of the
// L2 penalty dropped, so the L2/weight-decay claim fails on it and the others do not.
import { PENALTIES, referenceBackend } from '../../index.ts';

export default () => referenceBackend({ name: 'half-dropped', penalties: { ...PENALTIES, 'half-pow-sum': PENALTIES['pow-sum'] } });
