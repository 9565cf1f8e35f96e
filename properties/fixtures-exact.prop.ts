import { referenceBackend } from '../src/backends/reference.ts';
import { registerClaims } from '../src/runner/vitest.ts';
import { claims } from './fixtures-exact.ts';

registerClaims('fixtures-exact', claims, () => referenceBackend({ arith: 'pytorch' }));
