import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { effectiveImage } from './argocd-source.js';
import { type CliResult, runCli, tempDir } from './helpers.js';
import { releaseRecordPath } from '../src/publish/release-record.js';
import { bareRepo, commitProject, editSpec, exampleProject, git, gitEnv, writeBack } from './publish-fixtures.js';

/**
 * A rollback by pinning, through the real CLI and real git: what Argo CD
 * deploys is read from a clone of the devops repository, built with the real
 * kubectl kustomize after Argo CD's override files are applied
 * (argocd-source.ts), exactly as the repo-server does. On the way: what
 * `diff` shows a reviewer, what the publish commit records, and what
 * `app list` can prove about the image prod runs.
 */

const PATH = 'clusters/shop';
const API = 'ghcr.io/acme-shop/api';
const PROD_WRITE_BACK = `${PATH}/prod/api/.argocd-source-api-prod.yaml`;
const imageUpdaterWrites = (tag: string) => `kustomize:\n  images:\n  - ${API}:${tag}\n`;
const DIGEST = `sha256:${'c'.repeat(64)}`;

/** The record build-image.yml's release job writes (workflows.test.ts runs that job and parses its record). */
function record(release: string, build: string): string {
  return [
    `# Written by build-image.yml: release ${release} is the image built for commit ${build}0000, not a rebuild.`,
    `image: "${API}"`,
    `release: "${release}"`,
    `build: "${build}"`,
    `commit: "${build}0000"`,
    `digest: "${DIGEST}"`,
    '',
  ].join('\n');
}

type Cli = (project: string, ...args: string[]) => Promise<CliResult>;

/** `app list --json`: the image of a service in an environment. */
async function listed(cli: Cli, project: string): Promise<(service: string, env: string) => Record<string, any>> {
  const listing = JSON.parse((await cli(project, 'app', 'list', '--json')).stdout);
  return (service, env) => listing.services.find((s: { name: string }) => s.name === service).environments[env].image;
}

/** The CLI, succeeding, with the settings' devops URL sent to `remote` and a cache of its own for app list. */
function cliFor(remote: string): Cli {
  const env = { ...gitEnv(remote), XDG_CACHE_HOME: tempDir('gitops-synth-cache-') };
  return async (project, ...args) => {
    const r = await runCli([...args, '--project', project], { env });
    expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
    return r;
  };
}

/** A fresh clone of the devops repository's main branch. */
function checkout(remote: string): string {
  const dir = join(tempDir('gitops-synth-argocd-'), 'devops');
  git(join(dir, '..'), ['clone', '-q', '-b', 'main', remote, dir]);
  return dir;
}

