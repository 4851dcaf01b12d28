import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyExample, runCli, tempDir } from './helpers.js';
import { bareRepo, DEVOPS_URL, devopsEnv, git, setSettings } from './publish-fixtures.js';

/** `gitops-synth app list`, through the real CLI, with real git repositories standing in for the devops repository. */

/** What Image Updater writes back for a kustomize Application. */
const writeBackFile = (image: string) => `kustomize:\n  images:\n  - ${image}\n`;

/** Commits one file to `remote`'s main branch at a given commit time, the way Image Updater's write-back lands. */
function commitToDevops(remote: string, file: string, content: string, date: string): void {
  const clone = join(tempDir('gitops-synth-writeback-'), 'clone');
  git(dirname(clone), ['clone', '-q', remote, clone]);
  mkdirSync(dirname(join(clone, file)), { recursive: true });
  writeFileSync(join(clone, file), content);
  git(clone, ['add', file]);
  git(clone, ['commit', '-q', '-m', `build: automatic update of ${file}`], {
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  });
  git(clone, ['push', '-q', 'origin', 'HEAD:main']);
}

interface Listing {
  environments: string[];
  devopsRepository: { readFrom: string | null; error: string | null };
  services: {
    name: string;
    file: string;
    environments: Record<string, Record<string, unknown> & { image: Record<string, unknown> }>;
  }[];
}

