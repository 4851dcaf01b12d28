import { spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synth } from '../src/pipeline/pipeline.js';
import { RenderedTree } from '../src/output/tree.js';
import { recoverInterruptedSwap, sameTree, writeTreeAtomically } from '../src/write/atomic-tree.js';
import { CLI, copyExample, runCli, snapshotTree, tempDir } from './helpers.js';
import { environmentYaml, SETTINGS_YAML, writeFiles } from './synth-fixtures.js';

/** The start of a stand-in kubectl that runs (it answers `version`) but fails every build. */
const ANSWERS_VERSION = '#!/bin/sh\n[ "$1" = version ] && { echo "Client Version: v1.28.3"; exit 0; }\n';

/** Image Updater write-back files as Argo CD names them (`.argocd-source-<app>.yaml`, with `<ns>_` when apps live elsewhere). */
const IMAGE_UPDATER_FILES: Record<string, string> = {
  'prod/api/.argocd-source-api-prod.yaml': 'kustomize:\n  images:\n    - ghcr.io/acme-shop/api:1.4.3\n',
  'stage/api/.argocd-source-argocd_api-stage.yaml': 'kustomize:\n  images:\n    - ghcr.io/acme-shop/api:0c0ffee\n',
  'stage/frontend/.argocd-source.yaml': 'kustomize:\n  images:\n    - ghcr.io/acme-shop/frontend:beefcaf\n',
};

/** The files of a project folder other than its specs: dist and anything a run left behind. */
const leftovers = (project: string) =>
  readdirSync(project).filter((n) => n !== 'apps' && n !== 'environments' && n !== 'dist');

