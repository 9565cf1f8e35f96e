import { referenceBackend } from '../src/backends/reference.ts';
import { registerClaims } from '../src/runner/vitest.ts';
import { claims } from './adaptive.ts';

registerClaims('adaptive', claims, () => referenceBackend());
