#!/usr/bin/env node
/**
 * `npm run build`: compiles src/ and properties/ into dist/ incrementally (tsc keeps its state in
 * dist/.tsbuildinfo, so a second build with nothing changed costs about a quarter of a clean one),
 * and leaves dist/ exactly as a clean build would:
 * - every output whose source is no longer one of tsconfig.build.json's files (a deleted or renamed
 *   source, a newly excluded one) is removed, since tsc never deletes what it once emitted;
 * - when an output of a current source is missing (removed by hand while tsc's state says it is up
 *   to date), dist/ is deleted and built from scratch.
 * When nothing it reads has changed since its last success (see fingerprint), it runs no tsc at
 * all: `npm start` then pays about 0.1 s for the build instead of about 1 s.
 * Plain JavaScript so that building needs no TypeScript loader. Run: node scripts/build.mjs
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * Where the last successful build left its fingerprint: outside dist/, so that the fingerprint
 * can be found before tsc says where dist/ is, and in the cache folder that removing
 * node_modules/ clears.
 */
const stampFile = join(root, 'node_modules', '.cache', 'regproof-build.json');

/** Files read whole into the fingerprint besides the included sources; a missing one counts as empty. */
const SETTINGS = ['package.json', 'scripts/build.mjs', 'node_modules/.package-lock.json'];

/** A config's content as JSON, or null when it is not plain JSON (comments, trailing commas) or cannot be read. */
function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * The include list of tsconfig.build.json when every entry is a plain path (no wildcard), else
 * null: a glob or a config that is not plain JSON is not followed here, and such a build always
 * runs tsc.
 */
function plainIncludes() {
  const include = readJson(config)?.include;
  return Array.isArray(include) && include.every((p) => typeof p === 'string' && !/[*?{}[\]]/.test(p)) ? include : null;
}

/**
 * Every config tsconfig.build.json reads through `extends`, wherever it lies (`../base.json` is
 * outside the root), itself included; null when the chain cannot be followed here, and the build
 * then always runs tsc: a config that is not plain JSON, or an `extends` that names a package
 * (tsc's resolution of those is not repeated here) or no file. A relative or absolute `extends`
 * is resolved as tsc does: the path as written, else with `.json` added.
 */
function configChain(file, chain = new Set()) {
  if (chain.has(file)) return chain;
  chain.add(file);
  const json = readJson(file);
  if (json === null) return null;
  const parents = json.extends === undefined ? [] : [json.extends].flat();
  for (const parent of parents) {
    if (typeof parent !== 'string' || !/^(\.{1,2}\/|\/)/.test(parent)) return null;
    const path = resolve(dirname(file), parent);
    const found = [path, `${path}.json`].find((p) => existsSync(p) && statSync(p).isFile());
    if (found === undefined || configChain(found, chain) === null) return null;
  }
  return chain;
}

/** Every file below path (path itself if it is a file), as [path, stats], in a fixed order. */
function filesBelow(path) {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return [];
  }
  if (!stats.isDirectory()) return [[path, stats]];
  return readdirSync(path).sort().flatMap((name) => filesBelow(join(path, name)));
}

/**
 * What a build reads, as one hash: the content of every file below the included paths (tests
 * and testdata too, which costs a needless build now and then but never a missed one), of every
 * tsconfig*.json at the root and every config tsconfig.build.json extends, and of SETTINGS (the
 * installed packages change node_modules/.package-lock.json, which npm rewrites on every
 * install). Null when the includes are not plain paths or the configs cannot be followed.
 */
function fingerprint() {
  const include = plainIncludes();
  const chain = configChain(config);
  if (include === null || chain === null) return null;
  const atRoot = readdirSync(root).filter((f) => /^tsconfig.*\.json$/.test(f)).map((f) => join(root, f));
  const configs = [...new Set([...atRoot, ...chain])].sort();
  const hash = createHash('sha256');
  for (const path of [...include, ...configs, ...SETTINGS]) {
    for (const [file] of filesBelow(resolve(root, path))) hash.update(`${relative(root, file)}\0`).update(readFileSync(file)).update('\0');
    hash.update('\n');
  }
  return hash.digest('hex');
}

/** What is in dist/ now, as one hash of each file's path, size and modification time. */
function outputsOf(dir) {
  const hash = createHash('sha256');
  for (const [file, stats] of filesBelow(dir)) hash.update(`${relative(dir, file)}\0${stats.size}\0${stats.mtimeMs}\n`);
  return hash.digest('hex');
}

/** The last success's stamp, or null when there is none or it is not one (nothing is then taken from it). */
function readStamp() {
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    return ['inputs', 'dist', 'outputs'].every((k) => typeof stamp?.[k] === 'string') ? stamp : null;
  } catch {
    return null;
  }
}

const inputs = fingerprint();
const last = readStamp();
// The sources and settings are those of the last successful build, and dist/ is as that build
// left it (a file edited, added or deleted there since changes the hash): nothing to do.
if (inputs !== null && last !== null && last.inputs === inputs) {
  const lastDist = resolve(root, last.dist);
  if (existsSync(lastDist) && outputsOf(lastDist) === last.outputs) process.exit(0);
}
// A failed build below leaves the stamp as it is: it vouches only for sources with the hash of
// the last success and a dist/ exactly as that success left it, which a failure cannot make true.

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
if (inputs !== null) {
  mkdirSync(dirname(stampFile), { recursive: true });
  // dist/ relative to the root: a copy of the whole tree must not vouch for the original's dist/.
  writeFileSync(stampFile, `${JSON.stringify({ inputs, dist: relative(root, dist), outputs: outputsOf(dist) })}\n`);
}
