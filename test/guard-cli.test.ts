import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BASE_DIR } from './bad-specs/corpus.js';
import { runCli, snapshotTree, tempDir } from './helpers.js';
import { bareRepo, commitProject, editSpec, exampleProject, filesAt, gitEnv, refUpdates } from './publish-fixtures.js';

/**
 * Removals that need confirming and changes the API server refuses, through
 * the real CLI on real folders and a real devops repository: refused with
 * exit 1 and nothing written anywhere, or confirmed and rendered.
 */

async function synth(project: string, ...args: string[]) {
  return await runCli(['synth', '--project', project, ...args]);
}

/** Lines of stderr, trimmed, for exact comparison. */
function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

describe('synth compared with dist/', () => {
  it('refuses an environment gone, an empty apps/, most services gone, listing them; --allow-removal confirms', async () => {
    const project = tempDir('gitops-synth-project-');
    cpSync(BASE_DIR, project, { recursive: true });
    expect((await synth(project)).code).toBe(0);
    const dist = join(project, 'dist');
    const before = snapshotTree(dist);

    // An environment file deleted: the whole environment would go.
    const stage = readFileSync(join(project, 'environments', 'stage.yaml'), 'utf8');
    rmSync(join(project, 'environments', 'stage.yaml'));
    const gone = await synth(project);
    expect(gone.code).toBe(1);
    expect(lines(gone.stderr)).toEqual([
      expect.stringMatching(
        /^gitops-synth: refused, compared with .*dist\/ \(what synth wrote last\); nothing was written or pushed\.$/,
      ),
      'Removals that need confirming:',
      'environment stage is no longer rendered (is environments/stage.yaml gone?): all of it would be removed:',
      'argocd/application-stage-environment.yaml: Application argocd/stage-environment',
      'argocd/applicationset-stage.yaml: ApplicationSet argocd/stage',
      'argocd/appproject-stage.yaml: AppProject argocd/stage',
      'argocd/imageupdater-stage.yaml: ImageUpdater argocd/stage',
      'stage/api/: the folder of Application api-stage (9 files)',
      'stage/db/: the folder of Application db-stage (7 files)',
      'stage/worker/: the folder of Application worker-stage (5 files)',
      "stage/_environment/: the environment's own objects, the folder of Application stage-environment (3 files)",
      'To remove them, run again with --allow-removal stage',
    ]);
    expect(snapshotTree(dist)).toEqual(before);
    writeFileSync(join(project, 'environments', 'stage.yaml'), stage);

    // An empty apps/: no service would be left.
    renameSync(join(project, 'apps'), join(project, 'apps.away'));
    mkdirSync(join(project, 'apps'));
    const empty = await synth(project);
    expect(empty.code).toBe(1);
    expect(lines(empty.stderr).slice(1)).toEqual([
      'Removals that need confirming:',
      'no service would be left at all (is apps/ empty?):',
      ...['prod/api/', 'prod/db/', 'prod/worker/', 'stage/api/', 'stage/db/', 'stage/worker/'].map((f) =>
        expect.stringMatching(new RegExp(`^${f}: the folder of Application `)),
      ),
      'To remove them, run again with --allow-removal prod/api,prod/db,prod/worker,stage/api,stage/db,stage/worker',
    ]);
    expect(snapshotTree(dist)).toEqual(before);
    rmSync(join(project, 'apps'), { recursive: true });
    renameSync(join(project, 'apps.away'), join(project, 'apps'));

    // Two services of three: refused; a flag that is not a name is a usage error.
    rmSync(join(project, 'apps', 'api.yaml'));
    rmSync(join(project, 'apps', 'worker.yaml'));
    const most = await synth(project);
    expect(most.code).toBe(1);
    expect(lines(most.stderr).slice(1)).toEqual([
      'Removals that need confirming:',
      'environment prod would lose 2 of its 3 services, more than half:',
      'prod/api/: the folder of Application api-prod (10 files)',
      'prod/worker/: the folder of Application worker-prod (5 files)',
      'To remove them, run again with --allow-removal prod/api,prod/worker',
      'environment stage would lose 2 of its 3 services, more than half:',
      'stage/api/: the folder of Application api-stage (9 files)',
      'stage/worker/: the folder of Application worker-stage (5 files)',
      'To remove them, run again with --allow-removal stage/api,stage/worker',
      'To remove all of the above: --allow-removal prod/api,prod/worker,stage/api,stage/worker',
    ]);
    expect(snapshotTree(dist)).toEqual(before);
    const typo = await synth(project, '--allow-removal', 'prod/api/worker');
    // A malformed value is a usage error (2), unlike one that names nothing removed (a refusal, 1).
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      '--allow-removal "prod/api/worker": expected an environment (stage) or environment/service',
    );
    // Confirmed by naming exactly what goes (an environment confirms all of its own).
    const confirmed = await synth(project, '--allow-removal', 'prod/api,prod/worker', '--allow-removal', 'stage');
    expect(confirmed.stderr).toBe('');
    expect(confirmed.code).toBe(0);
    expect(Object.keys(snapshotTree(dist)).filter((p) => p.endsWith('app.json'))).toEqual([
      'prod/db/app.json',
      'stage/db/app.json',
    ]);
  });

  it(
    'refuses what the API server refuses to update, located, with why and how; acknowledged changes render; ' +
      'app remove of one service needs no flag',
    async () => {
      const project = tempDir('gitops-synth-project-');
      cpSync(BASE_DIR, project, { recursive: true });
      expect((await synth(project)).code).toBe(0);
      const dist = join(project, 'dist');
      // What an older render held: a selector and a Service that was not headless yet.
      const edit = (file: string, from: string, to: string) =>
        writeFileSync(join(dist, file), readFileSync(join(dist, file), 'utf8').replace(from, to));
      edit('stage/api/deployment-api.yaml', 'app.kubernetes.io/name: api\n  strategy', 'app: api\n  strategy');
      edit('prod/db/service-db-headless.yaml', '  clusterIP: None\n', '');
      const before = snapshotTree(dist);
      // A claim template grows in prod, a claim shrinks in stage, prod gets a storage class.
      editSpec(project, 'apps/db.yaml', ['environments'], {
        prod: { volumes: [{ name: 'data', mountPath: '/var/lib/postgresql', size: '2Gi' }] },
      });
      editSpec(project, 'apps/api.yaml', ['environments', 'stage'], {
        volumes: [{ name: 'uploads', mountPath: '/srv/uploads', size: '512Mi', accessMode: 'ReadWriteMany' }],
      });
      editSpec(project, 'environments/prod.yaml', ['storageClass'], 'longhorn');

      const r = await synth(project);
      expect(r.code).toBe(1);
      expect(snapshotTree(dist)).toEqual(before);
      const out = lines(r.stderr);
      expect(out[1]).toBe('Changes the API server refuses as an update (Argo CD would fail the sync):');
      const located = out.filter((l) => /^[a-z/]+\.yaml(:\d+:\d+)?: /.test(l));
      expect(located).toEqual([
        'apps/api.yaml: Deployment shop-stage/api (stage/api/deployment-api.yaml): spec.selector ' +
          '{"matchLabels":{"app.kubernetes.io/instance":"api-stage","app":"api"}} → ' +
          '{"matchLabels":{"app.kubernetes.io/instance":"api-stage","app.kubernetes.io/name":"api"}}',
        'apps/api.yaml:33:15: environments.stage.volumes[0].size: PersistentVolumeClaim shop-stage/api-uploads ' +
          '(stage/api/persistentvolumeclaim-api-uploads.yaml): spec.resources.requests.storage 1Gi → 512Mi',
        'apps/db.yaml: Service shop-prod/db-headless (prod/db/service-db-headless.yaml): spec.clusterIP ' +
          '(allocated by the cluster) → None',
        'apps/db.yaml:21:15: environments.prod.volumes[0].size: StatefulSet shop-prod/db ' +
          '(prod/db/statefulset-db.yaml): ' +
          'spec.volumeClaimTemplates[data].spec.resources.requests.storage 1Gi → 2Gi',
        'environments/prod.yaml:14:15: storageClass: StatefulSet shop-prod/db (prod/db/statefulset-db.yaml): ' +
          'spec.volumeClaimTemplates[data].spec.storageClassName (none) → longhorn',
      ]);
      // Each says why the API server refuses it and how to make the change.
      const lineAfter = (prefix: string) => out[out.findIndex((l) => l.startsWith(prefix)) + 1];
      const explained = (prefix: string) => out.slice(out.findIndex((l) => l.startsWith(prefix)) + 1).slice(0, 2);
      expect(lineAfter('apps/api.yaml: Deployment')).toBe(
        "refused by the API server: a Deployment's selector never changes after it is created " +
          '(the API server answers spec.selector: Invalid value: …: field is immutable)',
      );
      expect(explained('apps/db.yaml: Service')).toEqual([
        "refused by the API server: a Service's cluster IP never changes once set, and None (headless) is one: " +
          'a headless Service cannot get a virtual IP, nor a Service lose its own ' +
          '(the API server answers spec.clusterIPs[0]: Invalid value: …: may not change once set)',
        'to make this change: add recreate: [Service/db-headless] under environments.prod in apps/db.yaml: ' +
          'Argo CD then deletes the Service and creates it again at the next sync (it gets a new cluster IP; ' +
          'its DNS name stays); remove the entry once synced',
      ]);
      const statefulSetRefusal = lineAfter('apps/db.yaml:21:15')!;
      expect(statefulSetRefusal).toMatch(
        /^refused by the API server: a StatefulSet's volumeClaimTemplates never change /,
      );
      expect(statefulSetRefusal).toMatch(
        /\(the API server answers spec: Forbidden: updates to statefulset spec for fields other than 'replicas', /,
      );
      expect(lineAfter('apps/api.yaml:33:15')).toContain('a claim never shrinks');

      // Acknowledged: recreate what may be recreated; the claim goes back to its size.
      editSpec(
        project,
        'apps/db.yaml',
        ['environments', 'prod', 'recreate'],
        ['StatefulSet/db', 'Service/db-headless'],
      );
      editSpec(project, 'apps/api.yaml', ['environments', 'stage'], { recreate: ['Deployment/api'] });
      const ok = await synth(project);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      const options = (file: string): string | undefined =>
        parse(readFileSync(join(dist, file), 'utf8')).metadata.annotations?.['argocd.argoproj.io/sync-options'];
      expect(options('prod/db/statefulset-db.yaml')).toBe('Force=true,Replace=true');
      expect(options('prod/db/service-db-headless.yaml')).toBe('Force=true,Replace=true');
      expect(options('stage/api/deployment-api.yaml')).toBe('Force=true,Replace=true');
      expect(options('stage/db/statefulset-db.yaml')).toBeUndefined();
      expect(options('prod/api/deployment-api.yaml')).toBeUndefined();
      expect(ok.stdout).toContain(
        'gitops-synth: note: StatefulSet shop-prod/db (prod/db/statefulset-db.yaml): Argo CD deletes ' +
          'it and creates it again at the next sync',
      );
      expect(ok.stdout).toContain(
        "kubectl -n shop-prod get pvc -o name | grep -E '^persistentvolumeclaim/data-db-[0-9]+$' \\\n",
      );
      expect(ok.stdout).toContain('Remove Service/db-headless from recreate: once Argo CD has synced');

      // One service of three goes with `app remove`, which needs no flag.
      const removed = await runCli(['app', 'remove', 'worker', '--project', project]);
      expect(removed.stderr).toBe('');
      expect(removed.code).toBe(0);
      expect(Object.keys(snapshotTree(dist)).filter((p) => p.endsWith('app.json'))).toEqual([
        'prod/api/app.json',
        'prod/db/app.json',
        'stage/api/app.json',
        'stage/db/app.json',
      ]);
    },
  );
});

