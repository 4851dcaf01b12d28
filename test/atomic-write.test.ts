import { spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWNERSHIP_FILE, ownershipRecord } from '../src/output/ownership.js';
import { RenderedTree } from '../src/output/tree.js';
import { synth } from '../src/pipeline/pipeline.js';
import { toolPath } from '../src/validate/tools.js';
import { OwnershipError } from '../src/write/ownership-error.js';
import { FAULT_VARIABLE, writeLockPath, writeTree } from '../src/write/tree-writer.js';
import { CLI, copyExample, runCli, snapshotTree, tempDir } from './helpers.js';
import { writeFiles } from './synth-fixtures.js';

/** The start of a stand-in kubectl that runs (it answers `version`) but fails every build. */
const ANSWERS_VERSION = '#!/bin/sh\n[ "$1" = version ] && { echo "Client Version: v1.28.3"; exit 0; }\n';

/**
 * Image Updater write-back files as Argo CD names them
 * (`.argocd-source-<app>.yaml`, with `<ns>_` when apps live elsewhere).
 */
const IMAGE_UPDATER_FILES: Record<string, string> = {
  'prod/api/.argocd-source-api-prod.yaml': 'kustomize:\n  images:\n    - ghcr.io/acme-shop/api:1.4.3\n',
  'stage/api/.argocd-source-argocd_api-stage.yaml': 'kustomize:\n  images:\n    - ghcr.io/acme-shop/api:0c0ffee\n',
  'stage/frontend/.argocd-source.yaml': 'kustomize:\n  images:\n    - ghcr.io/acme-shop/frontend:beefcaf\n',
};

/** The entries of a project folder other than its specs and dist: anything a run left behind. */
const leftovers = (project: string) =>
  readdirSync(project).filter((n) => n !== 'apps' && n !== 'environments' && n !== 'dist');

/** Inode and modification time of every entry below `dir`: what any write, rename or swap would change. */
const identities = (dir: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true }).map((e) => {
      const st = statSync(join(e.parentPath, e.name));
      return [join(e.parentPath, e.name).slice(dir.length + 1), `${st.ino}@${st.mtimeMs}`];
    }),
  );

/** A program that fails the way a broken kubectl does. */
function brokenKubectl(): string {
  const kubectl = join(tempDir(), 'kubectl');
  // It answers `kubectl version` (gitops-synth checks that the tool runs), and fails every build.
  writeFileSync(kubectl, `${ANSWERS_VERSION}echo "error: accumulating resources: broken on purpose" >&2\nexit 1\n`);
  chmodSync(kubectl, 0o755);
  return kubectl;
}

/** The real kubectl behind a script that appends the folders each build was asked for to `log`. */
function loggingKubectl(log: string): string {
  const kubectl = join(tempDir(), 'kubectl');
  writeFileSync(
    kubectl,
    '#!/bin/sh\n' +
      'if [ "$1" = kustomize ]; then ' +
      `sed -n 's/^- .*\\/\\([^/]*\\/[^/]*\\)$/\\1/p' "$2/kustomization.yaml" >> '${log}'; fi\n` +
      `exec '${toolPath('kubectl')}' "$@"\n`,
  );
  chmodSync(kubectl, 0o755);
  return kubectl;
}

