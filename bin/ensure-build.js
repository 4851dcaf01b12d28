// Keeps build/ in step with src/ in a source checkout, so `npm run synth` and
// `npx gitops-synth` never run stale code and never compile when nothing changed:
// build/.stamp records the newest modification time of the compiler's inputs
// (src/**/*.ts, tsconfig*.json, package.json) when build/ was last compiled.
// An installed package without src/ (or without the compiler) is taken as it is.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join(ROOT, 'build', '.stamp');

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

export function ensureBuild() {
  if (!existsSync(join(ROOT, 'src')) || !existsSync(join(ROOT, 'tsconfig.build.json'))) return;
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) return;
  const newest = newestInput();
  const stamp = existsSync(STAMP) ? Number(readFileSync(STAMP, 'utf8')) : Number.NaN;
  if (stamp === newest && existsSync(join(ROOT, 'build', 'src', 'cli', 'main.js'))) return;
  // A clean compile: files of moved or deleted sources must not linger in build/.
  rmSync(join(ROOT, 'build', 'src'), { recursive: true, force: true });
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write('gitops-synth: compiling src/ failed (see above); fix the TypeScript errors and run again\n');
    process.exit(2);
  }
  writeFileSync(STAMP, String(newest));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) ensureBuild();
