/**
 * The half-dropped backend (half-dropped-backend.ts) behind the process protocol: run with `node
 * --import tsx`. Some claims fail on it with a shrunk counterexample and others pass, so a run
 * through it has every kind of result that must not depend on how many adapters serve it.
 */
import { PENALTIES } from '../../regularize/recipes.ts';
import { serveReference } from '../../backends/testdata/serve-reference.ts';

serveReference('half-dropped-process', { penalties: { ...PENALTIES, 'half-pow-sum': PENALTIES['pow-sum'] } });
