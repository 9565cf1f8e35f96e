/**
 * Imports a user's backend module. The CLI runs compiled JavaScript, so only a TypeScript module
 * (`--backend ./mine.ts`) needs a loader: tsx, an optional peer dependency, registered the first
 * time Node refuses a file for its extension. Where the module already loads (a .js file, or a
 * test runner that compiles TypeScript itself) no loader is touched.
 */
import { pathToFileURL } from 'node:url';

const TYPESCRIPT = /\.[cm]?tsx?$/;

let registered: Promise<void> | undefined;

async function registerTsx(file: string): Promise<void> {
  let api: { register: () => unknown };
  try {
    api = (await import('tsx/esm/api')) as typeof api;
  } catch (e) {
    throw new Error(
      `--backend ${file}: a TypeScript module needs the tsx loader, which is not installed: run \`npm install --save-dev tsx\`, ` +
        `or compile the module to JavaScript (${(e as Error).message.split('\n')[0]})`,
    );
  }
  api.register();
}

export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !TYPESCRIPT.test(file)) throw e;
  }
  registered ??= registerTsx(file);
  await registered.catch((e: unknown) => {
    registered = undefined;
    throw e;
  });
  // A query makes a fresh module record: Node keeps the failed import of the bare URL.
  return (await import(`${url}?tsx`)) as Record<string, unknown>;
}
