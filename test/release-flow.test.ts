import { describe, expect, it } from 'vitest';
import { releaseRecordPath } from '../src/publish/release-record.js';
import { runCli } from './helpers.js';
import { bareRepo, commitProject, editSpec, exampleProject, git, gitEnv, writeBack } from './publish-fixtures.js';

/**
 * The release flow as a reviewer and an operator see it, through the real
 * CLI and real git: what `diff` says a change does to the running images,
 * what a publish commit records, and what `app list` can tell about the
 * image prod runs from the devops repository alone.
 */

const PATH = 'clusters/shop';
const API = 'ghcr.io/acme-shop/api';
const DIGEST = `sha256:${'c'.repeat(64)}`;
const writes = (image: string) => `kustomize:\n  images:\n  - ${image}\n`;

/** The record build-image.yml's release job writes (see workflows.test.ts, which runs that job). */
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

function cli(project: string, ...args: string[]) {
  const r = runCli([...args, '--project', project], { env: gitEnv() });
  expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

describe('the release flow', () => {
  it('diff names the image changes, a publish commit records what each changed service deploys, app list tells whether prod runs a build stage ran', () => {
    const remote = bareRepo();
    const project = exampleProject(remote, PATH);
    cli(project, 'publish');

    // Stage ran build 7a8b9c0; its release 1.4.7 was tagged onto it and recorded; prod moved to 1.4.7.
    // Release 1.4.2 (what the worker runs in prod) is recorded too, from a build no environment ran.
    writeBack(remote, `${PATH}/stage/api/.argocd-source-api-stage.yaml`, writes(`${API}:7a8b9c0`));
    writeBack(remote, releaseRecordPath(API, '1.4.7'), record('1.4.7', '7a8b9c0'));
    writeBack(remote, releaseRecordPath(API, '1.4.2'), record('1.4.2', '1111111'));
    writeBack(remote, `${PATH}/prod/api/.argocd-source-api-prod.yaml`, writes(`${API}:1.4.7`));

    const listing = JSON.parse(cli(project, 'app', 'list', '--json').stdout);
    const env = (service: string, e: string) =>
      listing.services.find((s: { name: string }) => s.name === service).environments[e].image;
    expect(env('api', 'prod')).toMatchObject({ tag: '1.4.7', tagFrom: 'image-updater', pin: null });
    expect(env('api', 'prod').release).toEqual({
      build: '7a8b9c0',
      commit: '7a8b9c00000',
      digest: DIGEST,
      recordedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      testedIn: [{ environment: 'stage', since: expect.stringMatching(/Z$/) }],
      runsTestedDigest: true,
    });
    expect(env('worker', 'prod').release).toMatchObject({ build: '1111111', testedIn: [], runsTestedDigest: false });
    // No record: unknown, never guessed. A build tag is no release.
    expect(env('frontend', 'prod').release).toMatchObject({ build: null, runsTestedDigest: null });
    expect(env('api', 'stage').release).toBeNull();

    // A rollback and a tag bump, as a reviewer sees them before the object diff.
    cli(project, 'app', 'pin', 'api', '--env', 'prod', '--tag', '1.4.1', '--reason', 'rollback');
    editSpec(project, 'apps/frontend.yaml', ['image', 'tag'], '0c0ffee');
    commitProject(project, 'roll api back, bump frontend');
    const diff = runCli(['diff', '--project', project], { env: gitEnv() });
    expect(diff.code, diff.stderr).toBe(1);
    const [before] = diff.stdout.split('\nprod/');
    expect(before).toContain('Images:\n  api: 1.4.7 → 1.4.1 (prod, pinned)\n  frontend: 9b1e4d7 → 0c0ffee (stage)\n');
    // A tag bump changes the workload (and what else runs the image), its kustomization and app.json only.
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
    const markdown = runCli(['diff', '--project', project, '--format', 'markdown'], { env: gitEnv() });
    expect(markdown.stdout).toContain(
      '**Images:**\n\n- `api: 1.4.7 → 1.4.1 (prod, pinned)`\n- `frontend: 9b1e4d7 → 0c0ffee (stage)`\n',
    );

    cli(project, 'publish');
    const body = git(remote, ['log', '-1', '--format=%B', 'main']);
    expect(body).toContain(
      [
        'Deploys:',
        `  prod/api        ${API}:1.4.1 (pinned)`,
        '  stage/frontend  ghcr.io/acme-shop/frontend:0c0ffee',
      ].join('\n'),
    );
  });
});
