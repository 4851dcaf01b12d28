import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWNERSHIP_FILE, ownershipRecord, parseOwnershipRecord } from '../src/output/ownership.js';
import { outputFolder } from '../src/write/claim.js';
import { OwnershipError } from '../src/write/ownership-error.js';
import { REPO, runCli, snapshotTree, spawnCli, tempDir } from './helpers.js';
import { writeFiles } from './synth-fixtures.js';

/**
 * gitops-synth deletes only what it made (issue 11 §1): every tree it writes
 * carries an ownership marker; any other folder is refused with exit 2 and
 * left exactly as it was, through the real CLI on real folders.
 */

/** Every entry below `dir` without following links: files with content and mode, links with target, folders. */
function exactTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const st = lstatSync(full);
      const rel = prefix + name;
      if (st.isSymbolicLink()) out[rel] = `link → ${readlinkSync(full)}`;
      else if (st.isDirectory()) {
        out[`${rel}/`] = `folder ${(st.mode & 0o777).toString(8)}`;
        walk(full, `${rel}/`);
      } else if (!st.isFile()) out[rel] = `not a file ${st.mode.toString(8)}`;
      else out[rel] = `${(st.mode & 0o777).toString(8)} ${readFileSync(full, 'utf8')}`;
    }
  };
  walk(dir, '');
  return out;
}

/** A copy of the shipped example in `<tmp>/project`, with a src/, a .git and files of the user's own beside. */
function userProject(): { project: string; outside: string } {
  const outside = tempDir('gitops-synth-ownership-');
  const project = join(outside, 'project');
  for (const part of ['apps', 'environments']) cpSync(join(REPO, part), join(project, part), { recursive: true });
  writeFiles(project, {
    'src/main.ts': 'export const mine = 1;\n',
    '.git/HEAD': 'ref: refs/heads/main\n',
    '.git/config': '[core]\n',
    'README.md': '# my project\n',
    'notes/todo.txt': 'keep me\n',
  });
  writeFiles(outside, { 'sibling.txt': 'beside the project\n' });
  return { project, outside };
}

