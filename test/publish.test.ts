import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, snapshotTree, tempDir } from './helpers.js';
import {
  bareRepo,
  commitProject,
  commits,
  DEVOPS_URL,
  editSpec,
  exampleProject,
  filesAt,
  git,
  gitEnv,
  isAncestor,
  refs,
  refUpdates,
  trailers,
  writeBack,
} from './publish-fixtures.js';

const PATH = 'clusters/shop';
const RECORD = 'refs/gitops-synth/published/main';
const WRITE_BACK = `${PATH}/stage/api/.argocd-source-api-stage.yaml`;
const WRITE_BACK_CONTENT = 'kustomize:\n  images:\n  - ghcr.io/acme-shop/api:abcdef1\n';

async function publish(remote: string, project: string, ...args: string[]) {
  const delay = args.includes('--retry-delay') ? [] : ['--retry-delay', '20'];
  return await runCli(['publish', '--project', project, ...delay, ...args], { env: gitEnv(remote) });
}

async function mustPublish(remote: string, project: string, ...args: string[]) {
  const r = await publish(remote, project, ...args);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** What `synth` writes for the project, as the devops repository should hold it. */
async function synthesized(project: string): Promise<Record<string, string>> {
  const out = join(tempDir('gitops-synth-expected-'), 'dist');
  const r = await runCli(['synth', '--project', project, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  return snapshotTree(out);
}

/** Commits made straight in the bare repository on top of `parent` (fast: no clone, no push). */
function commitsOnTop(remote: string, parent: string, count: number): string {
  let head = parent;
  const tree = git(remote, ['rev-parse', `${parent}^{tree}`]);
  for (let i = 0; i < count; i++) head = git(remote, ['commit-tree', tree, '-p', head, '-m', `write-back ${i}`]);
  return head;
}

describe('publish', () => {
  it('publishes into an empty devops repository exactly what synth renders, records it, and says nothing changed the second time', async () => {
    const remote = bareRepo();
    const project = exampleProject();
    const source = git(project, ['rev-parse', 'HEAD']);

    const r = await publish(remote, project);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`published ${source.slice(0, 7)} to ${DEVOPS_URL} main:${PATH}`);

    const [head, ...older] = commits(remote);
    expect(older).toEqual([]);
    expect(filesAt(remote, 'main', PATH)).toEqual(await synthesized(project));
    expect(trailers(remote, head!)).toEqual({
      'Source-Repository': 'https://github.com/acme-shop/shop',
      'Source-Commit': source,
    });
    expect(git(remote, ['log', '-1', '--format=%s', 'main'])).toMatch(new RegExp(`^Render ${source.slice(0, 7)}: `));
    // The record of the last publish moved with the branch, in the same push.
    expect(git(remote, ['rev-parse', RECORD])).toBe(head);

    const again = await publish(remote, project);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to commit');
    expect(commits(remote)).toEqual([head]);
  });

  it('changes only the folders of the service whose spec changed, and names it in the message (with a kept --work-dir)', async () => {
    const remote = bareRepo();
    const project = exampleProject();
    // Its own work clone: made in a folder that did not exist, reused by the next publish and by diff.
    const work = join(tempDir('gitops-synth-work-'), 'devops');
    await mustPublish(remote, project, '--work-dir', work);
    editSpec(project, 'apps/worker.yaml', ['env', 'DATABASE_NAME'], 'shop_v2');
    const source = commitProject(project, 'worker: new database');

    const r = await publish(remote, project, '--work-dir', work);
    expect(r.code, r.stderr).toBe(0);
    const equal = await runCli(['diff', '--project', project, '--work-dir', work], { env: gitEnv(remote) });
    expect(equal.code, equal.stderr).toBe(0);
    const changed = git(remote, ['diff', '--name-only', 'main~1', 'main']).split('\n');
    // The ownership marker records each folder's digests, so it changes with them.
    expect(changed).toEqual([
      `${PATH}/.gitops-synth-owned`,
      `${PATH}/prod/worker/deployment-worker.yaml`,
      `${PATH}/stage/worker/deployment-worker.yaml`,
    ]);
    expect(git(remote, ['log', '-1', '--format=%s', 'main'])).toBe(`Render ${source.slice(0, 7)}: worker`);
    expect(git(remote, ['log', '-1', '--format=%b', 'main'])).toMatch(
      /prod\/worker\s+changed: ~deployment-worker\.yaml/,
    );
  });

  it('keeps write-backs of rendered folders and what it does not own, removes a removed service with its write-back', async () => {
    const remote = bareRepo();
    const project = exampleProject();
    await mustPublish(remote, project);
    writeBack(remote, `${PATH}/stage/flower/.argocd-source-flower-stage.yaml`, 'kustomize: {}\n');
    const writeBackCommit = writeBack(remote, WRITE_BACK, WRITE_BACK_CONTENT);
    writeBack(remote, 'README.md', 'The devops repository.\n');
    writeBack(remote, `${PATH}/bootstrap/bootstrap.sh`, '#!/bin/sh\n');

    git(project, ['rm', '-q', 'apps/flower.yaml']);
    commitProject(project, 'remove flower');
    const r = await publish(remote, project);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('stage/flower');
    expect(r.stdout).toContain('Removed with their service folders: stage/flower/.argocd-source-flower-stage.yaml');

    expect(isAncestor(remote, writeBackCommit, 'main')).toBe(true);
    const files = filesAt(remote, 'main', PATH);
    expect(Object.keys(files).filter((f) => f.includes('flower'))).toEqual([]);
    expect(files[WRITE_BACK.slice(PATH.length + 1)]).toBe(WRITE_BACK_CONTENT);
    // bootstrap/ is rendered like everything else below the folder: a hand edit there is replaced.
    expect(files['bootstrap/bootstrap.sh']).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(git(remote, ['ls-tree', 'main', `${PATH}/bootstrap/bootstrap.sh`])).toMatch(/^100755 /);
    expect(git(remote, ['show', 'main:README.md'])).toBe('The devops repository.');
    // prod: its environment folder loses flower's ExternalSecret; rabbitmq's policy no longer admits flower.
    expect(git(remote, ['log', '-1', '--format=%s', 'main'])).toMatch(/: bootstrap, prod, flower and rabbitmq$/);
  });

  it('refuses uncommitted, untracked and ignored spec changes, listing them; --allow-dirty publishes and says so', async () => {
    const remote = bareRepo();
    const project = exampleProject();
    editSpec(project, 'apps/worker.yaml', ['env', 'DATABASE_NAME'], 'shop_v2');
    writeFileSync(
      join(project, 'apps', 'cache.yaml'),
      'image: {repository: redis, tag: "7.4.1"}\nports: [{name: redis, port: 6379}]\n' +
        'securityContext: {runAsUser: 999}\n',
    );
    writeFileSync(join(project, '.gitignore'), 'apps/local.yaml\nnotes.txt\n');
    git(project, ['add', '.gitignore']);
    git(project, ['commit', '-q', '-m', 'ignore local files']);
    writeFileSync(join(project, 'apps', 'local.yaml'), 'image: {repository: ghcr.io/acme/local, tag: "1.0.0"}\n');
    writeFileSync(join(project, 'notes.txt'), 'not read by the render\n');

    for (const args of [[], ['--dry-run']]) {
      const r = await publish(remote, project, ...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('uncommitted changes in files that feed the render');
      expect(r.stderr).toMatch(/^ {2}modified {3}apps\/worker\.yaml$/m);
      expect(r.stderr).toMatch(/^ {2}untracked {2}apps\/cache\.yaml$/m);
      expect(r.stderr).toMatch(/^ {2}ignored {4}apps\/local\.yaml$/m);
      expect(r.stderr).not.toContain('notes.txt');
      expect(r.stderr).toContain('--allow-dirty');
      expect(r.stderr).not.toContain('internal error');
    }
    expect(refs(remote)).toBe('');

    rmLocal(project);
    const allowed = await publish(remote, project, '--allow-dirty');
    expect(allowed.code, allowed.stderr).toBe(0);
    const head = git(remote, ['rev-parse', 'main']);
    const source = git(project, ['rev-parse', 'HEAD']);
    expect(git(remote, ['log', '-1', '--format=%s', 'main'])).toMatch(
      new RegExp(`^Render ${source.slice(0, 7)}-dirty: `),
    );
    expect(trailers(remote, head)).toEqual({
      'Source-Repository': 'https://github.com/acme-shop/shop',
      'Source-Commit': `${source} (dirty)`,
      'Published-With': '--allow-dirty',
      'Source-Uncommitted': 'apps/worker.yaml (modified), apps/cache.yaml (untracked)',
    });
  });

  it('refuses a --work-dir holding files it did not make, or inside the project, changing nothing (exit 2)', async () => {
    const remote = bareRepo();
    const project = exampleProject();
    const unrelated = tempDir('gitops-synth-unrelated-');
    mkdirSync(join(unrelated, 'keep'));
    writeFileSync(join(unrelated, 'keep', 'notes.md'), 'mine\n');
    writeFileSync(join(unrelated, 'photo.jpg'), 'not a repository\n');
    const link = join(tempDir('gitops-synth-link-'), 'to-apps');
    symlinkSync(join(project, 'apps'), link);
    const projectBefore = snapshotTree(project);
    const unrelatedBefore = snapshotTree(unrelated);

    const cases: [string[], RegExp][] = [
      [['publish', '--work-dir', unrelated], /holds files gitops-synth did not make \(keep, photo\.jpg\)/],
      [['publish', '--work-dir', link], /\(.*\/apps\): this is the project's apps\//],
      [['diff', '--work-dir', unrelated], /holds files gitops-synth did not make/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli([...args, '--project', project], { env: gitEnv(remote) });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('nothing was changed');
      expect(r.stderr).not.toContain('internal error');
    }
    expect(snapshotTree(unrelated)).toEqual(unrelatedBefore);
    expect(snapshotTree(project)).toEqual(projectBefore);
    expect(refs(remote)).toBe('');
  });

  it('refuses a branch whose history no longer holds the last publish, pushing nothing, also beyond the shallow fetch', async () => {
    const remote = bareRepo();
    // A branch made by hand (no record yet) is published onto like any other.
    writeBack(remote, 'README.md', 'made by hand\n');
    const project = exampleProject();
    await mustPublish(remote, project);
    const published = git(remote, ['rev-parse', 'main']);
    expect(git(remote, ['rev-parse', RECORD])).toBe(published);

    // Image Updater's write-backs, more than one shallow fetch reaches, keep the record in the history.
    git(remote, ['update-ref', 'refs/heads/main', commitsOnTop(remote, published, 60)]);
    editSpec(project, 'apps/worker.yaml', ['env', 'DATABASE_NAME'], 'shop_v2');
    commitProject(project, 'worker: new database');
    await mustPublish(remote, project);
    const record = git(remote, ['rev-parse', RECORD]);
    expect(record).toBe(git(remote, ['rev-parse', 'main']));

    // Someone rewrites the branch (a force-push of another history, deep enough that a shallow fetch misses it).
    const root = git(remote, ['commit-tree', git(remote, ['rev-parse', 'main^{tree}']), '-m', 'rewritten']);
    git(remote, ['update-ref', 'refs/heads/main', commitsOnTop(remote, root, 60)]);
    editSpec(project, 'apps/worker.yaml', ['env', 'DATABASE_NAME'], 'shop_v3');
    commitProject(project, 'worker: another database');
    const before = refs(remote);
    const r = await publish(remote, project);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the history of branch main no longer holds ${record}`);
    expect(r.stderr).toContain(`git push ${DEVOPS_URL} :${RECORD}`);
    expect(r.stderr).not.toContain('internal error');
    expect(refs(remote)).toBe(before);

    // The branch deleted altogether: refused too. Deleting the record as told accepts the new history.
    git(remote, ['update-ref', '-d', 'refs/heads/main']);
    expect((await publish(remote, project)).stderr).toContain('branch main no longer exists');
    git(remote, ['update-ref', 'refs/heads/main', root]);
    git(remote, ['update-ref', '-d', RECORD]);
    await mustPublish(remote, project);
    expect(isAncestor(remote, root, 'main')).toBe(true);
  });

  it('retries a refused push from the new head, logging git reason each time, and gives up only after --retry-timeout', async () => {
    const remote = bareRepo();
    const project = exampleProject();
    await mustPublish(remote, project);
    // Refuses the first push only, as a branch that moved under it would.
    writeFileSync(
      join(remote, 'hooks', 'pre-receive'),
      `#!/bin/sh\nif [ ! -e "$GIT_DIR/refused-once" ]; then touch "$GIT_DIR/refused-once"; echo busy >&2; exit 1; fi\n`,
      { mode: 0o755 },
    );
    editSpec(project, 'apps/worker.yaml', ['env', 'DATABASE_NAME'], 'shop_v2');
    commitProject(project, 'worker: new database');
    const retried = await mustPublish(remote, project);
    expect(retried.stderr).toMatch(
      /push refused \(attempt 1\): refs\/heads\/main \[remote rejected\] \(pre-receive hook declined\); remote: busy; fetching the new head/,
    );
    expect(retried.stdout).toContain('(after 2 attempts)');
    expect(commits(remote)).toHaveLength(2);
    expect(refUpdates(remote)).toHaveLength(2);

    writeFileSync(join(remote, 'hooks', 'pre-receive'), '#!/bin/sh\necho "branch main is frozen" >&2\nexit 1\n', {
      mode: 0o755,
    });
    editSpec(project, 'apps/worker.yaml', ['env', 'DATABASE_NAME'], 'shop_v3');
    commitProject(project, 'worker: another database');
    const head = git(remote, ['rev-parse', 'main']);
    const frozen = await publish(remote, project, '--retry-timeout', '1', '--retry-delay', '100');
    expect(frozen.code).toBe(1);
    // How many attempts fit in the second depends on the machine's load; that it gave up on time does not.
    expect(frozen.stderr).toMatch(/refused \d+ times? in [\d.]+ s; giving up \(--retry-timeout 1 s\)/);
    expect(frozen.stderr).toContain(
      'Last answer from git: refs/heads/main [remote rejected] (pre-receive hook declined); ' +
        'remote: branch main is frozen',
    );
    expect(frozen.stderr).not.toContain('internal error');
    expect(git(remote, ['rev-parse', 'main'])).toBe(head);
    expect(refUpdates(remote)).toHaveLength(2);
  });

  it('rejects a nonsensical --retry-timeout, and a URL with credentials, before touching anything', async () => {
    const remote = bareRepo();
    const project = exampleProject();
    const r = await publish(remote, project, '--retry-timeout', '-1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--retry-timeout: expected seconds from 0 to 3600');

    editSpec(
      project,
      'environments/_settings.yaml',
      ['repository', 'url'],
      'https://bot:s3cret-t0ken@example.com/acme/devops.git',
    );
    commitProject(project, 'a token in the URL');
    const secret = await publish(remote, project);
    expect(secret.code).toBe(1);
    expect(secret.stderr).toMatch(/environments\/_settings\.yaml:\d+:\d+: repository\.url: /);
    expect(secret.stdout + secret.stderr).not.toContain('s3cret-t0ken');
    expect(commits(remote)).toEqual([]);
  });

  it('commits as gitops-synth when neither the environment nor git configuration names anyone', async () => {
    const remote = bareRepo();
    const project = exampleProject();
    const anonymous = Object.fromEntries(
      Object.entries(gitEnv(remote)).filter(([k]) => !/^GIT_(AUTHOR|COMMITTER)_/.test(k)),
    );
    const r = await runCli(['publish', '--project', project], { env: anonymous });
    expect(r.code, r.stderr).toBe(0);
    expect(git(remote, ['log', '-1', '--format=%an <%ae>', 'main'])).toBe(
      'gitops-synth <gitops-synth@users.noreply.github.com>',
    );
  });
});

/** Drops the ignored spec file again, so the --allow-dirty publish renders valid specs only. */
function rmLocal(project: string): void {
  git(project, ['clean', '-q', '-fX', '--', 'apps']);
}
