/**
 * gradcheck's cost against n, the second half of `npm run bench` (see gradcheck-scaling.ts).
 *
 * Run: npx tsx bench/gradcheck-cost.ts (GRADCHECK_BENCH_MAX_N=1e4 for a quick run)
 */
import { gradcheckScaling, largestN } from './gradcheck-scaling.ts';

const largest = largestN();
console.log(`gradcheck's cost against the number of parameters n (node ${process.version})`);
gradcheckScaling(largest);