describe('folders gitops-synth never writes', () => {
  it('refuses each with exit 2, naming the folder and what was expected, and changes nothing anywhere', async () => {
    const { project, outside } = userProject();
    const home = join(outside, 'home');
    writeFiles(home, { '.bashrc': 'export PS1=mine\n' });
    symlinkSync(project, join(outside, 'link-to-project'));
    const before = exactTree(outside);
    const cases: [string[], RegExp][] = [
      [['synth', '--out', '.'], /refusing to write \.: it is the project folder/],
      [['synth', '--out', 'apps'], /refusing to write apps: it is the project's apps\/ folder/],
      [['synth', '--out', 'environments'], /refusing to write environments: it is the project's environments\/ folder/],
      [['synth', '--out', 'src'], /refusing to write src: it is the project's src\/ folder/],
      [['synth', '--out', '.git'], /refusing to write \.git: it is a git repository folder \(\.git\)/],
      [['synth', '--out', home], /refusing to write .*home: it is the home folder/],
      [['synth', '--out', '/'], /refusing to write \/: it is the root of the file system/],
      [['synth', '--out', join(outside, 'link-to-project')], /link-to-project: it is the project folder/],
      [['bootstrap', '--out', '.'], /refusing to write \.: it is the project folder/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli([...args, '--project', project], { cwd: project, env: { HOME: home } });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr, args.join(' ')).toContain('Expected a folder of its own for the rendered output');
      expect(r.stderr, args.join(' ')).toContain('nothing was changed');
      expect(exactTree(outside), args.join(' ')).toEqual(before);
    }
  });

  it('refuses a folder that holds files of someone else, a file, and a symlinked dist pointing at one', async () => {
    const { project, outside } = userProject();
    writeFiles(outside, { 'photos/cat.jpg': 'meow\n', 'photos/2024/dog.jpg': 'woof\n', 'a-file': 'data\n' });
    symlinkSync(join(outside, 'photos'), join(project, 'dist'));
    const before = exactTree(outside);
    const cases: [string[], RegExp][] = [
      [
        ['synth', '--out', join(outside, 'photos')],
        /photos: it holds files gitops-synth did not write and no \.gitops-synth-owned \(expected a folder that is absent, empty, or written by gitops-synth\); nothing was changed\. Not gitops-synth's: .*photos\/2024\/dog\.jpg, .*photos\/cat\.jpg/,
      ],
      // dist/ is a link to the same folder: judged by what it points at.
      [['synth'], /refusing to write dist: it holds files gitops-synth did not write/],
      [['bootstrap'], /refusing to write dist: it holds files gitops-synth did not write/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli([...args, '--project', project], { cwd: project });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(exactTree(outside), args.join(' ')).toEqual(before);
    }
  });
});

describe('a dist/ gitops-synth wrote', () => {
  it('written before markers existed: taken over once when every file is recognisably its own, else refused', async () => {
    const { project, outside } = userProject();
    // The committed output of the shipped example, as versions before the marker wrote it.
    cpSync(join(REPO, 'dist'), join(project, 'dist'), { recursive: true });
    rmSync(join(project, 'dist', OWNERSHIP_FILE), { force: true });
    writeFiles(join(project, 'dist'), {
      // A folder of a service removed since, and an Image Updater write-back: both recognised.
      'stage/gone/deployment-gone.yaml':
        '# Generated by gitops-synth from apps/gone.yaml and environments/stage.yaml.\n',
      'stage/gone/app.json': '{"environment": "stage", "service": "gone"}\n',
      'prod/api/.argocd-source-api-prod.yaml': 'kustomize: {images: [ghcr.io/acme-shop/api:1.4.3]}\n',
    });
    // One file of the user's own (in argocd/, where a rule by folder would take it): refused, nothing changed.
    writeFiles(join(project, 'dist'), { 'argocd/my-app.yaml': 'kind: Application\n' });
    const before = exactTree(outside);
    const refused = await runCli(['synth', '--project', project], { cwd: project });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(
      /refusing to write dist: it holds files gitops-synth did not write and no \.gitops-synth-owned .* Not gitops-synth's: dist\/argocd\/my-app\.yaml\. Choose another folder, or move those files away\./,
    );
    expect(exactTree(outside)).toEqual(before);

    rmSync(join(project, 'dist', 'argocd', 'my-app.yaml'));
    const taken = await runCli(['synth', '--project', project], { cwd: project });
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stdout).toContain("dist had no .gitops-synth-owned yet; every file in it was gitops-synth's");
    const dist = snapshotTree(join(project, 'dist'));
    expect(Object.keys(dist).filter((p) => p.startsWith('stage/gone'))).toEqual([]);
    expect(dist['prod/api/.argocd-source-api-prod.yaml']).toContain('1.4.3');
    // Byte-identical to the committed output, marker included.
    const committed = snapshotTree(join(REPO, 'dist'));
    expect({ ...dist, 'prod/api/.argocd-source-api-prod.yaml': undefined }).toEqual({
      ...committed,
      'prod/api/.argocd-source-api-prod.yaml': undefined,
    });
  });

  it('keeps and lists files it did not write, refuses to write over one, and refuses a damaged marker', async () => {
    const { project, outside } = userProject();
    expect((await runCli(['synth', '--project', project], { cwd: project })).code).toBe(0);
    const dist = join(project, 'dist');
    writeFiles(dist, { 'NOTES.md': 'mine\n', 'prod/api/extra.yaml': 'kind: ConfigMap\n' });
    rmSync(join(project, 'apps', 'flower.yaml'));
    const kept = await runCli(['synth', '--project', project], { cwd: project });
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toContain(
      'kept 2 files gitops-synth did not write, as they are: dist/NOTES.md, dist/prod/api/extra.yaml',
    );
    expect(readFileSync(join(dist, 'NOTES.md'), 'utf8')).toBe('mine\n');
    expect(readFileSync(join(dist, 'prod/api/extra.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    expect(existsSync(join(dist, 'prod', 'flower'))).toBe(false);

    // A file of the user's own where a service added now would write.
    writeFiles(dist, { 'stage/flower/deployment-flower.yaml': 'my own flower\n' });
    cpSync(join(REPO, 'apps', 'flower.yaml'), join(project, 'apps', 'flower.yaml'));
    let before = exactTree(outside);
    const over = await runCli(['synth', '--project', project], { cwd: project });
    expect(over.code, over.stderr).toBe(2);
    expect(over.stderr).toContain(
      'refusing to write dist: gitops-synth did not write dist/stage/flower/deployment-flower.yaml (not in ' +
        'dist/.gitops-synth-owned) and would now write over it',
    );
    expect(exactTree(outside)).toEqual(before);

    rmSync(join(dist, 'stage', 'flower'), { recursive: true });
    writeFileSync(join(dist, OWNERSHIP_FILE), 'prod/ everything\n');
    before = exactTree(outside);
    const damaged = await runCli(['synth', '--project', project], { cwd: project });
    expect(damaged.code, damaged.stderr).toBe(2);
    expect(damaged.stderr).toContain('refusing to write dist: its .gitops-synth-owned is damaged (expected the list');
    expect(exactTree(outside)).toEqual(before);
  });

  it('refuses, without waiting on it or following it, a named pipe or a link where it would write a file', async () => {
    const { project, outside } = userProject();
    expect((await runCli(['synth', '--project', project], { cwd: project })).code).toBe(0);
    const dist = join(project, 'dist');
    const secret = join(outside, 'secret.txt');
    writeFileSync(secret, 'Generated by gitops-synth, says the secret\n');
    rmSync(join(dist, 'prod', 'api', 'service-api.yaml'));
    execFileSync('mkfifo', [join(dist, 'prod', 'api', 'service-api.yaml')]);
    rmSync(join(dist, 'stage', 'api', 'app.json'));
    symlinkSync(secret, join(dist, 'stage', 'api', 'app.json'));
    const before = exactTree(outside);
    // A process of its own: opening the pipe to read would block this one for good.
    const r = spawnCli(['synth', '--project', project], { cwd: project });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'refusing to write dist: gitops-synth did not write dist/prod/api/service-api.yaml, dist/stage/api/app.json',
    );
    // Neither was taken for gitops-synth's own file: no hint to take the folder over.
    expect(r.stderr).not.toContain('If gitops-synth wrote them');
    expect(exactTree(outside)).toEqual(before);
  });

  it('never removes folders beside the output it did not make, even with the names of its own', async () => {
    const { project, outside } = userProject();
    // The old kubectl scratch folder inside the output, and folders named like a write's work folder.
    writeFiles(project, {
      'dist/.kustomize-check/mine.txt': 'mine\n',
      '.gitops-synth-dist-write-abc123/mine.txt': 'mine\n',
      '.gitops-synth-dist-staging-1-2/mine.txt': 'mine\n',
      '.gitops-synth-dist-previous/mine.txt': 'mine\n',
    });
    // dist/ holds a file that is not gitops-synth's and no marker: refused.
    let before = exactTree(outside);
    expect((await runCli(['synth', '--project', project], { cwd: project })).code).toBe(2);
    expect(exactTree(outside)).toEqual(before);
    // In a gitops-synth dist/, kept as a file of someone else's; the folders beside it untouched.
    rmSync(join(project, 'dist'), { recursive: true });
    expect((await runCli(['synth', '--project', project], { cwd: project })).code).toBe(0);
    writeFiles(project, { 'dist/.kustomize-check/mine.txt': 'mine\n' });
    rmSync(join(project, 'apps', 'worker.yaml'));
    before = exactTree(outside);
    const r = await runCli(['synth', '--project', project], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('kept 1 file gitops-synth did not write, as it is: dist/.kustomize-check/mine.txt');
    const after = exactTree(outside);
    for (const path of Object.keys(before).filter((p) => !p.startsWith('project/dist/')))
      expect(after[path], path).toBe(before[path]);
    expect(Object.keys(after).filter((p) => !p.startsWith('project/dist/') && before[p] === undefined)).toEqual([]);

    // A folder in the way of the write's own work folder, without its proof: refused, kept.
    writeFiles(project, { '.gitops-synth-dist-write/mine.txt': 'mine\n' });
    before = exactTree(outside);
    const blocked = await runCli(['synth', '--project', project], { cwd: project });
    expect(blocked.code, blocked.stderr).toBe(2);
    expect(blocked.stderr).toMatch(/\.gitops-synth-dist-write is in the way, and gitops-synth did not make it/);
    expect(exactTree(outside)).toEqual(before);
  });
});

describe('the folder a write reaches', () => {
  it('is judged after following links, and refused inside the spec folders, .git, and above the project', () => {
    const { project, outside } = userProject();
    writeFiles(outside, { 'a-file': 'data\n' });
    symlinkSync(join(project, 'apps'), join(outside, 'link-to-apps'));
    const refused = (dir: string): string => {
      try {
        outputFolder(dir, { projectDir: project, home: join(outside, 'home') });
      } catch (err) {
        if (err instanceof OwnershipError) return err.message;
        throw err;
      }
      return 'accepted';
    };
    expect(refused(join(project, 'apps', 'out'))).toMatch(/: it is inside the project's apps\/ folder\./);
    expect(refused(join(outside, 'link-to-apps', 'x'))).toMatch(/: it is inside the project's apps\/ folder\./);
    expect(refused(join(project, '.git', 'dist'))).toMatch(/: it is inside a git repository folder \(\.git\)\./);
    expect(refused(outside)).toContain(`: it holds the project folder ${project}.`);
    expect(refused(join(outside, 'a-file'))).toMatch(/a-file: it is a file, expected a folder; nothing was changed/);
    expect(refused(join(project, 'dist'))).toBe('accepted');
    expect(refused(join(outside, 'elsewhere', 'out'))).toBe('accepted');
  });
});

describe('the ownership marker', () => {
  it('records every file, one folder a line, the same bytes for the same files, and reads back', () => {
    const paths = ['stage/api/kustomization.yaml', 'argocd/README.md', 'stage/api/app.json', 'top.txt'];
    const text = ownershipRecord(paths);
    expect(text).toBe(ownershipRecord([...paths].reverse()));
    expect(text.split('\n').filter((l) => !l.startsWith('#'))).toEqual([
      './ top.txt',
      'argocd/ README.md',
      'stage/api/ app.json kustomization.yaml',
      '',
    ]);
    expect([...parseOwnershipRecord(text)!.files].sort()).toEqual([...paths].sort());
    for (const bad of ['', 'prod/ ../../etc/passwd', `${text}../ x\n`, `${text}prod/\n`])
      expect(parseOwnershipRecord(bad), bad).toBeUndefined();
  });
});
