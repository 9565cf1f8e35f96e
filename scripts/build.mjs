#!/usr/bin/env node
/**
 * `npm run build`: compiles src/ and properties/ into dist/ incrementally (tsc keeps its state in
 * dist/.tsbuildinfo, so a second build with nothing changed costs about a quarter of a clean one),
 * and leaves dist/ exactly as a clean build would:
 * - every output whose source is no longer one of tsconfig.build.json's files (a deleted or renamed
 *   source, a newly excluded one) is removed, since tsc never deletes what it once emitted;
 * - when an output of a current source is missing (removed by hand while tsc's state says it is up
 *   to date), dist/ is deleted and built from scratch.
 * Plain JavaScript so that building needs no TypeScript loader. Run: node scripts/build.mjs
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = join(root, 'tsconfig.build.json');
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');

function runTsc(args) {
  return execFileSync(process.execPath, [tsc, '-p', config, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Runs tsc, passing its diagnostics on; exits with its status when it fails. */
function compile() {
  let output;
  let status = 0;
  try {
    output = runTsc(['--listEmittedFiles']);
  } catch (e) {
    output = e.stdout ?? '';
    status = typeof e.status === 'number' && e.status !== 0 ? e.status : 1;
  }
  const emitted = [];
  for (const line of output.split('\n')) {
    if (line.startsWith('TSFILE: ')) emitted.push(resolve(line.slice('TSFILE: '.length)));
    else if (line !== '') process.stdout.write(`${line}\n`);
  }
  if (status !== 0) process.exit(status);
  // A source that the included files import from outside tsconfig.build.json's include list.
  const unexpected = emitted.filter((f) => !expected.has(f));
  if (unexpected.length > 0) {
    process.stderr.write(`build: tsc wrote ${unexpected.join(', ')}, which no included source accounts for; add its source to tsconfig.build.json's include\n`);
    process.exit(1);
  }
}

const resolved = JSON.parse(runTsc(['--showConfig']));
const { outDir, rootDir, tsBuildInfoFile } = resolved.compilerOptions;
if (!outDir || !rootDir || !tsBuildInfoFile) {
  throw new Error('build: tsconfig.build.json must set outDir, rootDir and tsBuildInfoFile');
}
const dist = resolve(root, outDir);
const buildInfo = resolve(root, tsBuildInfoFile);
if (relative(dist, buildInfo).startsWith('..')) {
  // Outside dist/, tsc's state would survive `rm -rf dist` and it would then emit nothing.
  throw new Error(`build: tsBuildInfoFile (${tsBuildInfoFile}) must lie inside outDir (${outDir})`);
}

/** What a clean build writes for each source: its JavaScript, declarations and both maps. */
const expected = new Set([buildInfo]);
for (const file of resolved.files) {
  if (!file.endsWith('.ts') || file.endsWith('.d.ts')) {
    throw new Error(`build: ${file} is not a .ts source; scripts/build.mjs knows only the outputs of .ts files`);
  }
  const base = join(dist, relative(resolve(root, rootDir), resolve(root, file))).slice(0, -'.ts'.length);
  for (const ext of ['.js', '.js.map', '.d.ts', '.d.ts.map']) expected.add(base + ext);
}

compile();
if ([...expected].some((f) => !existsSync(f))) {
  rmSync(dist, { recursive: true, force: true });
  compile();
}

/** Removes every file under dir that a clean build would not write, then the folders left empty. */
function prune(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      prune(path);
      if (readdirSync(path).length === 0) rmdirSync(path);
    } else if (!expected.has(path)) rmSync(path);
  }
}
prune(dist);
