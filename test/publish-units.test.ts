import { describe, expect, it } from 'vitest';
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
      { repository: 'https://github.com/acme/shop', commit: '3f9c2a1bd0e4f00000000000000000000000000a', dirty: false },
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
    expect(commitMessage({ repository: 'r', dirty: true }, units).split('\n')[0]).toBe(
      'Render uncommitted specs: a, b, c and 3 more',
    );
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
      'apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: n}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: n}\n';
    const after =
      'apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: n}\nspec: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n';
    expect(compareObjects('x/objects.yaml', before, after)).toEqual([
      { label: 'Service n/a', status: 'changed' },
      { label: 'ConfigMap n/c', status: 'added' },
      { label: 'Service n/b', status: 'removed' },
    ]);
    expect(compareObjects('x/app.json', undefined, '{}')).toEqual([{ label: 'app.json', status: 'added' }]);
  });

  it('split a git diff into one patch per file without git bookkeeping lines', () => {
    const text =
      'diff --git a/d/s/a.yaml b/d/s/a.yaml\nindex 1..2 100644\n--- a/d/s/a.yaml\n+++ b/d/s/a.yaml\n@@ -1 +1 @@\n-x\n+y\ndiff --git a/d/s/b.yaml b/d/s/b.yaml\nindex 3..4 100644\n--- a/d/s/b.yaml\n+++ b/d/s/b.yaml\n@@ -1 +1 @@\n-p\n+q\n';
    const patches = splitPatch(text, 'd');
    expect([...patches.keys()]).toEqual(['s/a.yaml', 's/b.yaml']);
    expect(patches.get('s/a.yaml')).toBe('--- a/d/s/a.yaml\n+++ b/d/s/a.yaml\n@@ -1 +1 @@\n-x\n+y');
  });
});
