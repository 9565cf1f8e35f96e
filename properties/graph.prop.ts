import { referenceBackend } from '../src/backends/reference.ts';
import { registerClaims } from '../src/runner/vitest.ts';
import { claims } from './graph.ts';

registerClaims('graph', claims, () => referenceBackend());
