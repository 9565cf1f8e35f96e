import { referenceBackend } from '../src/backends/reference.ts';
import { registerClaims } from '../src/runner/vitest.ts';
import { claims } from './differential.ts';

registerClaims('differential', claims, () => referenceBackend());
