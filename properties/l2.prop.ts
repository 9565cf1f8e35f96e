import { referenceBackend } from '../src/backends/reference.ts';
import { registerClaims } from '../src/runner/vitest.ts';
import { claims } from './l2.ts';

registerClaims('l2', claims, () => referenceBackend());
