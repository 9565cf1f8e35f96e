/**
 * The half-dropped backend (half-dropped-backend.ts) behind the process protocol: run with `node
 * --import tsx`. Some claims fail on it with a shrunk counterexample and others pass, and it
 * declines training cases with a Tanh layer, so a run through it has every kind of result that
 * must not depend on how many adapters serve it.
 */
import type { ExprCase, TrainCase } from '../../cases/types.ts';
import { PENALTIES } from '../../regularize/recipes.ts';
import { serveReference } from '../../backends/testdata/serve-reference.ts';

const withTanh = (c: ExprCase | TrainCase) => c.kind === 'train' && c.model.layers.some((l) => l.activation === 'tanh');

serveReference('half-dropped-process', { penalties: { ...PENALTIES, 'half-pow-sum': PENALTIES['pow-sum'] } }, (c) => (withTanh(c) ? 'this adapter runs no Tanh layers' : null));
