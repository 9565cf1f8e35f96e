import { referenceBackend } from '../src/backends/reference.ts';
import { registerClaims } from '../src/runner/vitest.ts';
import { claims } from './mse.ts';

registerClaims('mse', claims, () => referenceBackend());
