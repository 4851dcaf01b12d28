import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceInfo } from '../src/publish/source.js';
import { checkWorkDir, WORK_CLONE_MARKER } from '../src/publish/work-dir.js';
import { git } from './publish-fixtures.js';
import { tempDir } from './helpers.js';
import { gitAccess, redact } from '../src/publish/credentials.js';
import { commitMessage } from '../src/publish/message.js';
import { groupChanges, planTree } from '../src/publish/plan.js';
import { canonicalUrl, withoutPassword } from '../src/resolve/repository.js';
import { RenderedTree } from '../src/output/tree.js';
import { compareObjects } from '../src/diff/objects.js';
import { splitPatch } from '../src/diff/compare.js';

/** A rendered tree of these paths; app.json files say whether Image Updater moves the folder's tag. */
function tree(paths: string[], autoUpdated: string[] = []): RenderedTree {
  const t = new RenderedTree();
  for (const p of paths)
    t.add(p, p.endsWith('/app.json') ? JSON.stringify({ image: { autoUpdate: autoUpdated.includes(p) } }) : `${p}\n`);
  return t;
}

describe('the publish plan', () => {
  it('keeps write-backs of rendered, auto-updated folders, removes everything else the render lacks', () => {
    const rendered = tree(
      [
        'stage/api/app.json',
        'stage/api/deployment-api.yaml',
        'prod/api/app.json',
        'prod/api/deployment-api.yaml',
        'argocd/appset-stage.yaml',
      ],
      ['stage/api/app.json'],
    );
    const plan = planTree(
      [
        'stage/api/app.json',
        'stage/api/.argocd-source-api-stage.yaml',
        'prod/api/app.json',
        'prod/api/.argocd-source-api-prod.yaml',
        'argocd/.argocd-source-argocd-config.yaml',
        'stage/api/old-object.yaml',
        'stage/flower/app.json',
        'stage/flower/.argocd-source-flower-stage.yaml',
        'bootstrap/bootstrap.sh',
        'bootstrap',
        'notes.txt',
      ],
      rendered,
    );
    // Beside a folder that is no service (argocd/) a write-back file is not the generator's business either.
    expect(plan.keep).toEqual(['argocd/.argocd-source-argocd-config.yaml', 'stage/api/.argocd-source-api-stage.yaml']);
    expect(plan.remove).toEqual([
      'bootstrap',
      'bootstrap/bootstrap.sh',
      'notes.txt',
      'prod/api/.argocd-source-api-prod.yaml',
      'stage/api/old-object.yaml',
      'stage/flower/.argocd-source-flower-stage.yaml',
      'stage/flower/app.json',
    ]);
    expect(plan.orphanedWriteBacks).toEqual(['stage/flower/.argocd-source-flower-stage.yaml']);
    // prod/api is pinned (not auto-updated): its write-back would override the pinned tag.
    expect(plan.overridingWriteBacks).toEqual(['prod/api/.argocd-source-api-prod.yaml']);
    expect(plan.write.map(([p]) => p)).toEqual(rendered.paths());
  });

  it('groups changed files by service folder, else by top-level part, with the folder status', () => {
    const before = ['stage/api/app.json', 'stage/api/deployment-api.yaml', 'stage/flower/app.json', 'argocd/a.yaml'];
    const after = [
      'stage/api/app.json',
      'stage/api/deployment-api.yaml',
      'prod/api/app.json',
      'argocd/a.yaml',
      'argocd/projects/p.yaml',
    ];
    const units = groupChanges(
      [
        { path: 'stage/api/deployment-api.yaml', status: 'changed' },
        { path: 'stage/flower/app.json', status: 'removed' },
        { path: 'prod/api/app.json', status: 'added' },
        { path: 'argocd/projects/p.yaml', status: 'added' },
      ],
      before,
      after,
    );
    expect(units.map((u) => [u.unit, u.status, u.environment, u.service])).toEqual([
      ['argocd', 'changed', undefined, undefined],
      ['prod/api', 'added', 'prod', 'api'],
      ['stage/api', 'changed', 'stage', 'api'],
      ['stage/flower', 'removed', 'stage', 'flower'],
    ]);
  });
});

