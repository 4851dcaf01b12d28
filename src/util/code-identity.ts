import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** gitops-synth's own code: the folder above this file's (src/ or build/src/). */
export const CODE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where bin/ensure-build.js bundles the compiled code, below CODE_ROOT (build/src/bundle/). */
const BUNDLE_FOLDER = 'bundle';

/**
 * Packages whose code shapes what the caches hold: the spec data (yaml,
 * zod) and the rendered, validated folders (cdk8s and the schema packages).
 */
const CACHED_WORK_PACKAGES = [
  'cdk8s',
  'cdk8s-plus-28',
  'constructs',
  'kubernetes-models',
  '@kubernetes-models/prometheus-operator',
  'yaml',
  'zod',
];

/**
 * Digest of the code whose results gitops-synth's caches remember: Node's
 * version, the versions of the packages that shape those results (and of
 * every installed package where npm lists them, node_modules/.package-lock.json),
 * and every file below `codeRoot` but the bundle made of them (sorted relative
 * path and bytes). Undefined
 * when any of them cannot be read, and then nothing may be remembered.
 */
export function codeIdentity(codeRoot: string = CODE_ROOT): string | undefined {
  const hash = createHash('sha256').update(`${process.version}\0`);
  const require = createRequire(import.meta.url);
  try {
    for (const pkg of CACHED_WORK_PACKAGES) {
      const { version } = JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as {
        version: string;
      };
      hash.update(`${pkg}@${version}\0`);
    }
    const installed = join(dirname(require.resolve('cdk8s/package.json')), '..', '.package-lock.json');
    if (existsSync(installed)) hash.update(readFileSync(installed));
    const bundle = join(codeRoot, BUNDLE_FOLDER);
    const files = readdirSync(codeRoot, { recursive: true, withFileTypes: true })
      // Made of the other files and the installed packages (bin/ensure-build.js), which the digest covers.
      .filter((e) => e.isFile() && e.parentPath !== bundle && !e.parentPath.startsWith(`${bundle}/`))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const file of files) hash.update(`${file.slice(codeRoot.length)}\0`).update(readFileSync(file));
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}
