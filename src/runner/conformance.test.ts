// The programmatic entry as a library author uses it, imported by package name.
import { registerConformance } from 'regproof/vitest';
import { referenceBackend } from 'regproof';

registerConformance(() => referenceBackend(), { runs: 10 });