describe('the commit message', () => {
  it('names the source commit and the changed services in the subject and carries parseable trailers', () => {
    const units = groupChanges(
      [
        { path: 'stage/api/deployment-api.yaml', status: 'changed' },
        { path: 'prod/api/deployment-api.yaml', status: 'changed' },
        { path: 'stage/worker/app.json', status: 'added' },
      ],
      ['stage/api/app.json', 'prod/api/app.json'],
      ['stage/api/app.json', 'prod/api/app.json', 'stage/worker/app.json'],
    );
    const message = commitMessage(
      {
        repository: 'https://github.com/acme/shop',
        commit: '3f9c2a1bd0e4f00000000000000000000000000a',
        dirty: false,
        uncommitted: [],
      },
      units,
    );
    const [subject, ...rest] = message.split('\n');
    expect(subject).toBe('Render 3f9c2a1: api and worker');
    expect(rest.slice(-3)).toEqual([
      'Source-Repository: https://github.com/acme/shop',
      'Source-Commit: 3f9c2a1bd0e4f00000000000000000000000000a',
      '',
    ]);
    expect(message).toMatch(/ {2}stage\/worker {2}added\n/);
  });

  it('shortens a long list of services in the subject', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const units = groupChanges(
      names.map((n) => ({ path: `stage/${n}/app.json`, status: 'added' as const })),
      [],
      names.map((n) => `stage/${n}/app.json`),
    );
    expect(
      commitMessage({ repository: 'r', dirty: true, uncommitted: [], unreviewable: 'not in git' }, units).split(
        '\n',
      )[0],
    ).toBe('Render uncommitted specs: a, b, c and 3 more');
  });

  it('says in its trailers that uncommitted files were published with --allow-dirty, and which', () => {
    const units = groupChanges([{ path: 'stage/a/app.json', status: 'added' }], [], ['stage/a/app.json']);
    const uncommitted = Array.from({ length: 12 }, (_, i) => ({
      path: `apps/s${i}.yaml`,
      change: 'modified' as const,
    }));
    uncommitted[0] = { path: 'apps/new.yaml', change: 'untracked' } as never;
    const message = commitMessage({ repository: 'r', commit: 'c'.repeat(40), dirty: true, uncommitted }, units);
    expect(message.split('\n')[0]).toBe('Render ccccccc-dirty: a');
    const trailers = message.trimEnd().split('\n').slice(-4);
    expect(trailers).toEqual([
      'Source-Repository: r',
      `Source-Commit: ${'c'.repeat(40)} (dirty)`,
      'Published-With: --allow-dirty',
      'Source-Uncommitted: apps/new.yaml (untracked), ' +
        `${Array.from({ length: 9 }, (_, i) => `apps/s${i + 1}.yaml (modified)`).join(', ')}, and 2 more`,
    ]);
  });
});

