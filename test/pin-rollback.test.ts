import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { effectiveImage } from './argocd-source.js';
import { runCli, tempDir } from './helpers.js';
import { bareRepo, commitProject, exampleProject, git, gitEnv, writeBack } from './publish-fixtures.js';

/**
 * A rollback by pinning, through the real CLI and real git: what Argo CD
 * deploys is read from a clone of the devops repository, built with the real
 * kubectl kustomize after Argo CD's override files are applied
 * (argocd-source.ts), exactly as the repo-server does.
 */

const PATH = 'clusters/shop';
const API = 'ghcr.io/acme-shop/api';
const PROD_WRITE_BACK = `${PATH}/prod/api/.argocd-source-api-prod.yaml`;
const imageUpdaterWrites = (tag: string) => `kustomize:\n  images:\n  - ${API}:${tag}\n`;

function cli(project: string, ...args: string[]) {
  const r = runCli([...args, '--project', project], { env: gitEnv() });
  expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

/** A fresh clone of the devops repository's main branch. */
function checkout(remote: string): string {
  const dir = join(tempDir('gitops-synth-argocd-'), 'devops');
  git(join(dir, '..'), ['clone', '-q', '-b', 'main', remote, dir]);
  return dir;
}

/** What the devops repository holds now for api in prod: the image Argo CD deploys, and the Applications the prod ImageUpdater moves. */
function prod(remote: string): { image: string; updated: string[]; writeBack: boolean } {
  const dir = checkout(remote);
  const updater = parse(readFileSync(join(dir, PATH, 'argocd', 'imageupdater-prod.yaml'), 'utf8'));
  return {
    image: effectiveImage(join(dir, PATH, 'prod', 'api'), 'api-prod', 'api'),
    updated: updater.spec.applicationRefs.map((r: { namePattern: string }) => r.namePattern),
    writeBack: existsSync(join(dir, PROD_WRITE_BACK)),
  };
}

describe('a rollback by pinning', () => {
  it('rolls prod back and holds it against Image Updater; unpinned, the next write-back takes effect again', () => {
    const remote = bareRepo();
    const project = exampleProject(remote, PATH);
    cli(project, 'publish');

    // Image Updater moves prod to the newest release; Argo CD applies its file over the kustomization.
    writeBack(remote, PROD_WRITE_BACK, imageUpdaterWrites('1.4.7'));
    expect(prod(remote)).toEqual({
      image: `${API}:1.4.7`,
      updated: ['api-prod', 'frontend-prod', 'worker-prod'],
      writeBack: true,
    });

    // 1.4.7 is bad: pin 1.4.1, with the reason, and publish.
    const pin = cli(
      project,
      'app',
      'pin',
      'api',
      '--env',
      'prod',
      '--tag',
      '1.4.1',
      '--reason',
      '1.4.7 corrupts uploads',
    );
    expect(pin.stdout).toContain('pinned api in prod to 1.4.1 (was 1.4.2, moved by the image policy)');
    const spec = readFileSync(join(project, 'apps', 'api.yaml'), 'utf8');
    expect(spec).toContain('    image: {tag: 1.4.1, autoUpdate: false}  # pinned: 1.4.7 corrupts uploads\n');
    // Every other line of the spec, comments included, is as it was.
    expect(spec.split('\n').filter((l) => !l.includes('autoUpdate: false'))).toEqual(
      git(project, ['show', 'HEAD:apps/api.yaml'])
        .split('\n')
        .filter((l) => !l.includes('image: {tag: 1.4.2}'))
        .concat(''),
    );
    commitProject(project, 'pin api in prod');
    const published = cli(project, 'publish');
    expect(published.stdout).toContain(
      "Removed because the tag is pinned there (Image Updater's write-back would override the pin; git history keeps it): prod/api/.argocd-source-api-prod.yaml",
    );

    // Argo CD deploys 1.4.1, and Image Updater no longer moves it: the hold keeps the policy from undoing the rollback.
    expect(prod(remote)).toEqual({
      image: `${API}:1.4.1`,
      updated: ['frontend-prod', 'worker-prod'],
      writeBack: false,
    });
    expect(git(remote, ['log', '--format=%s', '-1', 'main', '--', PROD_WRITE_BACK])).toMatch(/^Render /);

    const listed = JSON.parse(cli(project, 'app', 'list', '--json').stdout);
    const api = listed.services.find((s: { name: string }) => s.name === 'api');
    expect(api.environments.prod.image).toMatchObject({
      tag: '1.4.1',
      tagFrom: 'spec',
      autoUpdate: false,
      pin: { tag: '1.4.1', reason: '1.4.7 corrupts uploads' },
      policy: null,
    });
    expect(api.environments.stage.image).toMatchObject({ pin: null, policy: { strategy: 'newest-build', own: false } });

    // Unpinned: auto-update starts from the spec's tag, and the updater's next write takes effect.
    const unpin = cli(project, 'app', 'unpin', 'api', '--env', 'prod');
    expect(unpin.stdout).toContain('the image policy moves it from 1.4.1');
    expect(readFileSync(join(project, 'apps', 'api.yaml'), 'utf8')).toContain('    image: {tag: 1.4.1}\n');
    commitProject(project, 'unpin api in prod');
    cli(project, 'publish');
    writeBack(remote, PROD_WRITE_BACK, imageUpdaterWrites('1.4.8'));
    expect(prod(remote)).toEqual({
      image: `${API}:1.4.8`,
      updated: ['api-prod', 'frontend-prod', 'worker-prod'],
      writeBack: true,
    });
  });

  it('refuses a bad --tag, an unknown environment or latest in prod, changing nothing', () => {
    const remote = bareRepo();
    const project = exampleProject(remote, PATH);
    const before = readFileSync(join(project, 'apps', 'api.yaml'), 'utf8');
    const bad = runCli(['app', 'pin', 'api', '--env', 'prod', '--tag', '1.4.1:oops', '--project', project]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--tag "1.4.1:oops": expected an image tag');
    const env = runCli(['app', 'pin', 'api', '--env', 'production', '--tag', '1.4.1', '--project', project]);
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('unknown environment "production"; expected one of: prod, stage');
    // A tag the semver policy rejects is fine to pin to (nothing moves it), but not "latest" in prod.
    const latest = runCli(['app', 'pin', 'api', '--env', 'prod', '--tag', 'latest', '--project', project]);
    expect(latest.code).toBe(1);
    expect(latest.stderr).toMatch(/apps\/api\.yaml:\d+:\d+: environments\.prod\.image\.tag: "latest" is not allowed/);
    expect(readFileSync(join(project, 'apps', 'api.yaml'), 'utf8')).toBe(before);
    expect(existsSync(join(project, 'dist'))).toBe(false);
  });
});
