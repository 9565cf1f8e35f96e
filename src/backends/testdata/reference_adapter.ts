/**
 * The reference engine behind the process protocol: run with `node --import tsx`. Comparing it
 * with the in-process reference backend tests the protocol end to end, the number encoding
 * (NaN, ±Infinity, −0) included.
 */
import { serveReference } from './serve-reference.ts';

serveReference('reference-process');
