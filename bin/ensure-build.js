// Keeps build/ in step with src/ in a source checkout, so `npm run synth` and
// `npx gitops-synth` never run stale code and never compile when nothing changed:
// build/.stamp records the newest modification time of the compiler's inputs
// (src/**/*.ts, tsconfig*.json, package.json) when build/ was last compiled.
// An installed package without src/ (or without the compiler) is taken as it is.
// Several processes starting at once compile once: the first takes a lock, the
// others wait for it and then find the build current.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

function current(newest) {
  const stamp = existsSync(STAMP) ? Number(readFileSync(STAMP, 'utf8')) : Number.NaN;
  return stamp === newest && existsSync(join(BUILD, 'src', 'cli', 'main.js'));
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
    const old = join(BUILD, `.old-${process.pid}`);
    if (existsSync(join(BUILD, 'src'))) renameSync(join(BUILD, 'src'), old);
    renameSync(join(next, 'src'), join(BUILD, 'src'));
    rmSync(old, { recursive: true, force: true });
    rmSync(next, { recursive: true, force: true });
    writeFileSync(STAMP, String(newest));
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) ensureBuild();
