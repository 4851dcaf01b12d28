import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';
import { bareRepo, editSpec, exampleProject, git, gitEnv, refUpdates, writeBack } from './publish-fixtures.js';

async function diff(remote: string, project: string, ...args: string[]) {
  return await runCli(['diff', '--project', project, ...args], { env: gitEnv(remote) });
}

async function published(): Promise<{ remote: string; project: string }> {
  const remote = bareRepo();
  const project = exampleProject();
  const r = await runCli(['publish', '--project', project], { env: gitEnv(remote) });
  expect(r.code, r.stderr).toBe(0);
  return { remote, project };
}

/** One service changed (an env var everywhere, replicas in prod), another removed. */
function changeSpecs(project: string): void {
  editSpec(project, 'apps/worker.yaml', ['env', 'DATABASE_NAME'], 'shop_v2');
  editSpec(project, 'apps/worker.yaml', ['environments', 'prod', 'replicas'], 3);
  git(project, ['rm', '-q', 'apps/flower.yaml']);
}

const ANSI = /\x1b\[[0-9;]*m/;

describe('diff', () => {
  it('exits 0 and says so when the devops repository holds the render, write-back files included', async () => {
    const { remote, project } = await published();
    writeBack(
      remote,
      'clusters/shop/stage/api/.argocd-source-api-stage.yaml',
      'kustomize:\n  images:\n  - ghcr.io/acme-shop/api:abcdef1\n',
    );
    const r = await diff(remote, project);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('No differences');
  });

  it('exits 1 and lists, per environment and service, the objects added, removed and changed, with a plain unified diff', async () => {
    const { remote, project } = await published();
    const updates = refUpdates(remote).length;
    changeSpecs(project);

    const r = await diff(remote, project);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).not.toMatch(ANSI);
    expect(r.stdout).toContain('stage/worker (environment stage, service worker): changed');
    expect(r.stdout).toContain('prod/flower (environment prod, service flower): removed');
    expect(r.stdout).toMatch(/^ {2}- Deployment shop-prod\/flower {2}deployment-flower\.yaml$/m);
    expect(r.stdout).toMatch(/^ {2}~ Deployment shop-stage\/worker {2}deployment-worker\.yaml$/m);
    expect(r.stdout).toMatch(/^ {6}- +value: shop$/m);
    expect(r.stdout).toMatch(/^ {6}\+ +value: shop_v2$/m);
    expect(r.stdout).toMatch(/^ {6}- {2}replicas: 2$/m);
    expect(r.stdout).toMatch(/^ {6}\+ {2}replicas: 3$/m);
    // The bootstrap script no longer creates flower's secret.
    expect(r.stdout).toContain('bootstrap (bootstrap): changed');
    // NetworkPolicies: rabbitmq no longer admits flower; prod's ExternalSecret of flower's Secret goes too.
    expect(r.stdout).toContain('stage/rabbitmq (environment stage, service rabbitmq): changed');
    expect(r.stdout).toMatch(
      /^ {2}- ExternalSecret shop-prod\/flower-auth {2}_environment\/externalsecret-flower-auth\.yaml$/m,
    );
    expect(r.stdout).toMatch(/8 folders differ: 0 objects added, 15 removed, 6 changed/);
    // A diff changes nothing.
    expect(refUpdates(remote)).toHaveLength(updates);
  });

  it('colours the text with --color and never without it', async () => {
    const { remote, project } = await published();
    changeSpecs(project);
    expect((await diff(remote, project, '--color')).stdout).toMatch(ANSI);
    expect((await diff(remote, project, '--no-color')).stdout).not.toMatch(ANSI);
  });

  it('writes Markdown for a job summary with --format markdown', async () => {
    const { remote, project } = await published();
    changeSpecs(project);
    const r = await diff(remote, project, '--format', 'markdown');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^### Rendered manifests: 8 folders differ/);
    expect(r.stdout).toContain('| Environment | Service | Added | Removed | Changed |');
    expect(r.stdout).toContain('| stage | worker |  |  | `Deployment shop-stage/worker` |');
    expect(r.stdout).toMatch(/^\| prod \| flower \(removed\) \| {2}\| .*`Deployment shop-prod\/flower`.* \| {2}\|$/m);
    expect(r.stdout).toContain(
      '<details><summary>stage/worker: Deployment shop-stage/worker ' +
        '(<code>stage/worker/deployment-worker.yaml</code>)</summary>',
    );
    expect(r.stdout).toMatch(/```diff\n--- a\/clusters\/shop\/stage\/worker\/deployment-worker\.yaml\n\+\+\+ b\//);
    expect(r.stdout).not.toMatch(ANSI);

    // The same report for a script: --json, exit 1 all the same.
    const json = await diff(remote, project, '--json');
    expect(json.code, json.stderr).toBe(1);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({
      version: 1,
      command: 'diff',
      head: expect.stringMatching(/^[0-9a-f]{40}$/),
      equal: false,
      summary: { folders: 8, objects: { added: 0, removed: 15, changed: 6 } },
      // No image changes here: an env var and replicas (pin-rollback.test.ts has tag bumps).
      tags: [],
    });
    const worker = doc.units.find((u: { unit: string }) => u.unit === 'stage/worker');
    expect(worker).toMatchObject({ environment: 'stage', service: 'worker', status: 'changed' });
    expect(worker.files).toEqual([
      {
        path: 'stage/worker/deployment-worker.yaml',
        status: 'changed',
        objects: [{ label: 'Deployment shop-stage/worker', status: 'changed' }],
        patch: expect.stringMatching(/^--- a\/clusters\/shop\/stage\/worker\/deployment-worker\.yaml\n/),
      },
    ]);
    const flower = doc.units.find((u: { unit: string }) => u.unit === 'prod/flower');
    expect(flower.status).toBe('removed');
    for (const f of flower.files) expect(f.patch).toBeNull();
    expect((await diff(remote, project, '--json', '--format', 'text')).code).toBe(2);
  });

  it('treats everything as added when the devops branch does not exist yet', async () => {
    const remote = bareRepo();
    const project = exampleProject();
    const r = await diff(remote, project);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('(branch does not exist yet)');
    expect(r.stdout).toContain('stage/api (environment stage, service api): added');
    expect(r.stdout).toMatch(/\d+ folders differ: \d+ objects added, 0 removed, 0 changed/);
  });

  it('exits 2 on an error: an unreachable repository, or bad specs', async () => {
    const remote = bareRepo();
    const project = exampleProject();
    const unreachable = await diff(join(remote, '..', 'missing.git'), project);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain('missing.git');
    expect(unreachable.stdout).toBe('');

    const broken = exampleProject();
    writeFileSync(join(broken, 'apps', 'worker.yaml'), 'image: [not, a, map]\n');
    const bad = await diff(remote, broken);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('apps/worker.yaml');

    const usage = await diff(remote, broken, '--format', 'html');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Choices: "text", "markdown"');

    // With --json, the spec problems are a JSON document on stdout as well; still exit 2.
    const badJson = await diff(remote, broken, '--json');
    expect(badJson.code).toBe(2);
    expect(JSON.parse(badJson.stdout)).toMatchObject({
      version: 1,
      command: 'diff',
      error: { kind: 'spec', problems: [expect.objectContaining({ file: 'apps/worker.yaml' })] },
    });
  });
});
