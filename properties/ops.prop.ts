import { referenceBackend } from '../src/backends/reference.ts';
import { registerClaims } from '../src/runner/vitest.ts';
import { claims } from './ops/index.ts';
import { withTrainingCapabilities } from './ops/shared-capabilities.ts';

registerClaims('ops', claims, () => withTrainingCapabilities(referenceBackend()));
