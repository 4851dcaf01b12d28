import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { toolPath } from './tools.js';

/**
 * Builds rendered service folders with the real `kubectl kustomize`. All
 * folders of one environment are built in one kubectl run through a
 * throw-away root kustomization, which also catches two folders emitting the
 * same object.
 */
export function kustomizeBuildAll(root: string, folders: readonly { folder: string; objects: number }[]): string[] {
  const byEnv = new Map<string, { folder: string; objects: number }[]>();
  for (const f of folders) {
    const env = f.folder.split('/')[0]!;
    byEnv.set(env, [...(byEnv.get(env) ?? []), f]);
  }
  const failures: string[] = [];
  const scratch = join(root, '.kustomize-check');
  try {
    for (const [env, list] of [...byEnv].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const dir = join(scratch, env);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'kustomization.yaml'), `resources:\n${list.map((f) => `- ../../${f.folder}`).join('\n')}\n`);
      const r = spawnSync(toolPath('kubectl'), ['kustomize', dir], { encoding: 'utf8', maxBuffer: 1 << 30 });
      if (r.error) throw r.error;
      if (r.status !== 0) {
        failures.push(`kubectl kustomize failed for environment ${env}: ${r.stderr.trim()}`);
        continue;
      }
      const built = parseAllDocuments(r.stdout).filter((d) => d.contents !== null).length;
      const expected = list.reduce((n, f) => n + f.objects, 0);
      if (built !== expected) failures.push(`kubectl kustomize built ${built} objects for environment ${env}, expected ${expected}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return failures;
}

/** `kubectl kustomize <folder>` of one folder, for tests and `validate`. */
export function kustomizeBuild(folder: string): string {
  const r = spawnSync(toolPath('kubectl'), ['kustomize', folder], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`kubectl kustomize ${folder} failed: ${r.stderr.trim()}`);
  return r.stdout;
}
