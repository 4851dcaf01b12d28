import type { LoadedService } from '../spec/load.js';

/**
 * Where a field of a service's spec as merged for environment `env` was
 * written: under `environments.<env>` when the override wrote (more of) the
 * path than the base did, since that value won the merge; else at the top.
 */
export function writtenAt(svc: LoadedService, env: string, path: readonly (string | number)[]): (string | number)[] {
  const written = (prefix: (string | number)[]): number => {
    let depth = path.length;
    while (depth > 0 && !svc.source.has([...prefix, ...path.slice(0, depth)])) depth--;
    return depth;
  };
  const inOverride = written(['environments', env]);
  return inOverride > 0 && inOverride >= written([]) ? ['environments', env, ...path] : [...path];
}
