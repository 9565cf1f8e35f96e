/**
 * The bug zoo's process adapter: the reference engine behind the process protocol
 * (docs/protocol.md) with one bug's patch applied for the life of the process.
 * Run with `node --import tsx properties/zoo/process/serve.ts <bug>` (a file of ../patches/).
 */
import { serveReference } from '../../../src/backends/testdata/serve-reference.ts';
import type { Patch } from '../patches/patch.ts';

const bug = process.argv[2];
if (bug === undefined || !/^[\w-]+$/.test(bug)) {
  process.stderr.write('usage: serve.ts <bug>, one of the files of properties/zoo/patches/\n');
  process.exit(2);
}
const patch = ((await import(`../patches/${bug}.ts`)) as { default: Patch }).default;
patch();
serveReference(`zoo-${bug}`);
