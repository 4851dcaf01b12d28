// Keeps build/ in step with src/ in a source checkout, so `npm run synth` and
// `npx gitops-synth` never run stale code and never compile when nothing changed:
// build/.stamp records the newest modification time of the compiler's inputs
// (src/**/*.ts, tsconfig*.json, package.json) when build/ was last compiled.
// An installed package without src/ (or without the compiler) is taken as it is.
// Several processes starting at once compile once: the first takes a lock, the
// others wait for it and then find the build current.
//
// The compiled modules are also bundled (esbuild, when installed) into
// build/src/bundle/, which the CLI runs: a synth loads about 1 000 modules
// (zod, yaml, the Kubernetes schemas, yargs), and Node 20 spends about a
// third of a one-service synth of a large project finding, reading and
// compiling them one by one. Commands still load only what they use: each
// `import()` of the code starts a chunk of its own.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = join(ROOT, 'build');
const STAMP = join(BUILD, '.stamp');
const LOCK = join(BUILD, '.lock');
/** A lock older than this was left by a killed compile. */
const STALE_LOCK_MS = 120_000;

/** Newest modification time (ms) of what tsc -p tsconfig.build.json reads. */
function newestInput() {
  let newest = 0;
  const take = (file) => {
    newest = Math.max(newest, statSync(file).mtimeMs);
  };
  for (const entry of readdirSync(join(ROOT, 'src'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) take(join(entry.parentPath, entry.name));
  }
  for (const name of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) take(join(ROOT, name));
  return newest;
}

/**
 * What build/.stamp holds after a build: the newest input's time and how build/ was made, so that a build/
 * made before its bundle existed is made again once.
 */
function stampText(newest) {
  return `${newest}\ncompiled and bundled\n`;
}

function current(newest) {
  const stamp = existsSync(STAMP) ? readFileSync(STAMP, 'utf8') : '';
  return stamp === stampText(newest) && existsSync(join(BUILD, 'src', 'cli', 'main.js'));
}

/** The bundle's folder inside build/src/, so that code finding its files from its own place finds the same ones. */
export const BUNDLE = 'bundle';

/**
 * The modules bundled as entries: the CLI, and what `npm run bench` measures of it. Each is
 * `build/src/bundle/<name>.js`, beside the chunks they share (one folder: a module's place is one level
 * below build/src/ wherever esbuild puts it).
 */
const BUNDLE_ENTRIES = {
  main: 'cli/main.js',
  pipeline: 'pipeline/pipeline.js',
  'run-record': 'pipeline/run-record.js',
};

/**
 * Packages Node loads from node_modules as before: the renderers' (cdk8s; their versions are part of the
 * renderer identity) and semver, whose loading Node's module log shows (NODE_DEBUG=module): the tests tell
 * by it whether a run rendered anything or was answered from the record of the last run.
 */
const UNBUNDLED = ['cdk8s', 'cdk8s-plus-28', 'constructs', 'semver'];

/** esbuild's API, or undefined when it is not installed (an installation without dev dependencies). */
function esbuild() {
  const main = join(ROOT, 'node_modules', 'esbuild', 'lib', 'main.js');
  return existsSync(main) ? createRequire(import.meta.url)(main) : undefined;
}

/**
 * Bundles the modules tsc wrote to `srcDir` into `srcDir`/bundle/ (see above). Without esbuild, or when it
 * fails, there is no bundle and the CLI runs tsc's modules as they are: slower to start, the same otherwise.
 */
function bundle(srcDir) {
  const api = esbuild();
  if (api === undefined) return;
  try {
    buildBundle(api, srcDir);
  } catch (err) {
    rmSync(join(srcDir, BUNDLE), { recursive: true, force: true });
    process.stderr.write(
      `gitops-synth: bundling build/ failed, so the CLI runs the compiled modules one by one: ${err.message}\n`,
    );
  }
}

function buildBundle(api, srcDir) {
  api.buildSync({
    entryPoints: Object.fromEntries(Object.entries(BUNDLE_ENTRIES).map(([name, file]) => [name, join(srcDir, file)])),
    outdir: join(srcDir, BUNDLE),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: UNBUNDLED,
    // CommonJS packages inside an ES module call require(): Node gives ES modules none of their own.
    banner: {
      js:
        "import { createRequire as gitopsSynthCreateRequire } from 'node:module';\n" +
        'const require = gitopsSynthCreateRequire(import.meta.url);',
    },
    logLevel: 'silent', // a failure is reported by bundle()
  });
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Takes the compile lock, waiting while another process holds it; false when the build became current meanwhile. */
function lock(newest) {
  mkdirSync(BUILD, { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      return true;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let age = 0;
    try {
      age = Date.now() - statSync(LOCK).mtimeMs;
    } catch {
      continue;
    }
    if (age > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
    else sleep(100);
    if (current(newest)) return false;
  }
}

export function ensureBuild() {
  if (!existsSync(join(ROOT, 'src')) || !existsSync(join(ROOT, 'tsconfig.build.json'))) return;
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) return;
  const newest = newestInput();
  if (current(newest) || !lock(newest)) return;
  try {
    if (current(newest)) return;
    // A clean compile beside the old one, then swapped in: files of moved or deleted sources must not linger,
    // and a process already running keeps a whole tree.
    const next = join(BUILD, `.next-${process.pid}`);
    rmSync(next, { recursive: true, force: true });
    const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', next], {
      stdio: 'inherit',
    });
    if (r.status !== 0) {
      rmSync(next, { recursive: true, force: true });
      process.stderr.write(
        'gitops-synth: compiling src/ failed (see above); fix the TypeScript errors and run again\n',
      );
      process.exit(2);
    }
    bundle(join(next, 'src'));
    const old = join(BUILD, `.old-${process.pid}`);
    if (existsSync(join(BUILD, 'src'))) renameSync(join(BUILD, 'src'), old);
    renameSync(join(next, 'src'), join(BUILD, 'src'));
    rmSync(old, { recursive: true, force: true });
    rmSync(next, { recursive: true, force: true });
    writeFileSync(STAMP, stampText(newest));
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) ensureBuild();