/**
 * What the devops repository holds now for api in prod: the image
 * Argo CD deploys, and the Applications the prod ImageUpdater moves.
 */
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
  it('rolls prod back and holds it against Image Updater, reviewable and recorded; unpinned, the next write-back takes effect again', async () => {
    const remote = bareRepo();
    const project = exampleProject(PATH);
    const cli = cliFor(remote);
    await cli(project, 'publish');

    // Stage ran build 7a8b9c0; release 1.4.7 was tagged onto it (build-image.yml records that), and
    // Image Updater moved prod to it; Argo CD applies its file over the kustomization. Release 1.4.2,
    // which the worker runs in prod, is recorded as a build no environment ran.
    writeBack(remote, `${PATH}/stage/api/.argocd-source-api-stage.yaml`, imageUpdaterWrites('7a8b9c0'));
    writeBack(remote, releaseRecordPath(API, '1.4.7'), record('1.4.7', '7a8b9c0'));
    writeBack(remote, releaseRecordPath(API, '1.4.2'), record('1.4.2', '1111111'));
    writeBack(remote, PROD_WRITE_BACK, imageUpdaterWrites('1.4.7'));
    expect(prod(remote)).toEqual({
      image: `${API}:1.4.7`,
      updated: ['api-prod', 'frontend-prod', 'worker-prod'],
      writeBack: true,
    });
    // What app list can prove from the devops repository alone: prod runs the digest stage ran.
    const running = await listed(cli, project);
    expect(running('api', 'prod')).toMatchObject({ tag: '1.4.7', tagFrom: 'image-updater', pin: null });
    expect(running('api', 'prod').release).toEqual({
      build: '7a8b9c0',
      commit: '7a8b9c00000',
      digest: DIGEST,
      recordedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      testedIn: [{ environment: 'stage', since: expect.stringMatching(/Z$/) }],
      runsTestedDigest: true,
    });
    expect(running('worker', 'prod').release).toMatchObject({
      build: '1111111',
      testedIn: [],
      runsTestedDigest: false,
    });
    // No record: unknown, never guessed. A build tag is no release.
    expect(running('frontend', 'prod').release).toMatchObject({ build: null, runsTestedDigest: null });
    expect(running('api', 'stage').release).toBeNull();

    // 1.4.7 is bad: pin 1.4.1, with the reason (and, in the same change, a frontend build for stage).
    const pin = await cli(
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
    editSpec(project, 'apps/frontend.yaml', ['image', 'tag'], '0c0ffee');
    commitProject(project, 'api back to 1.4.1 in prod; a frontend build for stage');

    // The review: the images that change come first.
    const diff = await runCli(['diff', '--project', project], { env: gitEnv(remote) });
    expect(diff.code, diff.stderr).toBe(1);
    expect(diff.stdout.split('\nprod/')[0]).toContain(
      'Images:\n  api: 1.4.7 → 1.4.1 (prod, pinned)\n  frontend: 9b1e4d7 → 0c0ffee (stage)\n',
    );
    // A tag bump changes the workload, its kustomization and app.json, nothing else.
    const frontend = diff.stdout.split('stage/frontend (environment stage, service frontend): changed\n')[1]!;
    expect(
      frontend
        .split('\n\n')[0]!
        .split('\n')
        .filter((l) => /^ {2}\S/.test(l)),
    ).toEqual([
      '  ~ app.json  app.json',
      '  ~ Deployment shop-stage/frontend  deployment-frontend.yaml',
      '  ~ Kustomization (kustomization.yaml)  kustomization.yaml',
    ]);

    const published = await cli(project, 'publish');
    expect(published.stdout).toContain(
      "Removed because the tag is pinned there (Image Updater's write-back would override the pin; " +
        'git history keeps it): prod/api/.argocd-source-api-prod.yaml',
    );
    expect(git(remote, ['log', '-1', '--format=%B', 'main'])).toContain(
      [
        'Deploys:',
        `  prod/api        ${API}:1.4.1 (pinned)`,
        '  stage/frontend  ghcr.io/acme-shop/frontend:0c0ffee',
      ].join('\n'),
    );
    // Argo CD deploys 1.4.1, and Image Updater no longer moves it: the hold keeps the policy from undoing the rollback.
    expect(prod(remote)).toEqual({
      image: `${API}:1.4.1`,
      updated: ['frontend-prod', 'worker-prod'],
      writeBack: false,
    });
    expect(git(remote, ['log', '--format=%s', '-1', 'main', '--', PROD_WRITE_BACK])).toMatch(/^Render /);

    const pinned = await listed(cli, project);
    expect(pinned('api', 'prod')).toMatchObject({
      tag: '1.4.1',
      tagFrom: 'spec',
      autoUpdate: false,
      pin: { tag: '1.4.1', reason: '1.4.7 corrupts uploads' },
      policy: null,
    });
    expect(pinned('api', 'stage')).toMatchObject({ pin: null, policy: { strategy: 'newest-build', own: false } });

    // Unpinned: auto-update starts from the spec's tag, and the updater's next write takes effect.
    const unpin = await cli(project, 'app', 'unpin', 'api', '--env', 'prod');
    expect(unpin.stdout).toContain('the image policy moves it from 1.4.1');
    expect(readFileSync(join(project, 'apps', 'api.yaml'), 'utf8')).toContain('    image: {tag: 1.4.1}\n');
    commitProject(project, 'unpin api in prod');
    await cli(project, 'publish');
    writeBack(remote, PROD_WRITE_BACK, imageUpdaterWrites('1.4.8'));
    expect(prod(remote)).toEqual({
      image: `${API}:1.4.8`,
      updated: ['api-prod', 'frontend-prod', 'worker-prod'],
      writeBack: true,
    });
  });

  it('refuses a bad --tag (usage, 2), an unknown environment or latest in prod (1), changing nothing', async () => {
    const project = exampleProject(PATH);
    const before = readFileSync(join(project, 'apps', 'api.yaml'), 'utf8');
    const bad = await runCli(['app', 'pin', 'api', '--env', 'prod', '--tag', '1.4.1:oops', '--project', project]);
    // A malformed value is a usage error (2); what the project refuses is 1.
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--tag "1.4.1:oops": expected an image tag');
    const env = await runCli(['app', 'pin', 'api', '--env', 'production', '--tag', '1.4.1', '--project', project]);
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('unknown environment "production"; expected one of: prod, stage');
    // A tag the semver policy rejects is fine to pin to (nothing moves it), but not "latest" in prod.
    const latest = await runCli(['app', 'pin', 'api', '--env', 'prod', '--tag', 'latest', '--project', project]);
    expect(latest.code).toBe(1);
    expect(latest.stderr).toMatch(/apps\/api\.yaml:\d+:\d+: environments\.prod\.image\.tag: "latest" is not allowed/);
    expect(readFileSync(join(project, 'apps', 'api.yaml'), 'utf8')).toBe(before);
    expect(existsSync(join(project, 'dist'))).toBe(false);
  });
});
