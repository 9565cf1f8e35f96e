import { referenceBackend } from '../src/backends/reference.ts';
import { registerClaims } from '../src/runner/vitest.ts';
import { claims } from './ops/index.ts';

registerClaims('ops', claims, () => referenceBackend());