describe('credentials', () => {
  it('turn a token into a host-scoped header in the environment, never into the URL or arguments', () => {
    const access = gitAccess('https://github.com/acme/devops.git', {
      PATH: '/bin',
      GITOPS_SYNTH_GIT_TOKEN: 'tok-123456',
      GIT_DIR: '/elsewhere',
      EDITOR: 'vim',
      GIT_AUTHOR_NAME: 'CI',
    });
    expect(access.env.GIT_CONFIG_COUNT).toBe('1');
    expect(access.env.GIT_CONFIG_KEY_0).toBe('http.https://github.com/.extraHeader');
    expect(access.env.GIT_CONFIG_VALUE_0).toBe(
      `Authorization: Basic ${Buffer.from('x-access-token:tok-123456').toString('base64')}`,
    );
    expect(access.env.GIT_TERMINAL_PROMPT).toBe('0');
    expect(access.env.GIT_DIR).toBeUndefined();
    expect(access.env.EDITOR).toBeUndefined();
    expect(access.env.GIT_AUTHOR_NAME).toBe('CI');
    expect(access.redact(`fatal: tok-123456 and ${access.env.GIT_CONFIG_VALUE_0}`)).toBe(
      'fatal: *** and Authorization: Basic ***',
    );
  });

  it("add the token's header after the caller's own GIT_CONFIG_* settings, which are kept (and their headers hidden)", () => {
    const access = gitAccess('https://github.com/acme/devops.git', {
      GITOPS_SYNTH_GIT_TOKEN: 'tok-123456',
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'url./srv/devops.git.insteadOf',
      GIT_CONFIG_VALUE_0: 'https://github.com/acme/devops.git',
      GIT_CONFIG_KEY_1: 'http.https://proxy.example.com/.extraHeader',
      GIT_CONFIG_VALUE_1: 'Authorization: Bearer own-secret-value',
      GIT_CONFIG_GLOBAL: '/etc/ci/gitconfig',
      GIT_CONFIG_KEY_7: 'core.sshCommand',
    });
    expect(access.env.GIT_CONFIG_COUNT).toBe('3');
    expect(access.env.GIT_CONFIG_KEY_0).toBe('url./srv/devops.git.insteadOf');
    expect(access.env.GIT_CONFIG_VALUE_0).toBe('https://github.com/acme/devops.git');
    expect(access.env.GIT_CONFIG_KEY_1).toBe('http.https://proxy.example.com/.extraHeader');
    expect(access.env.GIT_CONFIG_KEY_2).toBe('http.https://github.com/.extraHeader');
    expect(access.env.GIT_CONFIG_GLOBAL).toBe('/etc/ci/gitconfig');
    // Beyond the count, git would not read it: neither do we pass it.
    expect(access.env.GIT_CONFIG_KEY_7).toBeUndefined();
    expect(access.redact('sent own-secret-value')).toBe('sent ***');
    // Without a token the caller's settings go through unchanged.
    const plain = gitAccess('https://github.com/acme/devops.git', {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.sslCAInfo',
      GIT_CONFIG_VALUE_0: '/ca.pem',
    });
    expect([plain.env.GIT_CONFIG_COUNT, plain.env.GIT_CONFIG_KEY_0]).toEqual(['1', 'http.sslCAInfo']);
  });

  it('use an SSH key file through GIT_SSH_COMMAND for SSH URLs', () => {
    const access = gitAccess('git@github.com:acme/devops.git', { GITOPS_SYNTH_SSH_KEY_FILE: "/run/keys/deploy key's" });
    expect(access.env.GIT_SSH_COMMAND).toBe(
      `ssh -i '/run/keys/deploy key'\\''s' -o IdentitiesOnly=yes -o BatchMode=yes`,
    );
    expect(access.env.GIT_CONFIG_COUNT).toBeUndefined();
  });

  it('are cut out of URLs in any text', () => {
    expect(redact('To https://bot:hunter22@example.com/x.git')).toBe('To https://***@example.com/x.git');
    expect(withoutPassword('https://x-access-token:abc@github.com/acme/shop.git')).toBe(
      'https://github.com/acme/shop.git',
    );
    expect(withoutPassword('ssh://git:pw@host/repo')).toBe('ssh://git@host/repo');
  });
});

describe('repository URLs', () => {
  it('have one spelling whatever protocol the clone uses', () => {
    for (const url of [
      'git@github.com:acme/shop.git',
      'ssh://git@github.com/acme/shop.git',
      'https://github.com/acme/shop.git',
      'https://token:x@github.com/acme/shop/',
    ]) {
      expect(canonicalUrl(url)).toBe('https://github.com/acme/shop');
    }
    expect(canonicalUrl('/srv/git/devops.git')).toBe('/srv/git/devops.git');
  });
});