describe('publish and diff compared with the devops branch', () => {
  const publish = async (remote: string, project: string, ...args: string[]) =>
    await runCli(['publish', '--project', project, ...args], { env: gitEnv(remote) });
  const diff = async (remote: string, project: string, ...args: string[]) =>
    await runCli(['diff', '--project', project, ...args], { env: gitEnv(remote) });

  it(
    'publish refuses an environment gone and a claim template grown, pushing nothing; diff marks ' +
      'them; confirmed, it publishes',
    async () => {
      const remote = bareRepo();
      const project = exampleProject();
      expect((await publish(remote, project)).code).toBe(0);
      const updates = refUpdates(remote).length;
      rmSync(join(project, 'environments', 'stage.yaml'));
      editSpec(project, 'apps/postgres.yaml', ['environments', 'prod', 'volumes', 0, 'size'], '60Gi');
      commitProject(project, 'drop stage, grow the database');

      const refused = await publish(remote, project);
      expect(refused.code).toBe(1);
      expect(refUpdates(remote)).toHaveLength(updates);
      const out = lines(refused.stderr);
      expect(out.find((l) => l.startsWith('gitops-synth: refused'))).toMatch(
        /^gitops-synth: refused, compared with .*shop-deploy\.git main:clusters\/shop at [0-9a-f]{12}; nothing was written/,
      );
      expect(out).toContain(
        'environment stage is no longer rendered (is environments/stage.yaml gone?): all of it would be removed:',
      );
      expect(out).toContain('stage/postgres/: the folder of Application postgres-stage (7 files)');
      expect(out).toContain('To remove them, run again with --allow-removal stage');
      // editSpec rewrote the file: the line is wherever the size is now.
      const line =
        readFileSync(join(project, 'apps', 'postgres.yaml'), 'utf8')
          .split('\n')
          .findIndex((l) => l.includes('60Gi')) + 1;
      expect(out).toContain(
        `apps/postgres.yaml:${line}:61: environments.prod.volumes[0].size: StatefulSet shop-prod/postgres ` +
          '(prod/postgres/statefulset-postgres.yaml): ' +
          'spec.volumeClaimTemplates[data].spec.resources.requests.storage 50Gi → 60Gi',
      );

      // diff reports the same, fails for none of it: exit 1 means "different".
      const text = await diff(remote, project);
      expect(text.code, text.stderr).toBe(1);
      expect(text.stdout).toContain('Publish would refuse this render:');
      expect(text.stdout).toContain('    To remove them, run again with --allow-removal stage');
      expect(text.stdout).toMatch(/^ {2}! StatefulSet shop-prod\/postgres {2}statefulset-postgres\.yaml$/m);
      expect(text.stdout).toMatch(
        /^ {6}refused by the API server: spec\.volumeClaimTemplates\[data\]\.spec\.resources\.requests\.storage 50Gi/m,
      );
      expect(text.stdout).toMatch(/, 1 change refused by the API server$/m);
      expect(refUpdates(remote)).toHaveLength(updates);

      // Acknowledged in the spec, confirmed on the command line: published.
      editSpec(project, 'apps/postgres.yaml', ['environments', 'prod', 'recreate'], ['StatefulSet/postgres']);
      commitProject(project, 'recreate the database StatefulSet');
      const ok = await publish(remote, project, '--allow-removal', 'stage');
      expect(ok.stderr).not.toContain('refused');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('gitops-synth: note: StatefulSet shop-prod/postgres');
      expect(ok.stdout).toContain("grep -E '^persistentvolumeclaim/data-postgres-[0-9]+$'");
      const files = filesAt(remote, 'main', 'clusters/shop');
      expect(Object.keys(files).some((f) => f.startsWith('stage/'))).toBe(false);
      expect(
        parse(files['prod/postgres/statefulset-postgres.yaml']!).metadata.annotations[
          'argocd.argoproj.io/sync-options'
        ],
      ).toBe('Force=true,Replace=true');
    },
  );
});
