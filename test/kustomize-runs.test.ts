import { describe, expect, it } from 'vitest';
import { kustomizeBuildAll, OBJECTS_PER_KUSTOMIZE_RUN, type KustomizeFolder } from '../src/validate/kustomize.js';
import { tempDir } from './helpers.js';
import { writeFiles } from './synth-fixtures.js';

/**
 * kubectl kustomize builds large environments in several runs (its cost grows
 * with the square of the objects in one build); these tests use the real
 * kubectl on trees big enough to need several runs per environment. They
 * build without the cache of successful builds (kustomize-cache.test.ts
 * covers it), which would skip folders an earlier test run built.
 */
const NO_CACHE = { cacheDir: null };

const configMap = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: team\ndata:\n  key: value\n`;

/** `count` service folders per environment, each a kustomization over `perFolder` ConfigMaps named after the folder. */
function tree(
  envs: string[],
  count: number,
  perFolder: number,
  name = (_env: string, i: number, j: number) => `svc-${i}-${j}`,
): { root: string; folders: KustomizeFolder[] } {
  const root = tempDir('gitops-synth-kustomize-');
  const files: Record<string, string> = {};
  const folders: KustomizeFolder[] = [];
  for (const env of envs) {
    for (let i = 0; i < count; i++) {
      const folder = `${env}/svc-${String(i).padStart(3, '0')}`;
      const resources: string[] = [];
      for (let j = 0; j < perFolder; j++) {
        files[`${folder}/cm-${j}.yaml`] = configMap(name(env, i, j));
        resources.push(`cm-${j}.yaml`);
      }
      files[`${folder}/kustomization.yaml`] = `resources:\n${resources.map((r) => `- ${r}`).join('\n')}\n`;
      folders.push({ folder, objects: perFolder });
    }
  }
  writeFiles(root, files);
  return { root, folders };
}

describe('kubectl kustomize over many service folders', () => {
  // 2 environments × 150 folders × 4 objects: three runs per environment.
  const count = 150;
  const perFolder = 4;

  it('builds every folder of every environment, in several runs, and finds nothing wrong in a sound tree', async () => {
    expect(count * perFolder).toBeGreaterThan(2 * OBJECTS_PER_KUSTOMIZE_RUN);
    const { root, folders } = tree(['prod', 'stage'], count, perFolder);
    expect(await kustomizeBuildAll(root, folders, NO_CACHE)).toEqual([]);
  });

  it('catches two folders of one environment emitting the same object when different runs build them', async () => {
    // The first and the last folder of prod both emit ConfigMap team/shared; stage is sound.
    const { root, folders } = tree(['prod', 'stage'], count, perFolder, (env, i, j) =>
      env === 'prod' && j === 0 && (i === 0 || i === count - 1) ? 'shared' : `svc-${i}-${j}`,
    );
    const failures = await kustomizeBuildAll(root, folders, { ...NO_CACHE, parallelism: 2 });
    expect(failures).toEqual([
      expect.stringContaining('same kind, namespace and name in environment prod: v1 ConfigMap team/shared'),
    ]);
  });

  it("reports a folder that kubectl cannot build with kubectl's own message, and counts the objects of the others", async () => {
    const { root, folders } = tree(['prod', 'stage'], count, perFolder);
    writeFiles(root, { 'stage/svc-149/kustomization.yaml': 'resources:\n- missing.yaml\n' });
    const wrongCount = folders.map((f) => (f.folder === 'prod/svc-000' ? { ...f, objects: perFolder + 1 } : f));
    const failures = await kustomizeBuildAll(root, wrongCount, NO_CACHE);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toBe(
      `kubectl kustomize built ${count * perFolder} objects for environment prod, expected ${count * perFolder + 1}`,
    );
    expect(failures[1]).toMatch(/^kubectl kustomize failed for environment stage: .*missing\.yaml/s);
  });
});