describe('object diffs', () => {
  it('tell added, removed and changed objects of a multi-document file apart', () => {
    const before =
      'apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: n}\n---\napiVersion: v1\nkind: Service\n' +
      'metadata: {name: b, namespace: n}\n';
    const after =
      'apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: n}\nspec: {}\n---\napiVersion: v1\n' +
      'kind: ConfigMap\nmetadata: {name: c, namespace: n}\n';
    expect(compareObjects('x/objects.yaml', before, after)).toEqual([
      { label: 'Service n/a', status: 'changed' },
      { label: 'ConfigMap n/c', status: 'added' },
      { label: 'Service n/b', status: 'removed' },
    ]);
    expect(compareObjects('x/app.json', undefined, '{}')).toEqual([{ label: 'app.json', status: 'added' }]);
  });

  it('split a git diff into one patch per file without git bookkeeping lines', () => {
    const text =
      'diff --git a/d/s/a.yaml b/d/s/a.yaml\nindex 1..2 100644\n--- a/d/s/a.yaml\n+++ b/d/s/a.yaml\n' +
      '@@ -1 +1 @@\n-x\n+y\ndiff --git a/d/s/b.yaml b/d/s/b.yaml\nindex 3..4 100644\n--- a/d/s/b.yaml\n' +
      '+++ b/d/s/b.yaml\n@@ -1 +1 @@\n-p\n+q\n';
    const patches = splitPatch(text, 'd');
    expect([...patches.keys()]).toEqual(['s/a.yaml', 's/b.yaml']);
    expect(patches.get('s/a.yaml')).toBe('--- a/d/s/a.yaml\n+++ b/d/s/a.yaml\n@@ -1 +1 @@\n-x\n+y');
  });
});

