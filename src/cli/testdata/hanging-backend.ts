// A backend whose requests never settle, while a timer keeps its process alive: the run is in
// progress until it is killed.
import { referenceBackend } from '../../backends/reference.ts';

setInterval(() => undefined, 1000);
const never = () => new Promise<never>(() => undefined);
export default () => ({ ...referenceBackend({ name: 'hanging' }), runExpr: never, runTrain: never });
