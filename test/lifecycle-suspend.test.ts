import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { copyExample, runCli, snapshotTree } from './helpers.js';

/** `gitops-synth app suspend` / `app resume`, through the real CLI. */

const read = (project: string, path: string) => readFileSync(join(project, path), 'utf8');
const objects = (project: string, folder: string) =>
  readdirSync(join(project, 'dist', folder))
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort();

describe('app suspend and app resume', () => {
  it('suspend scales every environment to zero without autoscaler, disruption budget or migration Job; resume restores the spec byte for byte', async () => {
    const project = copyExample();
    expect((await runCli(['synth', '--project', project])).code).toBe(0);
    const spec = read(project, 'apps/api.yaml');
    const rendered = { prod: objects(project, 'prod/api'), stage: objects(project, 'stage/api') };
    expect(rendered.prod).toContain('horizontalpodautoscaler-api.yaml');
    expect(rendered.prod).toContain('poddisruptionbudget-api.yaml');
    expect(rendered.prod).toContain('job-api-migrate.yaml');
    const deploymentBefore = parse(read(project, 'dist/prod/api/deployment-api.yaml'));
    const claimBefore = read(project, 'dist/prod/api/persistentvolumeclaim-api-uploads.yaml');

    const suspend = await runCli(['app', 'suspend', 'api', '--project', project]);
    expect(suspend.stderr).toBe('');
    expect(suspend.code).toBe(0);
    expect(suspend.stdout).toContain('api is now suspended in prod, stage');
    // One line added, before environments:, nothing else touched (the file has hand-aligned comments and flow maps).
    expect(read(project, 'apps/api.yaml')).toBe(
      spec.replace('\nenvironments:\n', '\nsuspended: true\nenvironments:\n'),
    );
    for (const env of ['prod', 'stage']) {
      const files = objects(project, `${env}/api`);
      expect(files).not.toContain('horizontalpodautoscaler-api.yaml');
      expect(files).not.toContain('poddisruptionbudget-api.yaml');
      expect(files).not.toContain('job-api-migrate.yaml');
      // Volumes, config and routing stay.
      expect(files).toEqual(
        expect.arrayContaining([
          'deployment-api.yaml',
          'persistentvolumeclaim-api-uploads.yaml',
          'service-api.yaml',
          'ingress-api.yaml',
          'serviceaccount-api.yaml',
        ]),
      );
      const deployment = parse(read(project, `dist/${env}/api/deployment-api.yaml`));
      expect(deployment.spec.replicas).toBe(0);
      expect(deployment.metadata.annotations['gitops-synth.io/suspended']).toBe('true');
    }
    const deploymentSuspended = parse(read(project, 'dist/prod/api/deployment-api.yaml'));
    // Same containers (image, env, mounts) and volumes; only the spreading of replicas is moot at zero.
    expect(deploymentSuspended.spec.template.spec.containers).toEqual(deploymentBefore.spec.template.spec.containers);
    expect(deploymentSuspended.spec.template.spec.volumes).toEqual(deploymentBefore.spec.template.spec.volumes);
    expect(read(project, 'dist/prod/api/persistentvolumeclaim-api-uploads.yaml')).toBe(claimBefore);

    const again = await runCli(['app', 'suspend', 'api', '--project', project]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already suspended');

    const resume = await runCli(['app', 'resume', 'api', '--project', project]);
    expect(resume.stderr).toBe('');
    expect(resume.code).toBe(0);
    expect(read(project, 'apps/api.yaml')).toBe(spec);
    expect(objects(project, 'prod/api')).toEqual(rendered.prod);
    expect(objects(project, 'stage/api')).toEqual(rendered.stage);
    // Autoscaled in prod again: the HPA owns the count, so the Deployment names none.
    expect(parse(read(project, 'dist/prod/api/deployment-api.yaml'))).toEqual(deploymentBefore);
  });

  it('--env suspends one environment only, creating environments.<env> when needed, and resume --env takes it back exactly', async () => {
    const project = copyExample();
    const spec = read(project, 'apps/flower.yaml');
    expect(spec).not.toContain('environments:');
    const suspend = await runCli(['app', 'suspend', 'flower', '--env', 'prod', '--project', project]);
    expect(suspend.code).toBe(0);
    expect(suspend.stdout).toContain('Resume with: gitops-synth app resume flower --env prod');
    expect(read(project, 'apps/flower.yaml')).toBe(`${spec}environments:\n  prod:\n    suspended: true\n`);
    expect(parse(read(project, 'dist/prod/flower/deployment-flower.yaml')).spec.replicas).toBe(0);
    expect(parse(read(project, 'dist/stage/flower/deployment-flower.yaml')).spec.replicas).toBe(1);

    const resume = await runCli(['app', 'resume', 'flower', '--env', 'prod', '--project', project]);
    expect(resume.code).toBe(0);
    expect(read(project, 'apps/flower.yaml')).toBe(spec);
    expect(parse(read(project, 'dist/prod/flower/deployment-flower.yaml')).spec.replicas).toBe(1);
  });

  it('suspending a service others wait for says so; resuming one environment of a service suspended everywhere is refused', async () => {
    const project = copyExample();
    const suspend = await runCli(['app', 'suspend', 'postgres', '--project', project]);
    expect(suspend.code).toBe(0);
    expect(suspend.stdout).toContain('api waits for postgres at start-up in prod');
    expect(suspend.stdout).toContain('worker waits for postgres at start-up in stage');
    const sts = parse(read(project, 'dist/stage/postgres/statefulset-postgres.yaml'));
    expect(sts.spec.replicas).toBe(0);
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');

    const before = snapshotTree(project);
    const partial = await runCli(['app', 'resume', 'postgres', '--env', 'prod', '--project', project]);
    expect(partial.code).toBe(1);
    expect(partial.stderr).toContain(
      'suspended in every environment (suspended: true at the top of apps/postgres.yaml)',
    );
    expect(snapshotTree(project)).toEqual(before);
    const notSuspended = await runCli(['app', 'resume', 'rabbitmq', '--project', project]);
    expect(notSuspended.code).toBe(0);
    expect(notSuspended.stdout).toContain('not suspended');
    expect(snapshotTree(project)).toEqual(before);
    expect(existsSync(join(project, 'dist', 'prod', 'postgres'))).toBe(true);
  });
});
