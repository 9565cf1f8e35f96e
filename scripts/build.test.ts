/**
 * scripts/build.mjs on a project of one source in a temporary folder, with the real TypeScript,
 * or with a stand-in `typescript` package whose tsc only leaves a mark and fails: a build that
 * leaves no mark ran no tsc. The project's compiler options lie in a config beside its folder,
 * which tsconfig.json extends as `../shared` (tsc adds the `.json`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const realTypescript = dirname(createRequire(import.meta.url).resolve('typescript/package.json'));
const buildScript = fileURLToPath(new URL('./build.mjs', import.meta.url));

let outer: string;
let dir: string;
const at = (...parts: string[]) => join(dir, ...parts);
const mark = () => at('stand-in', 'ran');
const stampFile = () => at('node_modules', '.cache', 'regproof-build.json');

function write(path: string, text: string): void {
  mkdirSync(dirname(at(path)), { recursive: true });
  writeFileSync(at(path), text);
}

/** node_modules/typescript: the real package, or the stand-in. */
function useTypescript(which: 'real' | 'stand-in'): void {
  rmSync(at('node_modules', 'typescript'), { force: true });
  symlinkSync(which === 'real' ? realTypescript : at('stand-in'), at('node_modules', 'typescript'), 'dir');
  rmSync(mark(), { force: true });
}

function build() {
  const r = spawnSync(process.execPath, [at('scripts', 'build.mjs')], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, tscRan: existsSync(mark()), output: r.stdout + r.stderr };
}

beforeAll(() => {
  outer = mkdtempSync(join(tmpdir(), 'regproof-build-'));
  dir = join(outer, 'project');
  write('scripts/build.mjs', readFileSync(buildScript, 'utf8'));
  write('package.json', '{ "name": "one-source", "private": true }\n');
  write('../shared.json', JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: [] } }));
  write('tsconfig.json', '{ "extends": "../shared" }\n');
  write('tsconfig.build.json', JSON.stringify({
    extends: './tsconfig.json',
    compilerOptions: { noEmit: false, declaration: true, declarationMap: true, sourceMap: true, rootDir: '.', outDir: 'dist', incremental: true, tsBuildInfoFile: 'dist/.tsbuildinfo' },
    include: ['src'],
  }));
  write('src/a.ts', 'export const a: number = 1;\n');
  write('node_modules/.package-lock.json', '{}\n');
  write('stand-in/package.json', '{ "name": "typescript", "version": "0.0.0" }\n');
  write('stand-in/bin/tsc', "require('node:fs').writeFileSync(require('node:path').join(__dirname, '..', 'ran'), '');\nprocess.exit(3);\n");
  useTypescript('real');
  const first = build();
  expect(first.status, first.output).toBe(0);
});

afterAll(() => rmSync(outer, { recursive: true, force: true }));

describe('scripts/build.mjs', () => {
  it('runs no tsc when neither the sources, the settings nor dist/ changed since its last success', () => {
    expect(readFileSync(at('dist', 'src', 'a.js'), 'utf8')).toContain('a = 1');
    useTypescript('stand-in');
    expect(build()).toMatchObject({ status: 0, tscRan: false });
  });

  const replace = (path: string, text: string) => () => {
    const before = readFileSync(at(path), 'utf8');
    write(path, text);
    return () => write(path, before);
  };
  // Each change returns how to undo it, where undoing gives the files the content they had.
  it.each<[string, () => (() => void) | null]>([
    ['an edited source', replace('src/a.ts', 'export const a: number = 2;\n')],
    ['a new source', () => (write('src/b.ts', 'export const b = 1;\n'), () => rmSync(at('src', 'b.ts')))],
    ['an edited tsconfig', replace('tsconfig.json', '{ "extends": "./strict.json" }\n')],
    ['an edited config outside the project that a tsconfig extends', replace('../shared.json', '{ "compilerOptions": { "strict": false } }\n')],
    ['a new tsconfig', () => (write('tsconfig.strict.json', '{}\n'), () => rmSync(at('tsconfig.strict.json')))],
    ['newly installed packages', replace('node_modules/.package-lock.json', '{ "packages": {} }\n')],
    // Same size and content, another modification time; it cannot be undone, and the test after
    // this one does not need dist/ current.
    ['an output touched by hand', () => (utimesSync(at('dist', 'src', 'a.js'), new Date(0), new Date(0)), null)],
  ])('runs tsc after %s', (_what, change) => {
    const stamp = readFileSync(stampFile(), 'utf8');
    useTypescript('stand-in');
    const undo = change();
    expect(build().tscRan).toBe(true);
    if (undo === null) return;
    // Put back as it was (and the stamp as the last success wrote it): current again, by content.
    undo();
    writeFileSync(stampFile(), stamp);
    useTypescript('stand-in');
    expect(build()).toMatchObject({ status: 0, tscRan: false });
  });

  // Each change returns how to undo it. The real tsc builds the changed project, yet the build
  // after it runs tsc again: what the build cannot follow is never taken for unchanged.
  it.each<[string, () => () => void]>([
    ['a config that is not plain JSON', replace('tsconfig.json', '// options beside the project\n{ "extends": "../shared" }\n')],
    // With a folder of the package's name beside the configs, which tsc does not read for it.
    ['a config extending a package', () => {
      const options = readFileSync(at('../shared.json'), 'utf8');
      write('node_modules/shared-config/tsconfig.json', options);
      write('shared-config/tsconfig.json', options);
      const undo = replace('tsconfig.json', '{ "extends": "shared-config/tsconfig.json" }\n')();
      return () => (undo(), rmSync(at('shared-config'), { recursive: true }));
    }],
    ['an include list with a wildcard', () => replace('tsconfig.build.json', readFileSync(at('tsconfig.build.json'), 'utf8').replace('"src"', '"src/*.ts"'))()],
  ])('always runs tsc with %s', (_what, change) => {
    useTypescript('real');
    const undo = change();
    const built = build();
    expect(built.status, built.output).toBe(0);
    useTypescript('stand-in');
    expect(build().tscRan).toBe(true);
    undo();
    useTypescript('real');
    expect(build().status).toBe(0);
  });

  it('takes a failed build for no success: a type error fails every build until it is fixed', () => {
    useTypescript('real');
    write('src/a.ts', "export const a: number = 'three';\n");
    for (let i = 0; i < 2; i++) {
      const failed = build();
      expect(failed.status).not.toBe(0);
      expect(failed.output).toContain('TS2322');
    }
    write('src/a.ts', 'export const a: number = 3;\n');
    expect(build().status).toBe(0);
    expect(readFileSync(at('dist', 'src', 'a.js'), 'utf8')).toContain('a = 3');
    useTypescript('stand-in');
    expect(build()).toMatchObject({ status: 0, tscRan: false });
  });
});