describe('a failed synth leaves dist as it was', () => {
  it('keeps the previous dist byte-identical when kubectl kustomize fails', () => {
    const project = copyExample();
    synthOk(project);
    writeFiles(join(project, 'dist'), IMAGE_UPDATER_FILES);
    const before = snapshotTree(join(project, 'dist'));
    // A real program that fails the way a broken kubectl does.
    const kubectl = join(tempDir(), 'kubectl');
    writeFileSync(kubectl, `${ANSWERS_VERSION}echo "error: accumulating resources: broken on purpose" >&2\nexit 1\n`);
    chmodSync(kubectl, 0o755);
    // A change that would alter dist if it were written.
    const api = join(project, 'apps', 'api.yaml');
    writeFileSync(api, readFileSync(api, 'utf8').replace('tag: 3f9c2a1', 'tag: 0a1b2c3'));
    rmSync(join(project, 'apps', 'flower.yaml'));

    const r = runCli(['synth', '--project', project], { env: { GITOPS_SYNTH_KUBECTL: kubectl } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('failed validation; nothing was written');
    expect(r.stderr).toContain('broken on purpose');
    expect(snapshotTree(join(project, 'dist'))).toEqual(before);
    expect(leftovers(project)).toEqual([]);
  });

  it('keeps the previous dist byte-identical when a spec is wrong', () => {
    const project = copyExample();
    synthOk(project);
    const before = snapshotTree(join(project, 'dist'));
    writeFileSync(
      join(project, 'apps', 'broken.yaml'),
      'image: {repository: ghcr.io/acme/broken, tag: 1.0.0}\nport: 8000\nenv: {PEER: "${service:nowhere}"}\n',
    );
    const r = runCli(['synth', '--project', project]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apps/broken.yaml');
    expect(snapshotTree(join(project, 'dist'))).toEqual(before);
    expect(leftovers(project)).toEqual([]);
  });
});

describe('what survives a synth', () => {
  it('keeps every .argocd-source file byte-identical and reports them', () => {
    const project = copyExample();
    synthOk(project);
    writeFiles(join(project, 'dist'), IMAGE_UPDATER_FILES);
    const api = join(project, 'apps', 'api.yaml');
    writeFileSync(api, readFileSync(api, 'utf8').replace('tag: 3f9c2a1', 'tag: 0a1b2c3'));
    const r = runCli(['synth', '--project', project]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('kept 3 Image Updater files');
    const after = snapshotTree(join(project, 'dist'));
    for (const [path, content] of Object.entries(IMAGE_UPDATER_FILES)) expect(after[path], path).toBe(content);
    // The synth did write the change around them.
    expect(after['stage/api/kustomization.yaml']).toContain('newTag: 0a1b2c3');
  });

  it('removes the folders of services that are gone from apps/, their Image Updater files included', () => {
    const project = copyExample();
    synthOk(project);
    writeFiles(join(project, 'dist'), IMAGE_UPDATER_FILES);
    rmSync(join(project, 'apps', 'flower.yaml'));
    rmSync(join(project, 'apps', 'frontend.yaml'));
    synthOk(project);
    for (const env of ['prod', 'stage'])
      expect(existsSync(join(project, 'dist', env, 'flower')), `${env}/flower`).toBe(false);
    expect(existsSync(join(project, 'dist', 'prod', 'frontend'))).toBe(false);
    // A write-back file left behind would pin the old tag if the service were ever added back.
    expect(existsSync(join(project, 'dist', 'stage', 'frontend'))).toBe(false);
    expect(readFileSync(join(project, 'dist', 'prod', 'api', '.argocd-source-api-prod.yaml'), 'utf8')).toBe(
      IMAGE_UPDATER_FILES['prod/api/.argocd-source-api-prod.yaml'],
    );
    expect(existsSync(join(project, 'dist', 'stage', 'api', 'deployment-api.yaml'))).toBe(true);
  });

  it('removes a service folder when the service is disabled in one environment only', () => {
    const project = copyExample();
    synthOk(project);
    const flower = join(project, 'apps', 'flower.yaml');
    writeFileSync(flower, `${readFileSync(flower, 'utf8')}environments:\n  prod: {enabled: false}\n`);
    synthOk(project);
    expect(existsSync(join(project, 'dist', 'prod', 'flower'))).toBe(false);
    expect(existsSync(join(project, 'dist', 'stage', 'flower', 'deployment-flower.yaml'))).toBe(true);
  });
});

/** A generated project of `count` services (every tenth a StatefulSet with a claim, every seventh exposed), all at one tag. */
function generatedApps(first: number, count: number, tag: string): Record<string, string> {
  const apps: Record<string, string> = {
    'apps/base.yaml': `image: {repository: ghcr.io/acme/base, tag: ${tag}}\nport: 8000\n`,
  };
  for (let i = first; i < first + count; i++) {
    const name = `svc-${String(i).padStart(3, '0')}`;
    // svc-042 follows its builds (an Image Updater file beside it survives); the others are pinned.
    const image =
      i === 42
        ? `{repository: ghcr.io/acme/${name}, tag: "${`abc${tag.replace(/\./g, '')}`.padEnd(7, '0')}", autoUpdate: true}`
        : `{repository: ghcr.io/acme/${name}, tag: ${tag}}`;
    const lines = [
      `image: ${image}`,
      'port: 8080',
      'env: {BASE_URL: "http://${service:base}:8000"}',
      'dependsOn: [base]',
    ];
    if (i % 10 === 0) lines.push('workload: statefulset', 'volumes: [{name: data, mountPath: /data, size: 1Gi}]');
    if (i % 7 === 0) lines.push(`expose: {subdomain: ${name}}`);
    apps[`apps/${name}.yaml`] = `${lines.join('\n')}\n`;
  }
  return apps;
}

describe('an output that already holds the new tree', () => {
  /** Inode and modification time of every file below `dir`: what any write, rename or swap would change. */
  const identities = (dir: string): Record<string, string> =>
    Object.fromEntries(
      readdirSync(dir, { recursive: true, withFileTypes: true }).map((e) => {
        const st = statSync(join(e.parentPath, e.name));
        return [join(e.parentPath, e.name).slice(dir.length + 1), `${st.ino}@${st.mtimeMs}`];
      }),
    );

  it('is left untouched by a second synth, Image Updater files included, and says so', () => {
    const project = copyExample();
    synthOk(project);
    writeFiles(join(project, 'dist'), IMAGE_UPDATER_FILES);
    const before = identities(join(project, 'dist'));
    const r = runCli(['synth', '--project', project]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/, validated, \S*dist already held them and was left untouched$/m);
    expect(r.stdout).toContain('kept 3 Image Updater files');
    expect(identities(join(project, 'dist'))).toEqual(before);
    expect(leftovers(project)).toEqual([]);
  });

  it('is still checked with kubectl kustomize where it is: a failing check fails synth and changes nothing', () => {
    const project = copyExample();
    synthOk(project);
    const before = identities(join(project, 'dist'));
    const kubectl = join(tempDir(), 'kubectl');
    writeFileSync(kubectl, `${ANSWERS_VERSION}echo "error: broken on purpose" >&2\nexit 1\n`);
    chmodSync(kubectl, 0o755);
    const r = runCli(['synth', '--project', project], {
      env: { GITOPS_SYNTH_KUBECTL: kubectl, GITOPS_SYNTH_KUSTOMIZE_CACHE: '0' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('broken on purpose');
    expect(identities(join(project, 'dist'))).toEqual(before);
    expect(leftovers(project)).toEqual([]);
  });

  it('is written again when anything in it differs from the new tree', () => {
    const tree = new RenderedTree();
    tree.add('stage/api/deployment-api.yaml', 'kind: Deployment\n');
    tree.add('stage/api/kustomization.yaml', 'resources: [deployment-api.yaml]\n');
    tree.add('bootstrap/install.sh', '#!/bin/sh\n', { executable: true });
    const differences: Record<string, (dir: string) => void> = {
      'one byte': (d) => writeFileSync(join(d, 'stage/api/deployment-api.yaml'), 'kind: Deployment \n'),
      'a missing file': (d) => rmSync(join(d, 'stage/api/kustomization.yaml')),
      'an extra file': (d) => writeFileSync(join(d, 'stage/api/notes.txt'), ''),
      'an extra empty folder': (d) => mkdirSync(join(d, 'stage/old')),
      'an executable bit': (d) => chmodSync(join(d, 'stage/api/deployment-api.yaml'), 0o755),
      'a lost executable bit': (d) => chmodSync(join(d, 'bootstrap/install.sh'), 0o644),
      'a symbolic link for a file': (d) => {
        writeFileSync(join(d, 'elsewhere.yaml'), 'kind: Deployment\n');
        rmSync(join(d, 'stage/api/deployment-api.yaml'));
        symlinkSync(join(d, 'elsewhere.yaml'), join(d, 'stage/api/deployment-api.yaml'));
      },
      'an Image Updater file of a folder no longer rendered': (d) =>
        writeFiles(d, { 'prod/gone/.argocd-source-gone-prod.yaml': 'kustomize: {}\n' }),
    };
    const written = (): string => {
      const dir = join(tempDir(), 'dist');
      writeTreeAtomically(dir, tree);
      return dir;
    };
    expect(sameTree(written(), tree, [])).toEqual({ imageUpdaterFiles: [] });
    const withUpdaterFile = written();
    writeFiles(withUpdaterFile, { 'stage/api/.argocd-source-api-stage.yaml': 'kustomize: {}\n' });
    expect(sameTree(withUpdaterFile, tree, [])).toEqual({
      imageUpdaterFiles: ['stage/api/.argocd-source-api-stage.yaml'],
    });
    for (const [what, change] of Object.entries(differences)) {
      const dir = written();
      change(dir);
      expect(sameTree(dir, tree, []), what).toBeUndefined();
      expect(sameTree(dir, tree, [], ['stage/api/deployment-api.yaml']), what).toBeUndefined();
    }
    // Entries other commands own at the top level are not part of the comparison.
    const kept = written();
    writeFiles(kept, { 'argocd/README.md': 'kept\n' });
    expect(sameTree(kept, tree, ['argocd'])).toEqual({ imageUpdaterFiles: [] });
  });
});

describe('a synth killed at any moment', () => {
  it('leaves dist either exactly the old tree or exactly the new one, and the next synth recovers', async () => {
    // One environment: the tree is large enough (150 service folders) and the test twice as fast.
    const environments = {
      'environments/_settings.yaml': SETTINGS_YAML,
      'environments/stage.yaml': environmentYaml('stage'),
    };
    const work = tempDir();
    // The old tree: 150 services at 1.0.0, plus Image Updater files (one in a folder that goes away).
    const oldProject = writeFiles(join(work, 'old'), { ...environments, ...generatedApps(0, 150, '1.0.0') });
    await synth({ projectDir: oldProject, kustomize: false });
    writeFiles(join(oldProject, 'dist'), {
      'stage/svc-000/.argocd-source-svc-000-stage.yaml': 'kustomize: {images: [ghcr.io/acme/svc-000:abc1234]}\n',
      'stage/svc-042/.argocd-source-svc-042-stage.yaml': 'kustomize: {images: [ghcr.io/acme/svc-042:abc1235]}\n',
    });
    const oldTree = snapshotTree(join(oldProject, 'dist'));

    // The new specs: every tag moved, svc-000 removed, svc-150 added.
    const project = writeFiles(join(work, 'project'), { ...environments, ...generatedApps(1, 150, '1.1.0') });
    const expected = join(work, 'expected');
    cpSync(join(oldProject, 'dist'), join(expected, 'dist'), { recursive: true });
    cpSync(join(project, 'apps'), join(expected, 'apps'), { recursive: true });
    cpSync(join(project, 'environments'), join(expected, 'environments'), { recursive: true });
    await synth({ projectDir: expected, kustomize: false });
    const newTree = snapshotTree(join(expected, 'dist'));
    expect(newTree).not.toEqual(oldTree);
    expect(Object.keys(newTree).filter((p) => p.includes('/svc-000/'))).toEqual([]);
    expect(newTree['stage/svc-042/.argocd-source-svc-042-stage.yaml']).toBe(
      oldTree['stage/svc-042/.argocd-source-svc-042-stage.yaml'],
    );

    const dist = join(project, 'dist');
    const reset = () => {
      rmSync(dist, { recursive: true, force: true });
      cpSync(join(oldProject, 'dist'), dist, { recursive: true });
    };

    // One run to the end, to learn how long a run takes.
    reset();
    let started = Date.now();
    expect((await runAndKill(project, () => undefined)).signal).toBeNull();
    const runMs = Date.now() - started;
    expect(snapshotTree(dist)).toEqual(newTree);

    const seen: string[] = [];
    for (let i = 0; i < 9; i++) {
      reset();
      started = Date.now();
      const result = await runAndKill(project, (kill, finished) => {
        const mode = i % 3;
        // Anywhere in the run.
        if (mode === 0) setTimeout(kill, Math.random() * runMs);
        // While the new tree is being written beside the old one.
        else if (mode === 1)
          waitFor(
            () => staging(project) !== undefined,
            finished,
            () => setTimeout(kill, Math.random() * 300),
          );
        // After kubectl kustomize has checked the staged tree: during the swap and the removal of the old tree.
        else waitFor(kustomizeChecked(project), finished, () => setTimeout(kill, Math.random() * 60));
      });
      let state: string;
      if (existsSync(dist)) {
        const now = snapshotTree(dist);
        state = sameSnapshot(now, oldTree) ? 'old' : sameSnapshot(now, newTree) ? 'new' : 'MIXED';
      } else {
        // Killed between the two renames of the swap: the old tree is parked beside it, whole.
        recoverInterruptedSwap(dist);
        state = sameSnapshot(snapshotTree(dist), oldTree) ? 'parked old' : 'MIXED after recovery';
      }
      seen.push(`${result.signal ?? 'exit'}:${state}`);
      expect(
        state,
        `kill ${i} (${result.signal ?? 'finished'}) left a tree that is neither the old nor the new one`,
      ).not.toContain('MIXED');

      // The next synth recovers: the new tree, and nothing left behind in the project folder.
      await synth({ projectDir: project, kustomize: false });
      expect(sameSnapshot(snapshotTree(dist), newTree), `synth after kill ${i}`).toBe(true);
      expect(leftovers(project), `after kill ${i}`).toEqual([]);
    }
    expect(seen.some((s) => s.startsWith('SIGKILL'))).toBe(true);
  }, 600_000);

  it('puts back a tree parked by a run killed between its two renames', async () => {
    const project = copyExample();
    await synth({ projectDir: project, kustomize: false });
    const before = snapshotTree(join(project, 'dist'));
    // The state such a kill leaves: dist renamed away, the new tree still staged.
    const parked = join(project, '.gitops-synth-dist-previous');
    renameSync(join(project, 'dist'), parked);
    mkdirSync(join(project, '.gitops-synth-dist-staging-999999999-1'), { recursive: true });
    recoverInterruptedSwap(join(project, 'dist'));
    expect(snapshotTree(join(project, 'dist'))).toEqual(before);
    expect(leftovers(project)).toEqual([]);
  });
});

const sameSnapshot = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(a) === JSON.stringify(b);

/** Runs the real CLI's synth; `arm` gets a function that SIGKILLs it and one that tells whether it has ended. */
function runAndKill(
  project: string,
  arm: (kill: () => void, finished: () => boolean) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    // Without the cache of kustomize builds: a run whose folders were all built before never runs kubectl,
    // and the kills aimed after the kustomize check wait for its scratch folder.
    const child = spawn(process.execPath, [CLI, 'synth', '--project', project], {
      stdio: 'ignore',
      env: { ...process.env, GITOPS_SYNTH_KUSTOMIZE_CACHE: '0' },
    });
    let done = false;
    child.on('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    arm(
      () => {
        if (!done) child.kill('SIGKILL');
      },
      () => done,
    );
  });
}

/** The staging folder of a running synth in the project folder, if any. */
function staging(project: string): string | undefined {
  return readdirSync(project).find((n) => n.startsWith('.gitops-synth-dist-staging-'));
}

/** A condition that holds once kubectl kustomize has run over the staged tree (its scratch folder came and went). */
function kustomizeChecked(project: string): () => boolean {
  let seen = false;
  return () => {
    const dir = staging(project);
    if (dir === undefined) return seen;
    const checking = existsSync(join(project, dir, '.kustomize-check'));
    seen ||= checking;
    return seen && !checking;
  };
}

/** Calls `then` once `condition` holds, unless the run ends first. */
function waitFor(condition: () => boolean, finished: () => boolean, then: () => void): void {
  const poll = () => {
    if (finished()) return;
    if (condition()) then();
    else setTimeout(poll, 1);
  };
  poll();
}

/** Runs the real CLI's synth of `project` and fails with its error output unless it succeeds. */
function synthOk(project: string): void {
  const r = runCli(['synth', '--project', project]);
  expect(r.code, r.stderr).toBe(0);
}