function editSpec(project: string, service: string, from: string, to: string): void {
  const file = join(project, 'apps', `${service}.yaml`);
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

describe('a failed synth leaves dist as it was', () => {
  it('keeps the previous dist byte-identical when kubectl kustomize fails', async () => {
    const project = copyExample();
    await synth({ projectDir: project });
    writeFiles(join(project, 'dist'), IMAGE_UPDATER_FILES);
    const before = identities(join(project, 'dist'));
    const content = snapshotTree(join(project, 'dist'));
    editSpec(project, 'api', 'tag: 3f9c2a1', 'tag: 0a1b2c3');
    rmSync(join(project, 'apps', 'flower.yaml'));

    const r = await runCli(['synth', '--project', project], { env: { GITOPS_SYNTH_KUBECTL: brokenKubectl() } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('failed validation; nothing was written');
    expect(r.stderr).toContain('broken on purpose');
    expect(snapshotTree(join(project, 'dist'))).toEqual(content);
    expect(identities(join(project, 'dist'))).toEqual(before);
    expect(leftovers(project)).toEqual([]);
  });

  it('keeps the previous dist byte-identical when a spec is wrong', async () => {
    const project = copyExample();
    await synth({ projectDir: project });
    const before = snapshotTree(join(project, 'dist'));
    writeFileSync(
      join(project, 'apps', 'broken.yaml'),
      'image: {repository: ghcr.io/acme/broken, tag: 1.0.0}\nport: 8000\nenv: {PEER: "${service:nowhere}"}\n',
    );
    const r = await runCli(['synth', '--project', project]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apps/broken.yaml');
    expect(snapshotTree(join(project, 'dist'))).toEqual(before);
    expect(leftovers(project)).toEqual([]);
  });
});

describe('what survives a synth', () => {
  it('keeps every .argocd-source file byte-identical and reports them, and removes the folders of services gone', async () => {
    const project = copyExample();
    await synth({ projectDir: project });
    writeFiles(join(project, 'dist'), {
      ...IMAGE_UPDATER_FILES,
      'prod/flower/.argocd-source-flower-prod.yaml': 'kustomize: {}\n',
    });
    editSpec(project, 'api', 'tag: 3f9c2a1', 'tag: 0a1b2c3');
    rmSync(join(project, 'apps', 'flower.yaml'));
    rmSync(join(project, 'apps', 'frontend.yaml'));
    const r = await runCli(['synth', '--project', project]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('kept 2 Image Updater files');
    const after = snapshotTree(join(project, 'dist'));
    for (const path of ['prod/api/.argocd-source-api-prod.yaml', 'stage/api/.argocd-source-argocd_api-stage.yaml'])
      expect(after[path], path).toBe(IMAGE_UPDATER_FILES[path]);
    // The synth did write the change around them.
    expect(after['stage/api/kustomization.yaml']).toContain('newTag: 0a1b2c3');
    // A write-back file left behind would pin the old tag if the service were ever added back.
    for (const gone of ['prod/flower', 'stage/flower', 'prod/frontend', 'stage/frontend'])
      expect(existsSync(join(project, 'dist', gone)), gone).toBe(false);
    expect(leftovers(project)).toEqual([]);
  });

  it('removes a service folder when the service is disabled in one environment only', async () => {
    const project = copyExample();
    await synth({ projectDir: project });
    const flower = join(project, 'apps', 'flower.yaml');
    writeFileSync(flower, `${readFileSync(flower, 'utf8')}environments:\n  prod: {enabled: false}\n`);
    await synth({ projectDir: project });
    expect(existsSync(join(project, 'dist', 'prod', 'flower'))).toBe(false);
    expect(existsSync(join(project, 'dist', 'stage', 'flower', 'deployment-flower.yaml'))).toBe(true);
  });
});

describe('folders proven before', () => {
  it('are not built again: kubectl builds only the folders with a changed file, or one differing by a byte', async () => {
    const project = copyExample();
    await synth({ projectDir: project });
    const dist = join(project, 'dist');
    const log = join(tempDir(), 'built.log');
    // Without the kustomize cache, only the comparison with dist/ can spare a build.
    const env = { GITOPS_SYNTH_KUBECTL: loggingKubectl(log), GITOPS_SYNTH_CACHE: '0' };
    const built = (): string[] => {
      const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).sort() : [];
      rmSync(log, { force: true });
      return lines;
    };

    const before = identities(dist);
    let r = await runCli(['synth', '--project', project], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('dist already held them and was left untouched');
    expect(built()).toEqual([]);
    expect(identities(dist)).toEqual(before);

    editSpec(project, 'api', 'tag: 3f9c2a1', 'tag: 0a1b2c3');
    r = await runCli(['synth', '--project', project], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(built()).toEqual(['stage/api']);

    const rendered = snapshotTree(dist);
    const file = join(dist, 'stage', 'worker', 'deployment-worker.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('replicas: 1', 'replicas: 2'));
    r = await runCli(['synth', '--project', project], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(built()).toEqual(['stage/worker']);
    expect(snapshotTree(dist)).toEqual(rendered);
  });
});

describe('an output that already holds the new tree', () => {
  it('is left untouched by a second synth, Image Updater files included, and says so', async () => {
    const project = copyExample();
    await synth({ projectDir: project });
    writeFiles(join(project, 'dist'), IMAGE_UPDATER_FILES);
    const before = identities(join(project, 'dist'));
    const r = await runCli(['synth', '--project', project]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/, validated, \S*dist already held them and was left untouched$/m);
    expect(r.stdout).toContain('kept 3 Image Updater files');
    expect(identities(join(project, 'dist'))).toEqual(before);
    expect(leftovers(project)).toEqual([]);
  });

  it('gets exactly the files that differ written, and only those', async () => {
    const project = tempDir();
    const tree = new RenderedTree();
    tree.add('stage/api/deployment-api.yaml', 'kind: Deployment\n');
    tree.add('stage/api/kustomization.yaml', 'resources: [deployment-api.yaml]\n');
    tree.add('bootstrap/install.sh', '#!/bin/sh\n', { executable: true });
    tree.add(OWNERSHIP_FILE, ownershipRecord(tree.paths()));
    const write = (dir: string) => writeTree(dir, tree, { projectDir: project });
    const differences: Record<string, [(dir: string) => void, { written: string[]; removed: number }]> = {
      'one byte': [
        (d) => writeFileSync(join(d, 'stage/api/deployment-api.yaml'), 'kind: Deployment \n'),
        { written: ['stage/api/deployment-api.yaml'], removed: 0 },
      ],
      'a missing file': [
        (d) => rmSync(join(d, 'stage/api/kustomization.yaml')),
        { written: ['stage/api/kustomization.yaml'], removed: 0 },
      ],
      'an executable bit': [
        (d) => chmodSync(join(d, 'stage/api/deployment-api.yaml'), 0o755),
        { written: ['stage/api/deployment-api.yaml'], removed: 0 },
      ],
      'a lost executable bit': [
        (d) => chmodSync(join(d, 'bootstrap/install.sh'), 0o644),
        { written: ['bootstrap/install.sh'], removed: 0 },
      ],
      'an Image Updater file of a folder no longer rendered': [
        (d) => writeFiles(d, { 'prod/gone/.argocd-source-gone-prod.yaml': 'kustomize: {}\n' }),
        { written: [], removed: 1 },
      ],
    };
    for (const [what, [change, expected]] of Object.entries(differences)) {
      const dir = join(tempDir(), 'dist');
      await write(dir);
      const files = snapshotTree(dir);
      change(dir);
      const before = identities(dir);
      const result = await write(dir);
      expect({ written: result.written, removed: result.removed }, what).toEqual({
        written: expected.written.length,
        removed: expected.removed,
      });
      expect(snapshotTree(dir), what).toEqual(files);
      expect(statSync(join(dir, 'bootstrap/install.sh')).mode & 0o111, what).toBe(0o111);
      const after = identities(dir);
      const touched = Object.keys(after).filter((p) => after[p] !== before[p] && !statSync(join(dir, p)).isDirectory());
      expect(touched, what).toEqual(expected.written);
      expect(existsSync(join(dir, 'prod')), what).toBe(false);
    }

    // An output folder holding nothing but empty folders is written whole.
    const hollow = join(tempDir(), 'dist');
    mkdirSync(join(hollow, 'old', 'empty'), { recursive: true });
    expect((await write(hollow)).written).toBe(tree.size);
    expect(existsSync(join(hollow, 'old'))).toBe(false);

    // Files of someone else's are kept as they are; a link where a file of the tree goes is not written through.
    const dir = join(tempDir(), 'dist');
    await write(dir);
    writeFiles(dir, { 'stage/api/notes.txt': 'mine\n' });
    const kept = await write(dir);
    expect([kept.unchanged, kept.foreign]).toEqual([true, ['stage/api/notes.txt']]);
    writeFileSync(join(dir, '..', 'elsewhere.yaml'), 'kind: Deployment\n');
    rmSync(join(dir, 'stage/api/deployment-api.yaml'));
    symlinkSync(join(dir, '..', 'elsewhere.yaml'), join(dir, 'stage/api/deployment-api.yaml'));
    await expect(write(dir)).rejects.toThrow(OwnershipError);
    expect(readFileSync(join(dir, '..', 'elsewhere.yaml'), 'utf8')).toBe('kind: Deployment\n');
  });
});

describe('a write killed at any moment', () => {
  it('leaves the old tree, or a journal from which the next run makes the new one; the next run completes it', async () => {
    const work = tempDir();
    // The old tree: the example, plus Image Updater files (one in a folder that goes away).
    const project = copyExample();
    await synth({ projectDir: project });
    writeFiles(join(project, 'dist'), {
      ...IMAGE_UPDATER_FILES,
      'prod/flower/.argocd-source-flower-prod.yaml': 'kustomize: {}\n',
    });
    cpSync(join(project, 'dist'), join(work, 'old'), { recursive: true });
    const oldTree = snapshotTree(join(work, 'old'));
    // The new specs: a tag moved (changed files), flower removed (files and folders gone), a service added.
    editSpec(project, 'api', 'tag: 3f9c2a1', 'tag: 0a1b2c3');
    rmSync(join(project, 'apps', 'flower.yaml'));
    cpSync(join(project, 'apps', 'worker.yaml'), join(project, 'apps', 'mailer.yaml'));
    await synth({ projectDir: project, outDir: join(work, 'new'), kustomize: false });
    writeFiles(join(work, 'new'), IMAGE_UPDATER_FILES);
    const newTree = snapshotTree(join(work, 'new'));
    expect(newTree).not.toEqual(oldTree);

    const dist = join(project, 'dist');
    const lock = writeLockPath(dist);
    const seen: string[] = [];
    for (const point of ['checked', 'committed', 'write:1', 'write:4', 'write:20', 'removed', 'applied']) {
      rmSync(dist, { recursive: true, force: true });
      cpSync(join(work, 'old'), dist, { recursive: true });
      const result = await runSynth(project, { [FAULT_VARIABLE]: point });
      expect(result.signal, `${point}: ${result.stderr}`).toBe('SIGKILL');
      const now = snapshotTree(dist);
      const committed = existsSync(join(lock, 'journal.json'));
      const state = equal(now, oldTree) ? 'old' : equal(now, newTree) ? 'new' : 'mixed';
      seen.push(`${point}: ${state}${committed ? ', journal' : ''}`);
      // Before the journal, the old tree exactly; after it, anything the journal completes.
      if (!committed) expect(state, point).toBe('old');

      // The next run (in this process: no need to pay another start) completes the interrupted write, then
      // finds the tree it renders already there.
      const next = await synth({ projectDir: project });
      if (committed) expect(next.unchanged, point).toBe(true);
      expect(equal(snapshotTree(dist), newTree), `after ${point}`).toBe(true);
      expect(leftovers(project), `after ${point}`).toEqual([]);
    }
    expect(seen).toEqual([
      'checked: old',
      'committed: old, journal',
      'write:1: mixed, journal',
      'write:4: mixed, journal',
      'write:20: mixed, journal',
      'removed: new, journal',
      'applied: new, journal',
    ]);

    // An output written whole (it did not exist): one rename, completed by the next run.
    rmSync(dist, { recursive: true, force: true });
    const killed = await runSynth(project, { [FAULT_VARIABLE]: 'committed' });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(dist)).toBe(false);
    expect((await synth({ projectDir: project })).unchanged).toBe(true);
    expect(snapshotTree(dist)).toEqual(
      Object.fromEntries(Object.entries(newTree).filter(([p]) => !p.includes('.argocd-source'))),
    );
    expect(leftovers(project)).toEqual([]);
  });

  it('lets two synths of one project run at once: one waits for the other, both succeed', async () => {
    const project = copyExample();
    await synth({ projectDir: project });
    editSpec(project, 'api', 'tag: 3f9c2a1', 'tag: 0a1b2c3');
    const expected = join(tempDir(), 'dist');
    await synth({ projectDir: project, outDir: expected, kustomize: false });
    const runs = await Promise.all([runSynth(project), runSynth(project)]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(snapshotTree(join(project, 'dist'))).toEqual(snapshotTree(expected));
    expect(leftovers(project)).toEqual([]);
  });
});

const equal = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(a) === JSON.stringify(b);

/** Runs the real CLI's synth of `project` as a separate process. */
function runSynth(
  project: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'synth', '--project', project], {
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
