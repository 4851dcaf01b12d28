import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, snapshotTree, tempDir } from './helpers.js';
import {
  bareRepo,
  commitProject,
  commits,
  editSpec,
  exampleProject,
  filesAt,
  git,
  gitEnv,
  isAncestor,
  refUpdates,
  trailers,
  writeBack,
} from './publish-fixtures.js';

const PATH = 'clusters/shop';
const WRITE_BACK = `${PATH}/stage/api/.argocd-source-api-stage.yaml`;
const WRITE_BACK_CONTENT = 'kustomize:\n  images:\n  - ghcr.io/acme-shop/api:abcdef1\n';

function publish(project: string, ...args: string[]) {
  return runCli(['publish', '--project', project, '--retry-delay', '20', ...args], { env: gitEnv() });
}

function mustPublish(project: string, ...args: string[]) {
  const r = publish(project, ...args);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** What `synth` writes for the project, as the devops repository should hold it. */
function synthesized(project: string): Record<string, string> {
  const out = join(tempDir('gitops-synth-expected-'), 'dist');
  const r = runCli(['synth', '--project', project, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  return snapshotTree(out);
}

describe('publish', () => {
  it('publishes into an empty devops repository exactly what synth renders, with the source commit in message and trailers', () => {
    const remote = bareRepo();
    const project = exampleProject(remote);
    const source = git(project, ['rev-parse', 'HEAD']);

    const r = publish(project);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`published ${source.slice(0, 7)} to ${remote} main:${PATH}`);

    const [head, ...older] = commits(remote);
    expect(older).toEqual([]);
    expect(filesAt(remote, 'main', PATH)).toEqual(synthesized(project));
    expect(trailers(remote, head!)).toEqual({
      'Source-Repository': 'https://github.com/acme-shop/shop',
      'Source-Commit': source,
    });
    const subject = git(remote, ['log', '-1', '--format=%s', 'main']);
    expect(subject).toMatch(new RegExp(`^Render ${source.slice(0, 7)}: `));
  });

  it('makes no commit when the devops repository already holds the render, and says so', () => {
    const remote = bareRepo();
    const project = exampleProject(remote);
    mustPublish(project);
    const before = commits(remote);

    const again = publish(project);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to commit');
    expect(commits(remote)).toEqual(before);
  });

  it('changes only the folders of the service whose spec changed, and names it in the message', () => {
    const remote = bareRepo();
    const project = exampleProject(remote);
    mustPublish(project);
    editSpec(project, 'apps/worker.yaml', ['env', 'DATABASE_NAME'], 'shop_v2');
    const source = commitProject(project, 'worker: new database');

    const r = publish(project);
    expect(r.code, r.stderr).toBe(0);
    const changed = git(remote, ['diff', '--name-only', 'main~1', 'main']).split('\n');
    expect(changed).toEqual([
      `${PATH}/prod/worker/deployment-worker.yaml`,
      `${PATH}/stage/worker/deployment-worker.yaml`,
    ]);
    expect(git(remote, ['log', '-1', '--format=%s', 'main'])).toBe(`Render ${source.slice(0, 7)}: worker`);
    expect(git(remote, ['log', '-1', '--format=%b', 'main'])).toMatch(
      /prod\/worker\s+changed: ~deployment-worker\.yaml/,
    );
  });

  it('keeps an Image Updater write-back committed between two publishes, and does not count it as a change', () => {
    const remote = bareRepo();
    const project = exampleProject(remote);
    mustPublish(project);
    const writeBackCommit = writeBack(remote, WRITE_BACK, WRITE_BACK_CONTENT);

    // Nothing else changed: the write-back alone is no reason to commit.
    const unchanged = publish(project);
    expect(unchanged.code, unchanged.stderr).toBe(0);
    expect(unchanged.stdout).toContain('nothing to commit');

    editSpec(project, 'apps/api.yaml', ['env', 'DATABASE_NAME'], 'shop_v2');
    commitProject(project, 'api: new database');
    const r = publish(project);
    expect(r.code, r.stderr).toBe(0);
    expect(isAncestor(remote, writeBackCommit, 'main')).toBe(true);
    expect(filesAt(remote, 'main', PATH)[WRITE_BACK.slice(PATH.length + 1)]).toBe(WRITE_BACK_CONTENT);
  });

  it('removes the folders of a removed service, with its write-back file, and keeps everything it does not own', () => {
    const remote = bareRepo();
    const project = exampleProject(remote);
    mustPublish(project);
    writeBack(remote, `${PATH}/stage/flower/.argocd-source-flower-stage.yaml`, 'kustomize: {}\n');
    writeBack(remote, WRITE_BACK, WRITE_BACK_CONTENT);
    writeBack(remote, 'README.md', 'The devops repository.\n');
    writeBack(remote, `${PATH}/bootstrap/bootstrap.sh`, '#!/bin/sh\n');

    git(project, ['rm', '-q', 'apps/flower.yaml']);
    commitProject(project, 'remove flower');
    const r = publish(project);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('stage/flower');
    expect(r.stdout).toContain('Removed with their service folders: stage/flower/.argocd-source-flower-stage.yaml');

    const files = filesAt(remote, 'main', PATH);
    expect(Object.keys(files).filter((f) => f.includes('flower'))).toEqual([]);
    expect(files[WRITE_BACK.slice(PATH.length + 1)]).toBe(WRITE_BACK_CONTENT);
    // bootstrap/ is rendered like everything else below the folder: a hand edit there is replaced.
    expect(files['bootstrap/bootstrap.sh']).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(git(remote, ['ls-tree', 'main', `${PATH}/bootstrap/bootstrap.sh`])).toMatch(/^100755 /);
    expect(git(remote, ['show', 'main:README.md'])).toBe('The devops repository.');
    expect(git(remote, ['log', '-1', '--format=%s', 'main'])).toMatch(/: bootstrap and flower$/);
  });

  it('--dry-run shows the changes and the commit message and leaves the remote as it was', () => {
    const remote = bareRepo();
    const project = exampleProject(remote);
    mustPublish(project);
    editSpec(project, 'apps/worker.yaml', ['env', 'DATABASE_NAME'], 'shop_v2');
    const head = git(remote, ['rev-parse', 'main']);

    const r = publish(project, '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stage\/worker\s+changed \(1 file\)/);
    expect(r.stdout).toContain('Render ');
    expect(r.stdout).toContain('-dirty: worker');
    expect(r.stdout).toContain('Nothing was committed or pushed.');
    expect(git(remote, ['rev-parse', 'main'])).toBe(head);
    expect(refUpdates(remote)).toHaveLength(1);
  });

  it('gives up after the bounded retries when the remote keeps refusing, with a clear error and the remote unchanged', () => {
    const remote = bareRepo();
    const project = exampleProject(remote);
    mustPublish(project);
    const head = git(remote, ['rev-parse', 'main']);
    writeFileSync(join(remote, 'hooks', 'pre-receive'), '#!/bin/sh\necho "branch main is frozen" >&2\nexit 1\n', {
      mode: 0o755,
    });
    editSpec(project, 'apps/worker.yaml', ['env', 'DATABASE_NAME'], 'shop_v2');

    const r = publish(project, '--attempts', '3');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refused 3 times; giving up');
    expect(r.stderr).toContain('pre-receive hook declined');
    expect(r.stderr).toContain('branch main is frozen');
    expect(r.stderr.match(/push refused \(attempt \d of 3\)/g)).toHaveLength(2);
    expect(r.stderr).not.toContain('internal error');
    expect(git(remote, ['rev-parse', 'main'])).toBe(head);
    expect(refUpdates(remote)).toHaveLength(1);
  });

  it('retries a refused push from the new head and succeeds', () => {
    const remote = bareRepo();
    const project = exampleProject(remote);
    mustPublish(project);
    // Refuses the first push only, as a branch that moved under it would.
    writeFileSync(
      join(remote, 'hooks', 'pre-receive'),
      `#!/bin/sh\nif [ ! -e "$GIT_DIR/refused-once" ]; then touch "$GIT_DIR/refused-once"; echo busy >&2; exit 1; fi\n`,
      { mode: 0o755 },
    );
    editSpec(project, 'apps/worker.yaml', ['env', 'DATABASE_NAME'], 'shop_v2');

    const r = mustPublish(project);
    expect(r.stderr.match(/push refused \(attempt 1 of 5\)/g)).toHaveLength(1);
    expect(r.stdout).toContain('(after 2 attempts)');
    expect(commits(remote)).toHaveLength(2);
    expect(refUpdates(remote)).toHaveLength(2);
  });

  it('rejects a nonsensical --attempts before touching anything', () => {
    const remote = bareRepo();
    const project = exampleProject(remote);
    const r = publish(project, '--attempts', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--attempts: expected a whole number from 1 to 20');
    expect(commits(remote)).toEqual([]);
  });

  it('commits as gitops-synth when neither the environment nor git configuration names anyone', () => {
    const remote = bareRepo();
    const project = exampleProject(remote);
    const anonymous = Object.fromEntries(Object.entries(gitEnv()).filter(([k]) => !/^GIT_(AUTHOR|COMMITTER)_/.test(k)));
    const r = runCli(['publish', '--project', project], { env: anonymous });
    expect(r.code, r.stderr).toBe(0);
    expect(git(remote, ['log', '-1', '--format=%an <%ae>', 'main'])).toBe(
      'gitops-synth <gitops-synth@users.noreply.github.com>',
    );
  });

  it('refuses a repository URL with credentials in the settings, naming the field, without printing them', () => {
    const remote = bareRepo();
    const project = exampleProject(remote);
    editSpec(
      project,
      'environments/_settings.yaml',
      ['repository', 'url'],
      'https://bot:s3cret-t0ken@example.com/acme/devops.git',
    );
    const r = publish(project);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/environments\/_settings\.yaml:\d+:\d+: repository\.url: /);
    expect(r.stdout + r.stderr).not.toContain('s3cret-t0ken');
    expect(commits(remote)).toEqual([]);
  });
});
