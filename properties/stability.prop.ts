import { referenceBackend } from '../src/backends/reference.ts';
import { registerClaims } from '../src/runner/vitest.ts';
import { claims } from './stability.ts';

registerClaims('stability', claims, () => referenceBackend());
