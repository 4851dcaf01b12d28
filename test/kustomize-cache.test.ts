import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kustomizeBuildAll, type KustomizeFolder } from '../src/validate/kustomize.js';
import { KustomizeBuildCache } from '../src/validate/kustomize-cache.js';
import { contentDigest } from '../src/util/content-digest.js';
import { CACHE_DIR, CACHE_SWITCH } from '../src/util/caches.js';
import { toolPath } from '../src/validate/tools.js';
import { copyExample, runCli, snapshotTree, storeEntries, tempDir } from './helpers.js';
import { writeFiles } from './synth-fixtures.js';

/**
 * Successful kubectl kustomize builds are remembered by content. To see which
 * folders kubectl really builds, kubectl is a small wrapper script (a real
 * program) that appends the folders of every root kustomization it is asked
 * to build to a log file, then runs the real kubectl v1.28.3.
 */

interface Kubectl {
  readonly path: string;
  /** The folders kubectl built since the last call, sorted; each call empties the log. */
  built(): string[];
}

function recordingKubectl(): Kubectl {
  const dir = tempDir('gitops-synth-kubectl-');
  const path = join(dir, 'kubectl');
  const log = join(dir, 'built.log');
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      // kustomizeBuildAll's root kustomizations list the folders by relative paths ending in `<env>/<service>`.
      `if [ "$1" = kustomize ]; then sed -n 's|^- .*/\\([^/]*/[^/]*\\)$|\\1|p' "$2/kustomization.yaml" >> '${log}'; fi`,
      `exec '${toolPath('kubectl')}' "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return {
    path,
    built() {
      const lines = existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
        : [];
      rmSync(log, { force: true });
      return lines.sort();
    },
  };
}

/** The keys of every remembered build in a cache folder. */
/** The keys of the kubectl builds remembered in the caches of `cacheDir` (util/caches.ts keeps them in builds/). */
function entries(cacheDir: string): string[] {
  return [...storeEntries(join(cacheDir, 'builds')).keys()].sort();
}

// Each environment's own folder (its default-deny NetworkPolicy, prod's ExternalSecrets) is built like a service's.
const EXAMPLE_FOLDERS = ['_environment', 'api', 'flower', 'frontend', 'postgres', 'rabbitmq', 'worker']
  .flatMap((s) => [`prod/${s}`, `stage/${s}`])
  .sort();

async function synthCli(project: string, env: NodeJS.ProcessEnv, out = join(project, 'dist')): Promise<void> {
  const r = await runCli(['synth', '--project', project, '--out', out], { env });
  expect(r.code, r.stderr).toBe(0);
}

describe('synth remembers successful kubectl kustomize builds', () => {
  // Each synth writes a new folder: a folder byte-identical to the one the output holds is never built at all.
  const out = () => join(tempDir(), 'dist');

  it('builds no folder with kubectl when it writes the same project again, and writes the same bytes', async () => {
    const project = copyExample();
    const kubectl = recordingKubectl();
    const env = { GITOPS_SYNTH_KUBECTL: kubectl.path, [CACHE_DIR]: tempDir() };
    const first = out();
    await synthCli(project, env, first);
    expect(kubectl.built()).toEqual(EXAMPLE_FOLDERS);
    const second = out();
    await synthCli(project, env, second);
    expect(kubectl.built()).toEqual([]);
    expect(snapshotTree(second)).toEqual(snapshotTree(first));
  });

  it('builds only the folders of the one service that changed, and writes what an uncached synth writes', async () => {
    const project = copyExample();
    const kubectl = recordingKubectl();
    const env = { GITOPS_SYNTH_KUBECTL: kubectl.path, [CACHE_DIR]: tempDir() };
    await synthCli(project, env, out());
    kubectl.built();

    const flower = join(project, 'apps', 'flower.yaml');
    writeFileSync(flower, readFileSync(flower, 'utf8').replace('tag: "2.0.1"', 'tag: "2.0.2"'));
    const cached = out();
    await synthCli(project, env, cached);
    expect(kubectl.built()).toEqual(['prod/flower', 'stage/flower']);

    const uncached = out();
    await synthCli(project, { ...env, [CACHE_SWITCH]: 'specs,rendered' }, uncached);
    expect(kubectl.built()).toEqual(EXAMPLE_FOLDERS);
    expect(snapshotTree(cached)).toEqual(snapshotTree(uncached));
    expect(readFileSync(join(cached, 'prod', 'flower', 'kustomization.yaml'), 'utf8')).toContain('newTag: 2.0.2');
  });

  it('builds every folder and remembers nothing when the builds cache is off', async () => {
    const project = copyExample();
    const kubectl = recordingKubectl();
    const cacheDir = tempDir();
    const off = { GITOPS_SYNTH_KUBECTL: kubectl.path, [CACHE_DIR]: cacheDir, [CACHE_SWITCH]: 'specs' };
    await synthCli(project, off, out());
    expect(kubectl.built()).toEqual(EXAMPLE_FOLDERS);
    expect(entries(cacheDir)).toEqual([]);

    // A warm cache is not used either.
    await synthCli(project, { ...off, [CACHE_SWITCH]: '1' }, out());
    expect(kubectl.built()).toEqual(EXAMPLE_FOLDERS);
    expect(entries(cacheDir)).toHaveLength(EXAMPLE_FOLDERS.length);
    await synthCli(project, off, out());
    expect(kubectl.built()).toEqual(EXAMPLE_FOLDERS);
  });

  it('does not reuse the builds of another kubectl, and keeps only the builds of the last full run', async () => {
    const project = copyExample();
    const cacheDir = tempDir();
    // The real kubectl fills the cache first.
    await synthCli(project, { [CACHE_DIR]: cacheDir }, out());
    const real = entries(cacheDir);
    expect(real).toHaveLength(EXAMPLE_FOLDERS.length);

    // A wrapper of the same kubectl is another program: it builds everything, and so does a copy of it elsewhere.
    const first = recordingKubectl();
    const second = recordingKubectl();
    await synthCli(project, { GITOPS_SYNTH_KUBECTL: first.path, [CACHE_DIR]: cacheDir }, out());
    expect(first.built()).toEqual(EXAMPLE_FOLDERS);
    await synthCli(project, { GITOPS_SYNTH_KUBECTL: second.path, [CACHE_DIR]: cacheDir }, out());
    expect(second.built()).toEqual(EXAMPLE_FOLDERS);
    // The project's store holds what its last run used: the second wrapper's builds, under keys of their own.
    const last = entries(cacheDir);
    expect(last).toHaveLength(EXAMPLE_FOLDERS.length);
    expect(last.filter((key) => real.includes(key))).toEqual([]);

    await synthCli(project, { GITOPS_SYNTH_KUBECTL: second.path, [CACHE_DIR]: cacheDir }, out());
    expect(second.built()).toEqual([]);
  });
});

const configMap = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: team\ndata:\n  key: value\n`;

/** Service folders `<env>/svc-<i>` of `perFolder` ConfigMaps named `<i>-<j>`, written to `root`. */
function serviceTree(root: string, envs: string[], count: number, perFolder: number): KustomizeFolder[] {
  const files: Record<string, string> = {};
  const folders: KustomizeFolder[] = [];
  for (const env of envs) {
    for (let i = 0; i < count; i++) {
      const folder = `${env}/svc-${i}`;
      for (let j = 0; j < perFolder; j++) files[`${folder}/cm-${j}.yaml`] = configMap(`cm-${i}-${j}`);
      files[`${folder}/kustomization.yaml`] =
        `resources:\n${Array.from({ length: perFolder }, (_, j) => `- cm-${j}.yaml`).join('\n')}\n`;
      folders.push({ folder, objects: perFolder });
    }
  }
  writeFiles(root, files);
  return folders;
}

describe('a remembered build never hides a failure', () => {
  it('builds a changed folder again and reports what kubectl rejects, even though an earlier version of it built', async () => {
    const root = tempDir();
    const folders = serviceTree(root, ['prod', 'stage'], 4, 2);
    const kubectl = recordingKubectl();
    const options = { kubectl: kubectl.path, cacheDir: tempDir() };
    expect(await kustomizeBuildAll(root, folders, options)).toEqual([]);
    expect(kubectl.built()).toHaveLength(8);

    const good = readFileSync(join(root, 'stage/svc-3/kustomization.yaml'), 'utf8');
    writeFiles(root, { 'stage/svc-3/kustomization.yaml': `${good}- missing.yaml\n` });
    const failures = await kustomizeBuildAll(root, folders, options);
    expect(kubectl.built()).toEqual(['stage/svc-3']);
    expect(failures).toEqual([
      expect.stringMatching(/^kubectl kustomize failed for environment stage: .*missing\.yaml/s),
    ]);

    // A failure is never remembered: the same broken folder is built, and fails, again.
    expect(await kustomizeBuildAll(root, folders, options)).toEqual(failures);
    expect(kubectl.built()).toEqual(['stage/svc-3']);

    // Put back as it was, the folder's earlier success applies again.
    writeFiles(root, { 'stage/svc-3/kustomization.yaml': good });
    expect(await kustomizeBuildAll(root, folders, options)).toEqual([]);
    expect(kubectl.built()).toEqual([]);
  });

  it('builds a folder again when it must yield another number of objects', async () => {
    const root = tempDir();
    const folders = serviceTree(root, ['prod'], 3, 2);
    const kubectl = recordingKubectl();
    const options = { kubectl: kubectl.path, cacheDir: tempDir() };
    expect(await kustomizeBuildAll(root, folders, options)).toEqual([]);
    kubectl.built();

    const expectingMore = folders.map((f) => (f.folder === 'prod/svc-1' ? { ...f, objects: 3 } : f));
    expect(await kustomizeBuildAll(root, expectingMore, options)).toEqual([
      'kubectl kustomize built 6 objects for environment prod, expected 7',
    ]);
    expect(kubectl.built()).toEqual(['prod/svc-1']);
  });

  it('catches an object emitted by an unchanged, remembered folder and by a changed one', async () => {
    const root = tempDir();
    const folders = serviceTree(root, ['prod', 'stage'], 3, 2);
    const kubectl = recordingKubectl();
    const options = { kubectl: kubectl.path, cacheDir: tempDir() };
    expect(await kustomizeBuildAll(root, folders, options)).toEqual([]);
    kubectl.built();

    // prod/svc-2 now also emits ConfigMap team/cm-0-1, which prod/svc-0 (unchanged) emits.
    writeFiles(root, { 'prod/svc-2/cm-1.yaml': configMap('cm-0-1') });
    const failures = await kustomizeBuildAll(root, folders, options);
    expect(kubectl.built()).toEqual(['prod/svc-2']);
    expect(failures).toEqual([
      'kubectl kustomize built two objects with the same kind, namespace and name in environment prod: v1 ' +
        'ConfigMap team/cm-0-1, from prod/svc-0 and prod/svc-2; each object must come from one service folder',
    ]);
    // Still caught when both are remembered (the changed folder built fine on its own).
    expect(await kustomizeBuildAll(root, folders, options)).toEqual(failures);
    expect(kubectl.built()).toEqual([]);
  });

  it('finds the objects of a proven folder by its content digest, reading its files only once when it never built', async () => {
    const root = tempDir();
    const folders = serviceTree(root, ['prod'], 3, 2);
    const kubectl = recordingKubectl();
    const options = { kubectl: kubectl.path, cacheDir: tempDir() };
    const filesOf = (folder: string) =>
      readdirSync(join(root, folder)).map((name) => [name, readFileSync(join(root, folder, name), 'utf8')] as const);
    /** prod/svc-0 and svc-1 as synth hands over folders taken from dist/: a digest, and files read on demand. */
    const proven = (reads: string[]) =>
      ['prod/svc-0', 'prod/svc-1'].map((folder) => ({
        folder,
        objects: 2,
        digest: contentDigest(filesOf(folder)),
        get files() {
          reads.push(folder);
          return filesOf(folder);
        },
      }));
    const changed = folders.filter((f) => f.folder === 'prod/svc-2');

    // Never built here (a fresh clone's dist/): read once, then remembered apart from the builds.
    const reads: string[] = [];
    expect(await kustomizeBuildAll(root, changed, { ...options, proven: proven(reads) })).toEqual([]);
    expect(reads).toEqual(['prod/svc-0', 'prod/svc-1']);
    reads.length = 0;
    writeFiles(root, { 'prod/svc-2/cm-1.yaml': configMap('cm-0-1') });
    const failures = await kustomizeBuildAll(root, changed, { ...options, proven: proven(reads) });
    expect(reads).toEqual([]);
    // The clash with a folder whose files were not read is still caught, from its remembered ids.
    expect(failures).toEqual([
      'kubectl kustomize built two objects with the same kind, namespace and name in environment prod: v1 ' +
        'ConfigMap team/cm-0-1, from prod/svc-0 and prod/svc-2; each object must come from one service folder',
    ]);
    // Ids read from files never pass for a build: the folder itself is still built by kubectl.
    kubectl.built();
    expect(await kustomizeBuildAll(root, folders.slice(0, 1), options)).toEqual([]);
    expect(kubectl.built()).toEqual(['prod/svc-0']);
  });

  it('reports folders that yield one object too many and one too few, though the environment total is right', async () => {
    const root = tempDir();
    const folders = serviceTree(root, ['prod'], 3, 2);
    writeFiles(root, {
      'prod/svc-0/cm-2.yaml': configMap('cm-0-2'),
      'prod/svc-0/kustomization.yaml': 'resources:\n- cm-0.yaml\n- cm-1.yaml\n- cm-2.yaml\n',
      'prod/svc-1/kustomization.yaml': 'resources:\n- cm-0.yaml\n',
    });
    const kubectl = recordingKubectl();
    const options = { kubectl: kubectl.path, cacheDir: tempDir() };
    const failures = [
      'kubectl kustomize built 3 objects from prod/svc-0, expected 2',
      'kubectl kustomize built 1 objects from prod/svc-1, expected 2',
    ];
    expect(await kustomizeBuildAll(root, folders, options)).toEqual(failures);
    // Neither is remembered as a success; the sound folder is.
    expect(await kustomizeBuildAll(root, folders, options)).toEqual(failures);
    expect(kubectl.built()).toEqual(['prod/svc-0', 'prod/svc-0', 'prod/svc-1', 'prod/svc-1', 'prod/svc-2']);
  });

  it('never remembers a folder whose kustomization builds another folder outside it', async () => {
    const root = tempDir();
    const folders = serviceTree(root, ['prod'], 2, 1);
    // kustomize reads files only inside a kustomization's folder, but it may build other folders.
    writeFiles(root, {
      'prod/shared/cm.yaml': configMap('shared'),
      'prod/shared/kustomization.yaml': 'resources:\n- cm.yaml\n',
      'prod/svc-1/kustomization.yaml': 'resources:\n- cm-0.yaml\n- ../shared\n',
    });
    const withShared = folders.map((f) => (f.folder === 'prod/svc-1' ? { ...f, objects: 2 } : f));
    const kubectl = recordingKubectl();
    const options = { kubectl: kubectl.path, cacheDir: tempDir() };
    expect(await kustomizeBuildAll(root, withShared, options)).toEqual([]);
    expect(kubectl.built()).toEqual(['prod/svc-0', 'prod/svc-1']);

    // The folder outside changes into something kubectl rejects: the folder is built again and fails.
    writeFiles(root, { 'prod/shared/cm.yaml': 'kind: [not, an, object]\n' });
    const failures = await kustomizeBuildAll(root, withShared, options);
    expect(kubectl.built()).toContain('prod/svc-1');
    expect(failures).toEqual([expect.stringMatching(/^kubectl kustomize failed for environment prod: /)]);
  });

  it('builds every folder when the cache cannot be written', async () => {
    const root = tempDir();
    const folders = serviceTree(root, ['prod'], 2, 1);
    const blocked = join(tempDir(), 'a-file');
    writeFileSync(blocked, '');
    const kubectl = recordingKubectl();
    const options = { kubectl: kubectl.path, cacheDir: join(blocked, 'cache') };
    expect(await kustomizeBuildAll(root, folders, options)).toEqual([]);
    expect(await kustomizeBuildAll(root, folders, options)).toEqual([]);
    expect(kubectl.built()).toEqual(['prod/svc-0', 'prod/svc-0', 'prod/svc-1', 'prod/svc-1']);
  });
});

describe('the key of a folder written from memory', () => {
  it('is the key of the same folder read from disk, so a folder is remembered the same either way', async () => {
    const root = tempDir();
    const folders = serviceTree(root, ['prod'], 2, 3);
    writeFiles(root, { 'prod/svc-0/sub/notes.txt': 'ünïcode bytes\n' });
    const cache = (await KustomizeBuildCache.open(tempDir(), toolPath('kubectl')))!;
    for (const f of folders) {
      const dir = join(root, f.folder);
      const files = readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map(
          (e) =>
            [
              join(e.parentPath, e.name).slice(dir.length + 1),
              readFileSync(join(e.parentPath, e.name), 'utf8'),
            ] as const,
        )
        .reverse();
      expect(cache.keyOfFiles(files, f.objects)).toBe(cache.keyOf(dir, f.objects));
      expect(cache.keyOfFiles(files, f.objects)).not.toBe(cache.keyOf(dir, f.objects + 1));
    }
  });

  it('is none for a kustomization that reaches outside its folder, as for one read from disk', async () => {
    const cache = (await KustomizeBuildCache.open(tempDir(), toolPath('kubectl')))!;
    expect(cache.keyOfFiles([['kustomization.yaml', 'resources:\n- ../shared\n']], 1)).toBeUndefined();
    expect(
      cache.keyOfFiles(
        [
          ['kustomization.yaml', 'resources:\n- cm.yaml\n'],
          ['cm.yaml', configMap('a')],
        ],
        1,
      ),
    ).toMatch(/^[0-9a-f]{64}$/);
  });
});
