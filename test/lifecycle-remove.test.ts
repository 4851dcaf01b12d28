import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, copyExample, runCli, snapshotTree, spawnCli, tempDir } from './helpers.js';
import { requireTool } from './system-tools.js';

const shellcheck = requireTool('shellcheck');
/** `script` gives the CLI a pseudo-terminal. */
const scriptTool = requireTool('script');

/** `gitops-synth app remove`, through the real CLI. */

/** A service the example does not reference, owning volumes as a Deployment (cache) or a StatefulSet (queue). */
async function withUnreferencedServices(): Promise<string> {
  const project = copyExample();
  writeFileSync(
    join(project, 'apps', 'cache.yaml'),
    'image: {repository: redis, tag: "7.4.1"}\nports: [{name: redis, port: 6379}]\n' +
      'securityContext: {runAsUser: 999, runAsGroup: 999, fsGroup: 999}\nvolumes:\n' +
      '  - {name: data, mountPath: /data, size: 1Gi}\n',
  );
  writeFileSync(
    join(project, 'apps', 'queue.yaml'),
    'image: {repository: nats, tag: "2.11.0"}\nworkload: statefulset\n' +
      'ports: [{name: tcp-client, port: 4222}]\nvolumes:\n  - {name: store, mountPath: /data, size: 5Gi}\n' +
      'environments:\n  prod: {replicas: 3}\n  stage: {enabled: false}\n',
  );
  expect((await runCli(['synth', '--project', project])).code).toBe(0);
  return project;
}

describe('app remove', () => {
  it('is refused while another service references it, naming every reference, and changes nothing', async () => {
    const project = copyExample();
    const before = snapshotTree(project);
    const api = await runCli(['app', 'remove', 'api', '--project', project]);
    expect(api.code).toBe(1);
    expect(api.stderr).toMatch(/apps\/worker\.yaml:\d+:\d+: volumes\[0\]\.from: mounts the volume "uploads" of "api"/);
    const postgres = await runCli(['app', 'remove', 'postgres', '--project', project]);
    expect(postgres.code).toBe(1);
    for (const ref of [
      /apps\/api\.yaml:\d+:\d+: env\.DATABASE_HOST: uses its address \$\{service:postgres\}/,
      /apps\/api\.yaml:\d+:\d+: dependsOn\[0\]: waits for "postgres"/,
      /apps\/worker\.yaml:\d+:\d+: dependsOn\[0\]/,
    ]) {
      expect(postgres.stderr).toMatch(ref);
    }
    expect(snapshotTree(project)).toEqual(before);
  });

  it('removes the spec and its rendered folders, and names the claims that stay and the Applications to delete', async () => {
    const project = await withUnreferencedServices();
    const r = await runCli(['app', 'remove', 'queue', '--project', project]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(join(project, 'apps', 'queue.yaml'))).toBe(false);
    expect(existsSync(join(project, 'dist', 'prod', 'queue'))).toBe(false);
    expect(existsSync(join(project, 'dist', 'prod', 'cache'))).toBe(true);
    expect(r.stdout).toContain('Its volumes stay in the cluster with all their data');
    expect(r.stdout).toContain(
      'prod (namespace shop-prod): PersistentVolumeClaims store-queue-0, store-queue-1, store-queue-2, ' +
        'and any other store-queue-<N>',
    );
    expect(r.stdout).not.toContain('stage (namespace');
    expect(r.stdout).toContain('applicationsSync: create-update');
    expect(r.stdout).toContain('kubectl -n argocd delete application queue-prod');

    const cache = await runCli(['app', 'remove', 'cache', '--project', project]);
    expect(cache.code).toBe(0);
    expect(cache.stdout).toContain('prod (namespace shop-prod): PersistentVolumeClaim cache-data (1Gi, ReadWriteOnce)');
    expect(cache.stdout).toContain(
      'stage (namespace shop-stage): PersistentVolumeClaim cache-data (1Gi, ReadWriteOnce)',
    );
    expect(cache.stdout).toContain('Applications cache-prod, cache-stage');
  });

  it('--purge-volumes is refused without --yes when stdin is not a terminal, and nothing changes', async () => {
    const project = await withUnreferencedServices();
    const before = snapshotTree(project);
    const r = spawnCli(['app', 'remove', 'cache', '--purge-volumes', '--project', project], { input: 'cache\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '--purge-volumes deletes data: confirm it at the prompt on a terminal, or pass --yes; nothing was changed',
    );
    expect(r.stdout).toBe('');
    expect(snapshotTree(project)).toEqual(before);
  });

  it('--purge-volumes --yes prints a script, passing shellcheck, that deletes the Applications and exactly the claims', async (ctx) => {
    const project = await withUnreferencedServices();
    const r = await runCli(['app', 'remove', 'queue', '--purge-volumes', '--yes', '--project', project]);
    expect(r.code).toBe(0);
    expect(existsSync(join(project, 'apps', 'queue.yaml'))).toBe(false);
    expect(r.stderr).toContain('removed apps/queue.yaml');
    const script = r.stdout;
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(script).toContain('set -euo pipefail');
    expect(script).toContain('kubectl -n argocd get application queue-prod --ignore-not-found -o name');
    expect(script).toContain(
      'kubectl -n shop-prod get persistentvolumeclaim -l app.kubernetes.io/instance=queue-prod -o name',
    );
    expect(script).toContain("grep -E '^persistentvolumeclaim/store-queue-[0-9]+$'");
    expect(script).not.toContain('shop-stage');

    const cache = await runCli(['app', 'remove', 'cache', '--purge-volumes', '--yes', '--project', project]);
    expect(cache.stdout).toContain('kubectl -n shop-prod delete persistentvolumeclaim cache-data --ignore-not-found');
    expect(cache.stdout).toContain('kubectl -n shop-stage delete persistentvolumeclaim cache-data --ignore-not-found');

    // Last, as it alone needs shellcheck: without it, the test is reported skipped with the reason.
    shellcheck.skipUnlessInstalled(ctx);
    const file = join(tempDir(), 'purge.sh');
    writeFileSync(file, script);
    const check = spawnSync(shellcheck.path!, ['--shell=bash', '--severity=style', file], { encoding: 'utf8' });
    expect(check.stdout).toBe('');
    expect(check.status).toBe(0);
  });

  scriptTool.it('--purge-volumes on a terminal goes ahead only when the service name is typed', async () => {
    const project = await withUnreferencedServices();
    const before = snapshotTree(project);
    // `script` gives the CLI a pseudo-terminal, as an operator's shell would.
    const onTerminal = (answer: string) =>
      spawnSync(
        scriptTool.path!,
        ['-qec', `${process.execPath} ${CLI} app remove cache --purge-volumes --project ${project}`, '/dev/null'],
        {
          input: `${answer}\n`,
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1' },
          timeout: 120_000,
        },
      );
    const wrong = onTerminal('yes');
    expect(wrong.stdout).toContain('Type the service name (cache) to confirm');
    expect(wrong.stdout).toContain('not confirmed');
    expect(snapshotTree(project)).toEqual(before);
    const right = onTerminal('cache');
    expect(right.stdout).toContain('kubectl -n shop-prod delete persistentvolumeclaim cache-data');
    expect(existsSync(join(project, 'apps', 'cache.yaml'))).toBe(false);
  });
});