describe('work folders', () => {
  it('are accepted when absent, empty, or a work clone gitops-synth made (the marker in .git)', () => {
    const parent = tempDir('gitops-synth-work-');
    const project = join(parent, 'project');
    mkdirSync(join(project, 'apps'), { recursive: true });
    expect(checkWorkDir(join(parent, 'new', 'devops'), project)).toBe(join(parent, 'new', 'devops'));
    mkdirSync(join(parent, 'empty'));
    expect(checkWorkDir(join(parent, 'empty'), project)).toBe(join(parent, 'empty'));
    mkdirSync(join(parent, 'ours', '.git'), { recursive: true });
    writeFileSync(join(parent, 'ours', '.git', WORK_CLONE_MARKER), 'made by gitops-synth\n');
    expect(checkWorkDir(join(parent, 'ours'), project)).toBe(join(parent, 'ours'));
    // Inside the project but outside its parts (a project's .work/ folder) is the user's choice.
    expect(checkWorkDir(join(project, '.work'), project)).toBe(join(project, '.work'));
  });

  it('are refused, marker or not, at /, home, the project or above it, its parts, inside any .git, or on a file', () => {
    const parent = tempDir('gitops-synth-work-');
    const project = join(parent, 'project');
    for (const part of ['apps', 'environments', 'src', '.git']) mkdirSync(join(project, part), { recursive: true });
    writeFileSync(join(project, '.git', WORK_CLONE_MARKER), 'a marker does not make the project a work clone\n');
    writeFileSync(join(parent, 'file'), 'x');
    mkdirSync(join(parent, 'other', '.git'), { recursive: true });
    mkdirSync(join(parent, 'foreign', '.git'), { recursive: true });
    symlinkSync(join(parent, 'nowhere'), join(parent, 'dangling'));
    const refusals: [string, RegExp][] = [
      ['/', /the root folder is never a work folder/],
      [homedir(), /the home folder is never a work folder/],
      [project, /this is the project folder; expected a folder of its own/],
      [parent, /this is the project folder or a folder above it/],
      [join(project, 'apps'), /this is the project's apps\/; expected/],
      [join(project, 'environments', 'x'), /this is the project's environments\/ or inside it/],
      [join(project, 'src'), /this is the project's src\//],
      [join(project, '.git'), /this is the project's \.git\//],
      [join(parent, 'other', '.git', 'x'), /inside a repository's \.git folder/],
      [join(parent, 'file'), /this is a file; expected a folder/],
      [join(parent, 'dangling'), /a symbolic link to nothing/],
      [join(parent, 'foreign'), /holds files gitops-synth did not make \(\.git\)/],
    ];
    for (const [dir, message] of refusals) expect(() => checkWorkDir(dir, project), dir).toThrow(message);
  });
});

describe('the source of a publish', () => {
  it('is dirty when anything that feeds the render differs from the commit: for a project in a subfolder, its own folders and the generator beside it', async () => {
    const repo = tempDir('gitops-synth-source-');
    const files: Record<string, string> = {
      'shop/apps/web.yaml': 'image: {repository: ghcr.io/acme/web, tag: 1.0.0}\n',
      'shop/environments/_settings.yaml': 'repository: {url: https://github.com/acme/deploy.git}\n',
      'shop/notes.md': 'not read by the render\n',
      'other/apps/web.yaml': 'another project\n',
      'tool/package.json': '{"name": "gitops-synth"}\n',
      'tool/src/render.ts': 'export {};\n',
      '.gitignore': 'shop/apps/local.yaml\nshop/apps/*.bak\n',
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(repo, path, '..'), { recursive: true });
      writeFileSync(join(repo, path), content);
    }
    git(repo, ['init', '-q', '-b', 'main']);
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-q', '-m', 'specs']);
    const project = join(repo, 'shop');
    const tool = join(repo, 'tool');
    const clean = await sourceInfo(project, {}, tool);
    expect(clean).toMatchObject({ repository: 'unknown', dirty: false, uncommitted: [] });
    expect(clean.commit).toBe(git(repo, ['rev-parse', 'HEAD']));

    writeFileSync(join(repo, 'shop', 'notes.md'), 'changed, but not read\n');
    writeFileSync(join(repo, 'other', 'apps', 'web.yaml'), 'changed, in another project\n');
    writeFileSync(join(repo, 'shop', 'apps', 'web.bak'), 'ignored, not a spec\n');
    expect((await sourceInfo(project, {}, tool)).dirty).toBe(false);

    writeFileSync(join(repo, 'shop', 'environments', '_settings.yaml'), 'repository: {url: https://x.org/y.git}\n');
    writeFileSync(join(repo, 'shop', 'apps', 'local.yaml'), 'ignored, but read like any spec\n');
    writeFileSync(join(repo, 'shop', 'cdk8s.yaml'), 'app: node x.js\n');
    writeFileSync(join(repo, 'tool', 'src', 'render.ts'), 'export const changed = 1;\n');
    const dirty = await sourceInfo(project, { GIT_DIR: '/nowhere', GIT_INDEX_FILE: '/nowhere/index' }, tool);
    expect(dirty.dirty).toBe(true);
    expect(dirty.uncommitted).toEqual([
      { path: 'shop/environments/_settings.yaml', change: 'modified' },
      { path: 'tool/src/render.ts', change: 'modified' },
      { path: 'shop/cdk8s.yaml', change: 'untracked' },
      { path: 'shop/apps/local.yaml', change: 'ignored' },
    ]);
    // Installed as a package (here: outside the repository), the generator is the package files' business.
    expect((await sourceInfo(project, {}, tempDir())).uncommitted.map((f) => f.path)).not.toContain(
      'tool/src/render.ts',
    );
  });

  it('has nothing reviewable outside a git repository', async () => {
    const source = await sourceInfo(tempDir('gitops-synth-nogit-'), {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'a/b',
    });
    expect(source).toMatchObject({ repository: 'https://github.com/a/b', dirty: true, uncommitted: [] });
    expect(source.unreviewable).toMatch(/is not in a git repository$/);
  });
});