/** `app list --json`; with `devops`, the settings' DEVOPS_URL leads to that bare repository. */
async function listJson(project: string, extra: string[] = [], devops?: string): Promise<Listing> {
  const r = await runCli(['app', 'list', '--json', '--project', project, ...extra], {
    env: devops ? devopsEnv(devops) : {},
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout);
  // The envelope every --json document has (docs: JSON output).
  expect(doc).toMatchObject({ version: 1, command: 'app list' });
  return doc as Listing;
}

const service = (l: Listing, name: string) => l.services.find((s) => s.name === name)!;

describe('app list', () => {
  it('--json gives every service per environment: the tag that runs (written back, with its commit time), replicas or range, URL, volumes, suspended', async () => {
    const devops = bareRepo();
    commitToDevops(
      devops,
      'dist/stage/api/.argocd-source-api-stage.yaml',
      writeBackFile('ghcr.io/acme-shop/api:abcdef1'),
      '2030-01-02T03:04:05Z',
    );
    commitToDevops(
      devops,
      'dist/prod/api/.argocd-source-api-prod.yaml',
      writeBackFile('ghcr.io/acme-shop/api:1.4.3'),
      '2030-02-03T04:05:06+02:00',
    );
    const project = copyExample();
    setSettings(project, { repository: { url: DEVOPS_URL, branch: 'main', path: 'dist' } });
    expect((await runCli(['app', 'suspend', 'flower', '--env', 'stage', '--project', project])).code).toBe(0);
    const cache = ['--cache-dir', tempDir('gitops-synth-cache-')];

    const listing = await listJson(project, cache, devops);
    expect(listing.environments).toEqual(['prod', 'stage']);
    expect(listing.devopsRepository).toEqual({ readFrom: `${DEVOPS_URL} (branch main, dist/)`, error: null });
    expect(listing.services.map((s) => s.name)).toEqual([
      'api',
      'flower',
      'frontend',
      'postgres',
      'rabbitmq',
      'worker',
    ]);

    const api = service(listing, 'api');
    expect(api.file).toBe('apps/api.yaml');
    expect(api.environments.stage).toEqual({
      deployed: true,
      namespace: 'shop-stage',
      image: {
        repository: 'ghcr.io/acme-shop/api',
        tag: 'abcdef1',
        pinnedTag: '3f9c2a1',
        tagFrom: 'image-updater',
        writtenBackAt: '2030-01-02T03:04:05Z',
        autoUpdate: true,
        pin: null,
        policy: { strategy: 'newest-build', constraint: null, allowTags: 'regexp:^[0-9a-f]{7}$', own: false },
        release: null,
      },
      replicas: 1,
      autoscaling: null,
      url: 'https://api.stage.shop.example.com',
      volumes: [
        {
          name: 'uploads',
          mountPath: '/srv/uploads',
          size: '20Gi',
          claim: 'api-uploads',
          perReplica: false,
          from: null,
        },
      ],
      suspended: false,
    });
    expect(api.environments.prod!.image).toMatchObject({
      tag: '1.4.3',
      pinnedTag: '1.4.2',
      tagFrom: 'image-updater',
      writtenBackAt: '2030-02-03T02:05:06Z',
    });
    expect(api.environments.prod).toMatchObject({
      replicas: null,
      autoscaling: { minReplicas: 2, maxReplicas: 10 },
      url: 'https://api.shop.example.com',
    });

    // The worker runs the same image but has no write-back file of its own: its pinned tag runs.
    expect(service(listing, 'worker').environments.stage!.image).toMatchObject({
      tag: '3f9c2a1',
      tagFrom: 'spec',
      writtenBackAt: null,
    });
    expect(service(listing, 'worker').environments.stage!.volumes).toEqual([
      { name: 'uploads', mountPath: '/srv/uploads', size: null, claim: 'api-uploads', perReplica: false, from: 'api' },
    ]);
    expect(service(listing, 'postgres').environments.prod!.volumes).toEqual([
      { name: 'data', mountPath: '/var/lib/postgresql', size: '50Gi', claim: 'data', perReplica: true, from: null },
    ]);
    expect(service(listing, 'frontend').environments.prod).toMatchObject({
      url: 'https://shop.example.com',
      replicas: 2,
    });
    expect(service(listing, 'flower').environments.stage).toMatchObject({ suspended: true, replicas: 0 });
    expect(service(listing, 'flower').environments.prod).toMatchObject({ suspended: false, replicas: 1 });

    const only = await listJson(project, [...cache, '--env', 'prod'], devops);
    expect(only.environments).toEqual(['prod']);
    expect(Object.keys(service(only, 'api').environments)).toEqual(['prod']);

    // Without --json (and not on a terminal) the same facts as a table.
    const table = await runCli(['app', 'list', '--project', project, ...cache], { env: devopsEnv(devops) });
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^SERVICE\s+ENV\s+IMAGE\s+TAG\s+REPLICAS\s+URL\s+VOLUMES$/);
    expect(lines.find((l) => /^api\s+stage\s/.test(l))).toContain(
      'abcdef1 (Image Updater, 2030-01-02T03:04:05Z; spec 3f9c2a1)',
    );
    expect(lines.find((l) => /^api\s+prod\s/.test(l))).toContain('2-10 (autoscaled)');
    expect(lines.find((l) => /^flower\s+stage\s/.test(l))).toContain('0 (suspended)');
  });

  it('reads a remote devops repository through a cached clone and sees later write-backs', async () => {
    const devops = bareRepo();
    commitToDevops(
      devops,
      'clusters/shop/stage/frontend/.argocd-source-frontend-stage.yaml',
      writeBackFile('ghcr.io/acme-shop/frontend:1111111'),
      '2030-03-01T10:00:00Z',
    );
    const project = copyExample();
    setSettings(project, { repository: { url: DEVOPS_URL, branch: 'main', path: 'clusters/shop' } });
    const cache = tempDir('gitops-synth-cache-');

    const first = await listJson(project, ['--cache-dir', cache], devops);
    expect(service(first, 'frontend').environments.stage!.image).toMatchObject({
      tag: '1111111',
      writtenBackAt: '2030-03-01T10:00:00Z',
    });
    expect(readdirSync(cache)).toHaveLength(1);

    commitToDevops(
      devops,
      'clusters/shop/stage/frontend/.argocd-source-frontend-stage.yaml',
      writeBackFile('ghcr.io/acme-shop/frontend:2222222'),
      '2030-03-02T10:00:00Z',
    );
    const second = await listJson(project, ['--cache-dir', cache], devops);
    expect(service(second, 'frontend').environments.stage!.image).toMatchObject({
      tag: '2222222',
      writtenBackAt: '2030-03-02T10:00:00Z',
    });
    expect(readdirSync(cache)).toHaveLength(1);
  });

  it("reads this repository's own rendered tree when the settings name this clone's remote, times from git log", async () => {
    const project = copyExample();
    setSettings(project, { repository: { url: 'git@github.com:acme-shop/shop.git', branch: 'main' } });
    git(project, ['init', '-q', '-b', 'main']);
    git(project, ['remote', 'add', 'origin', 'https://github.com/acme-shop/shop.git']);
    mkdirSync(join(project, 'dist', 'stage', 'api'), { recursive: true });
    writeFileSync(
      join(project, 'dist', 'stage', 'api', '.argocd-source-api-stage.yaml'),
      writeBackFile('ghcr.io/acme-shop/api:0a1b2c3'),
    );
    git(project, ['add', '-A']);
    git(project, ['commit', '-q', '-m', 'write-back'], {
      GIT_AUTHOR_DATE: '2030-04-05T06:07:08Z',
      GIT_COMMITTER_DATE: '2030-04-05T06:07:08Z',
    });
    // Pulled but not committed yet: the tag counts, the time is unknown.
    mkdirSync(join(project, 'dist', 'stage', 'frontend'), { recursive: true });
    writeFileSync(
      join(project, 'dist', 'stage', 'frontend', '.argocd-source-frontend-stage.yaml'),
      writeBackFile('ghcr.io/acme-shop/frontend:4d5e6f7'),
    );

    const listing = await listJson(project);
    expect(listing.devopsRepository.readFrom).toBe("this repository's working tree (dist/)");
    expect(service(listing, 'api').environments.stage!.image).toMatchObject({
      tag: '0a1b2c3',
      tagFrom: 'image-updater',
      writtenBackAt: '2030-04-05T06:07:08Z',
    });
    expect(service(listing, 'frontend').environments.stage!.image).toMatchObject({
      tag: '4d5e6f7',
      tagFrom: 'image-updater',
      writtenBackAt: null,
    });
  });

  it('shows the pinned tags, with a warning, when the devops repository cannot be read', async () => {
    const project = copyExample();
    setSettings(project, { repository: { url: DEVOPS_URL, branch: 'main' } });
    const r = await runCli(['app', 'list', '--json', '--project', project, '--cache-dir', tempDir()], {
      env: devopsEnv(join(tempDir(), 'missing.git')),
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: written-back tags unknown');
    const listing = JSON.parse(r.stdout) as Listing;
    expect(listing.devopsRepository.error).toContain('could not fetch branch main');
    expect(service(listing, 'api').environments.stage!.image).toMatchObject({ tag: '3f9c2a1', tagFrom: 'spec' });
  });
});
