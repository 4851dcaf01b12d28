import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkChanges, type ChangeReport } from '../src/guard/check.js';
import type { DiffReport } from '../src/diff/compare.js';
import { formatMarkdown, formatText } from '../src/diff/format.js';
import { checkUpdate } from '../src/guard/immutable.js';
import type { KubeObject } from '../src/guard/objects.js';
import { readPreviousCommit, readPreviousFolder } from '../src/guard/previous.js';
import { checkRemovals, parseAllowRemoval } from '../src/guard/removals.js';
import { RenderedTree } from '../src/output/tree.js';
import { scanFolder } from '../src/write/claim.js';
import { renderProject } from '../src/pipeline/pipeline.js';
import { formatProblem } from '../src/spec/errors.js';
import { BASE_DIR } from './bad-specs/corpus.js';
import { tempDir } from './helpers.js';
import { editSpec, git } from './publish-fixtures.js';
import { renderServices } from '../src/synth/render-services.js';

/** The previous render in `dir` as synth reads it: from the listing the write lock's claim makes. */
function previousIn(dir: string, tree: RenderedTree, origin: string) {
  return readPreviousFolder(dir, existsSync(dir) ? scanFolder(dir).files : [], tree, origin);
}

/** The API server's update rules, removals and the comparison of two renders, in-process. */

function obj(kind: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject {
  const apiVersion = kind === 'StatefulSet' || kind === 'Deployment' ? 'apps/v1' : kind === 'Job' ? 'batch/v1' : 'v1';
  return { apiVersion, kind, metadata: { name: 'x', namespace: 'ns' }, spec, ...extra } as KubeObject;
}

/** `field old → new` of each refused change of an update. */
function refused(old: KubeObject, now: KubeObject): string[] {
  return checkUpdate(old, now).refused.map((r) => `${r.field} ${r.old} → ${r.new}`);
}

const template = (name: string, size: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...extra },
});

describe('what the API server refuses on update', () => {
  it(
    'a StatefulSet: every spec field but replicas, template, updateStrategy and a few others; defaults ' +
      'are no change',
    () => {
      const base = {
        serviceName: 'db-headless',
        selector: { matchLabels: { a: '1' } },
        replicas: 1,
        template: { metadata: { labels: { a: '1' } } },
        volumeClaimTemplates: [template('data', '50Gi')],
      };
      const sts = (s: Record<string, unknown>) => obj('StatefulSet', { ...base, ...s });
      expect(refused(sts({}), sts({ replicas: 3, template: { metadata: { labels: { a: '1', b: '2' } } } }))).toEqual(
        [],
      );
      // Filled in by the API server, or the same quantity written another way: no change.
      expect(refused(sts({}), sts({ podManagementPolicy: 'OrderedReady' }))).toEqual([]);
      expect(
        refused(sts({}), sts({ volumeClaimTemplates: [template('data', '51200Mi', { volumeMode: 'Filesystem' })] })),
      ).toEqual([]);
      expect(
        refused(
          sts({}),
          sts({
            serviceName: 'db',
            selector: { matchLabels: { a: '2' } },
            podManagementPolicy: 'Parallel',
            volumeClaimTemplates: [
              template('data', '60Gi', { accessModes: ['ReadWriteOncePod'] }),
              template('wal', '1Gi'),
            ],
          }),
        ),
      ).toEqual([
        'spec.podManagementPolicy OrderedReady → Parallel',
        'spec.selector {"matchLabels":{"a":"1"}} → {"matchLabels":{"a":"2"}}',
        'spec.serviceName db-headless → db',
        'spec.volumeClaimTemplates[data].spec.accessModes ["ReadWriteOnce"] → ["ReadWriteOncePod"]',
        'spec.volumeClaimTemplates[data].spec.resources.requests.storage 50Gi → 60Gi',
        'spec.volumeClaimTemplates[wal] (none) → claim template wal',
      ]);
      const why = checkUpdate(sts({}), sts({ volumeClaimTemplates: [] })).refused[0]!;
      expect(why.why).toContain("spec: Forbidden: updates to statefulset spec for fields other than 'replicas'");
      expect(why.subject).toEqual({ type: 'template', template: 'data', aspect: 'removed' });
    },
  );

  it('workload selectors; a Job unless Argo CD recreates it as a hook (our migration Job)', () => {
    const deploy = (a: string) => obj('Deployment', { selector: { matchLabels: { a } }, replicas: 1 });
    expect(refused(deploy('1'), deploy('2'))).toEqual([
      'spec.selector {"matchLabels":{"a":"1"}} → {"matchLabels":{"a":"2"}}',
    ]);
    const job = (image: string, annotations?: Record<string, string>) =>
      ({
        ...obj('Job', { backoffLimit: 2, template: { spec: { containers: [{ name: 'm', image }] } } }),
        metadata: { name: 'api-migrate', namespace: 'ns', annotations },
      }) as KubeObject;
    expect(refused(job('a:1'), job('a:2'))).toEqual([
      'spec.template.spec.containers [{"name":"m","image":"a:1"}] → [{"name":"m","image":"a:2"}]',
    ]);
    const hook = { 'argocd.argoproj.io/hook': 'PreSync' };
    expect(refused(job('a:1', hook), job('a:2', hook))).toEqual([]);
    const presync = { ...hook, 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' };
    expect(refused(job('a:1', presync), job('a:2', presync))).toEqual([]);
    const kept = { ...hook, 'argocd.argoproj.io/hook-delete-policy': 'HookFailed' };
    expect(refused(job('a:1', kept), job('a:2', kept))).toHaveLength(1);
  });

  it("a Service's cluster IP, headless or not; its selector, ports and type are updated in place", () => {
    const svc = (s: Record<string, unknown>) => obj('Service', { selector: { a: '1' }, ports: [{ port: 80 }], ...s });
    expect(refused(svc({}), svc({ selector: { a: '2' }, ports: [{ port: 81 }], type: 'NodePort' }))).toEqual([]);
    expect(refused(svc({ clusterIP: 'None' }), svc({ type: 'ClusterIP' }))).toEqual([
      'spec.clusterIP None → (allocated by the cluster)',
    ]);
    expect(refused(svc({ type: 'ClusterIP' }), svc({ clusterIP: 'None' }))).toEqual([
      'spec.clusterIP (allocated by the cluster) → None',
    ]);
    expect(refused(svc({ clusterIP: '10.0.0.1' }), svc({ clusterIP: '10.0.0.2' }))).toHaveLength(1);
    expect(refused(svc({ clusterIP: '10.0.0.1' }), svc({}))).toEqual([]);
    expect(refused(svc({ clusterIP: 'None' }), svc({ clusterIP: 'None', type: 'NodePort' }))).toEqual([
      'spec.type ClusterIP → NodePort',
    ]);
    expect(refused(svc({ clusterIP: 'None' }), svc({ type: 'ExternalName', externalName: 'db.example.com' }))).toEqual(
      [],
    );
    expect(checkUpdate(svc({ clusterIP: 'None' }), svc({ clusterIP: '10.0.0.9' })).refused[0]!.why).toContain(
      'spec.clusterIPs[0]: Invalid value: …: may not change once set',
    );
  });

  it(
    'a claim: it may grow but never shrink, nor change class, access modes or mode; a class set ' +
      'for the first time is doubtful',
    () => {
      const pvc = (size: string, s: Record<string, unknown> = {}) =>
        obj('PersistentVolumeClaim', {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: size } },
          storageClassName: 'fast',
          ...s,
        });
      expect(refused(pvc('10Gi'), pvc('20Gi'))).toEqual([]);
      expect(refused(pvc('10Gi'), pvc('10Gi', { volumeName: 'pv-1' }))).toEqual([]);
      expect(refused(pvc('20Gi'), pvc('10Gi', { storageClassName: 'slow', accessModes: ['ReadWriteMany'] }))).toEqual([
        'spec.resources.requests.storage 20Gi → 10Gi',
        'spec.storageClassName fast → slow',
        'spec.accessModes ["ReadWriteOnce"] → ["ReadWriteMany"]',
      ]);
      expect(checkUpdate(pvc('20Gi'), pvc('10Gi')).refused[0]!.why).toContain(
        'field can not be less than previous value',
      );
      expect(refused(pvc('1Gi'), pvc('1Gi', { storageClassName: undefined }))).toEqual([
        'spec.storageClassName fast → (none)',
      ]);
      const first = checkUpdate(pvc('1Gi', { storageClassName: undefined }), pvc('1Gi'));
      expect(first.refused).toEqual([]);
      expect(first.cautions.map((c) => `${c.field} → ${c.new}`)).toEqual(['spec.storageClassName → fast']);
    },
  );

  it("an immutable ConfigMap, and a binding's roleRef", () => {
    const cm = (data: Record<string, string>, immutable?: boolean) =>
      ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data, immutable }) as unknown as KubeObject;
    expect(refused(cm({ a: '1' }), cm({ a: '2' }))).toEqual([]);
    expect(refused(cm({ a: '1' }, true), cm({ a: '2' }, true))).toEqual(['data (the old content) → (new content)']);
    const binding = (role: string) =>
      ({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'b' },
        roleRef: { kind: 'Role', name: role },
      }) as unknown as KubeObject;
    expect(refused(binding('a'), binding('b'))).toHaveLength(1);
  });
});

/** A rendered tree from `path → content`. */
function treeOf(files: Record<string, string>): RenderedTree {
  const tree = new RenderedTree();
  for (const [p, c] of Object.entries(files)) tree.add(p, c);
  return tree;
}

/** Writes files into a new temporary folder. */
function folderOf(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

/** A render's files for these environments and services: app.json per service, an ApplicationSet per environment. */
function layout(envs: Record<string, string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [env, services] of Object.entries(envs)) {
    out[`argocd/applicationset-${env}.yaml`] =
      `apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: ${env}, namespace: argocd}\n`;
    out[`argocd/appproject-${env}.yaml`] =
      `apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: ${env}, namespace: argocd}\n`;
    for (const s of services) {
      out[`${env}/${s}/app.json`] = `{"service": "${s}"}\n`;
      out[`${env}/${s}/kustomization.yaml`] = 'resources: []\n';
    }
  }
  return out;
}

function removals(
  before: Record<string, string[]>,
  after: Record<string, string[]>,
  allow: string[] = [],
  removing?: string,
) {
  const now = treeOf(layout(after));
  const previous = previousIn(folderOf(layout(before)), now, 'dist/');
  const check = checkRemovals(previous, now, Object.keys(after), { allow, removing });
  return {
    refused: check.refusals.map((r) => `${r.reason} [${r.allowWith}]: ${r.items.map((i) => i.path).join(' ')}`),
    unmatched: check.unmatched,
  };
}

describe('removals that need confirming', () => {
  const three = { stage: ['api', 'db', 'worker'], prod: ['api', 'db', 'worker'] };

  it('an environment disappearing, listing its Argo CD objects and service folders', () => {
    expect(removals(three, { prod: three.prod }).refused).toEqual([
      'environment stage is no longer rendered (is environments/stage.yaml gone?): all of it would ' +
        'be removed [stage]: ' +
        'argocd/applicationset-stage.yaml argocd/appproject-stage.yaml stage/api/ stage/db/ stage/worker/',
    ]);
    expect(removals(three, { prod: three.prod }, ['stage'])).toEqual({ refused: [], unmatched: [] });
  });

  it('more than half of an environment, two at least; one service at a time passes', () => {
    expect(removals(three, { stage: ['db'], prod: three.prod }).refused).toEqual([
      'environment stage would lose 2 of its 3 services, more than half [stage/api,stage/worker]: ' +
        'stage/api/ stage/worker/',
    ]);
    expect(removals(three, { stage: ['db'], prod: three.prod }, ['stage/api', 'stage/worker']).refused).toEqual([]);
    expect(removals(three, { stage: ['db'], prod: three.prod }, ['stage']).refused).toEqual([]);
    // One of three, or two of four (not more than half), or one of one with app remove.
    expect(removals(three, { stage: ['db', 'worker'], prod: three.prod }).refused).toEqual([]);
    expect(removals({ stage: ['a', 'b', 'c', 'd'] }, { stage: ['a', 'b'] }).refused).toEqual([]);
    expect(removals({ stage: ['a'] }, { stage: [] }, [], 'a').refused).toEqual([]);
  });

  it('no service left at all', () => {
    expect(removals({ stage: ['a'], prod: ['a'] }, { stage: [], prod: [] }).refused).toEqual([
      'no service would be left at all (is apps/ empty?) [prod/a,stage/a]: prod/a/ stage/a/',
    ]);
  });

  it('a confirmation must name something that goes, so it never outlives its removal', () => {
    expect(removals(three, { stage: ['db', 'worker'], prod: three.prod }, ['stage/api', 'prod', 'prod/db'])).toEqual({
      refused: [],
      unmatched: ['prod', 'prod/db'],
    });
    expect(parseAllowRemoval(['stage', 'prod/api,prod/worker', 'stage'])).toEqual(['stage', 'prod/api', 'prod/worker']);
    expect(() => parseAllowRemoval(['Stage'])).toThrow(
      '--allow-removal "Stage": expected an environment (stage) or environment/service (prod/api), comma-separated',
    );
    expect(() => parseAllowRemoval(['prod/api/x'])).toThrow('--allow-removal "prod/api/x"');
  });

  it('reads a hostile output folder without following links, reading huge or unreadable files, or failing', () => {
    const files = layout({ stage: ['api'] });
    const dir = folderOf({ ...files, 'notes/readme.txt': 'mine\n' });
    const outside = folderOf({ 'secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n' });
    symlinkSync(join(outside, 'secret.yaml'), join(dir, 'stage', 'api', 'linked.yaml'));
    mkdirSync(join(dir, 'stage', 'api', 'folder.yaml'));
    writeFileSync(join(dir, 'stage', 'api', 'huge.yaml'), Buffer.alloc(5 * 1024 * 1024, 0x61));
    writeFileSync(join(dir, 'stage', 'api', 'locked.yaml'), 'kind: Secret\n', { mode: 0o000 });
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    const previous = previousIn(dir, treeOf(files), 'dist/');
    expect([...previous.paths].sort()).toEqual(
      [...Object.keys(files), 'notes/readme.txt', 'stage/api/huge.yaml', 'stage/api/locked.yaml'].sort(),
    );
    expect(previous.read('stage/api/huge.yaml')).toBeUndefined();
    expect(previous.read('notes/readme.txt')).toBe('mine\n');
    expect(previous.read('stage/api/app.json')).toBe(files['stage/api/app.json']);
  });

  it('reads the previous render from a commit as from a folder, without reading unchanged files', async () => {
    const files = { ...layout(three), 'stage/api/.argocd-source-api-stage.yaml': 'kustomize: {}\n' };
    const repo = tempDir();
    git(repo, ['init', '-q', '-b', 'main']);
    cpSync(folderOf(files), join(repo, 'out'), { recursive: true });
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-q', '-m', 'render']);
    const head = git(repo, ['rev-parse', 'HEAD']);
    const now = treeOf({ ...layout({ prod: three.prod }), 'prod/api/app.json': '{"service": "api", "v": 2}\n' });
    const fromGit = await readPreviousCommit(repo, head, 'out', now, 'git');
    const fromFolder = previousIn(join(repo, 'out'), now, 'folder');
    expect([...fromGit.paths].sort()).toEqual([...fromFolder.paths].sort());
    expect(fromGit.paths.has('stage/api/.argocd-source-api-stage.yaml')).toBe(false);
    for (const p of fromGit.paths) expect(fromGit.read(p)).toBe(fromFolder.read(p));
    expect(fromGit.read('prod/api/app.json')).toBe('{"service": "api"}\n');
    expect(execFileSync('git', ['-C', repo, 'status', '--porcelain'], { encoding: 'utf8' })).toBe('');
  });
});

/** The bad-spec base project (api, worker, db × stage, prod) in a temporary folder. */
function baseProject(): string {
  const dir = tempDir('gitops-synth-project-');
  cpSync(BASE_DIR, dir, { recursive: true });
  return dir;
}

/** Renders the service folders of `project` in-process. */
async function render(project: string) {
  return renderProject(project, [renderServices]);
}

/** Renders `project` and compares it with `previousDir` as synth would. */
async function compare(project: string, previousDir: string): Promise<ChangeReport> {
  const { tree, context } = await render(project);
  return checkChanges(previousIn(previousDir, tree, 'dist/'), tree, context);
}

/** The project rendered into a folder, as the previous render. */
async function rendered(project: string): Promise<string> {
  return folderOf(Object.fromEntries((await render(project)).tree.entries()));
}

function lines(report: ChangeReport) {
  return report.refused.map((r) => `${formatProblem(r.at)} | ${r.how}`);
}

describe('a render compared with the previous one', () => {
  it('locates each refused change at the spec key that made it', async () => {
    const project = baseProject();
    const dist = await rendered(project);
    editSpec(project, 'apps/db.yaml', ['component'], 'database');
    editSpec(project, 'apps/db.yaml', ['environments'], {
      prod: { volumes: [{ name: 'data', mountPath: '/var/lib/postgresql', size: '2Gi' }] },
    });
    editSpec(project, 'apps/api.yaml', ['environments', 'stage'], {
      volumes: [{ name: 'uploads', mountPath: '/srv/uploads', size: '512Mi', accessMode: 'ReadWriteMany' }],
    });
    editSpec(project, 'environments/prod.yaml', ['storageClass'], 'fast');
    const report = await compare(project, dist);
    const recreate = (env: string) =>
      `add recreate: [StatefulSet/db] under environments.${env} in apps/db.yaml: Argo CD then deletes ` +
      `the StatefulSet ` +
      'and creates it again at the next sync (its pods restart; its claims stay, as its ' +
      'persistentVolumeClaimRetentionPolicy is Retain); remove the entry once synced';
    const label = 'spec.volumeClaimTemplates[data].metadata.labels["app.kubernetes.io/component"] (none) → database';
    expect(lines(report)).toEqual([
      'apps/api.yaml:33:15: environments.stage.volumes[0].size: PersistentVolumeClaim shop-stage/api-uploads ' +
        '(stage/api/persistentvolumeclaim-api-uploads.yaml): spec.resources.requests.storage 1Gi → 512Mi | ' +
        'a claim is never recreated (its data would go with it): move the data to a new claim. Rename volume uploads ' +
        '(e.g. uploads-2) and add replaces: uploads to it, with api suspended while the data is copied: ' +
        'the old claim stays, and the copy steps are printed',
      `apps/db.yaml:16:12: component: StatefulSet shop-prod/db (prod/db/statefulset-db.yaml): ${label} ` +
        `| ${recreate('prod')}`,
      `apps/db.yaml:16:12: component: StatefulSet shop-stage/db (stage/db/statefulset-db.yaml): ${label} ` +
        `| ${recreate('stage')}`,
      'apps/db.yaml:22:15: environments.prod.volumes[0].size: StatefulSet shop-prod/db ' +
        '(prod/db/statefulset-db.yaml): ' +
        `spec.volumeClaimTemplates[data].spec.resources.requests.storage 1Gi → 2Gi | ${recreate('prod')}. ` +
        'The claims of its replicas keep 1Gi: the steps that grow them are printed then',
      'environments/prod.yaml:14:15: storageClass: StatefulSet shop-prod/db (prod/db/statefulset-db.yaml): ' +
        `spec.volumeClaimTemplates[data].spec.storageClassName (none) → fast | ${recreate('prod')}. ` +
        'The claims of its replicas keep the class they were given (a claim never changes that); to move the data, ' +
        'also rename volume data and add replaces: data to it',
    ]);
    expect(report.refused[0]!.why).toBe(
      'a claim never shrinks (the API server answers spec.resources.requests.storage: Forbidden: ' +
        'field can not be less than previous value)',
    );
    // prod's claim of api had the cluster's default class: fast is accepted only if that is the one.
    expect(report.notes).toEqual([
      [
        expect.stringMatching(
          new RegExp(
            '^PersistentVolumeClaim shop-prod/api-uploads \\(prod/api/persistentvolumeclaim-api-uploads.yaml\\): ' +
              'spec.storageClassName \\(none: the default class when it was created\\) → fast: ' +
              'the API server accepts this only if fast is the class',
          ),
        ),
        'Check before the sync: kubectl -n shop-prod get persistentvolumeclaim api-uploads ' +
          "-o jsonpath='{.spec.storageClassName}'",
      ],
    ]);
    expect(report.removals).toEqual([]);
  });

  it('acknowledged: recreate: on the StatefulSet, replaces: on a renamed claim of a suspended service', async () => {
    const project = baseProject();
    const dist = await rendered(project);
    editSpec(project, 'apps/db.yaml', ['component'], 'database');
    editSpec(project, 'apps/db.yaml', ['recreate'], ['StatefulSet/db']);
    editSpec(project, 'apps/db.yaml', ['environments'], {
      prod: { volumes: [{ name: 'data', mountPath: '/var/lib/postgresql', size: '2Gi' }] },
    });
    editSpec(project, 'apps/api.yaml', ['environments', 'stage'], {
      suspended: true,
      volumes: [
        {
          name: 'uploads-small',
          mountPath: '/srv/uploads',
          size: '512Mi',
          accessMode: 'ReadWriteMany',
          replaces: 'uploads',
        },
      ],
    });
    editSpec(project, 'apps/worker.yaml', ['environments'], {
      stage: { volumes: [{ name: 'uploads-small', mountPath: '/srv/uploads', from: 'api' }] },
    });
    editSpec(project, 'environments/prod.yaml', ['storageClass'], 'fast');
    const { tree, context } = await render(project);
    const report = checkChanges(previousIn(dist, tree, 'dist/'), tree, context);
    expect(report.refused).toEqual([]);
    expect(report.acknowledged.map((a) => `${a.object}: ${a.field} ${a.old} → ${a.new}: ${a.by}`)).toEqual([
      'StatefulSet shop-prod/db: spec.volumeClaimTemplates[data].metadata.labels["app.kubernetes.io/component"] ' +
        '(none) → database: recreated (recreate: in apps/db.yaml)',
      'StatefulSet shop-prod/db: spec.volumeClaimTemplates[data].spec.resources.requests.storage ' +
        '1Gi → 2Gi: recreated (recreate: in apps/db.yaml)',
      'StatefulSet shop-prod/db: spec.volumeClaimTemplates[data].spec.storageClassName (none) → fast: ' +
        'recreated (recreate: in apps/db.yaml)',
      'StatefulSet shop-stage/db: spec.volumeClaimTemplates[data].metadata.labels["app.kubernetes.io/component"] ' +
        '(none) → database: recreated (recreate: in apps/db.yaml)',
      'PersistentVolumeClaim shop-stage/api-uploads: claim api-uploads → api-uploads-small: replaced ' +
        '(replaces: uploads on volume uploads-small in apps/api.yaml)',
    ]);
    // What the acknowledgement renders: Argo CD recreates the StatefulSet, and only it.
    const options = (file: string) =>
      (parse(tree.get(file)!) as KubeObject).metadata.annotations?.['argocd.argoproj.io/sync-options'];
    expect(options('prod/db/statefulset-db.yaml')).toBe('Force=true,Replace=true');
    expect(options('stage/db/statefulset-db.yaml')).toBe('Force=true,Replace=true');
    expect(options('prod/db/service-db.yaml')).toBeUndefined();
    expect(options('stage/api/persistentvolumeclaim-api-uploads-small.yaml')).toBe('Prune=false,Delete=false');
    const notes = report.notes.map((n) => n.join('\n'));
    expect(notes[1]).toContain(
      "kubectl -n shop-prod get pvc -o name | grep -E '^persistentvolumeclaim/data-db-[0-9]+$' \\\n" +
        '    | xargs -r -I{} kubectl -n shop-prod patch {} --type merge ' +
        '-p \'{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}\'',
    );
    expect(notes[2]).toMatch(/^StatefulSet shop-stage\/db .*Argo CD deletes it and creates it again at the next sync/);
    const copy = notes[3]!;
    expect(copy).toMatch(
      /^stage\/api: volume uploads-small replaces uploads; copy its data from api-uploads to api-uploads-small/,
    );
    expect(copy).toContain('"persistentVolumeClaim":{"claimName":"api-uploads","readOnly":true}');
    expect(copy).toContain('"persistentVolumeClaim":{"claimName":"api-uploads-small"}');
    expect(copy).toContain('3. Resume it (npx gitops-synth app resume api --env stage) and publish');
    expect(copy).toContain('kubectl -n shop-stage delete pvc api-uploads');
    // The copy command is valid shell.
    const script = copy
      .split('\n')
      .filter((l) => /^ {7}(ns=|kubectl)/.test(l))
      .join('\n');
    expect(execFileSync('bash', ['-n'], { input: script, encoding: 'utf8' })).toBe('');
    // Rendered again over itself: nothing to recreate for, so a reminder that every sync recreates it.
    const again = checkChanges(previousIn(folderOf(Object.fromEntries(tree.entries())), tree, 'dist/'), tree, context);
    expect(again.refused).toEqual([]);
    expect(again.notes.map((n) => n.join('\n'))).toEqual([
      'apps/db.yaml:18: recreate: StatefulSet/db is still listed for environment prod: every sync deletes it and ' +
        'creates it again; remove it once Argo CD has synced the change it was for.',
      'apps/db.yaml:18: recreate: StatefulSet/db is still listed for environment stage: every sync deletes it and ' +
        'creates it again; remove it once Argo CD has synced the change it was for.',
    ]);
  });

  it('a claim renamed without replaces:, or replaced while the service runs', async () => {
    const project = baseProject();
    const dist = await rendered(project);
    const uploads = { mountPath: '/srv/uploads', size: '1Gi', accessMode: 'ReadWriteMany' };
    editSpec(project, 'apps/api.yaml', ['environments', 'stage'], { volumes: [{ name: 'files', ...uploads }] });
    editSpec(
      project,
      'apps/api.yaml',
      ['environments', 'prod', 'volumes'],
      [{ name: 'files', ...uploads, replaces: 'uploads' }],
    );
    editSpec(project, 'apps/worker.yaml', ['volumes'], [{ name: 'files', mountPath: '/srv/uploads', from: 'api' }]);
    const report = await compare(project, dist);
    expect(lines(report)).toEqual([
      'apps/api.yaml:34:19: environments.prod.volumes[0].replaces: PersistentVolumeClaim shop-prod/api-uploads ' +
        '(prod/api/persistentvolumeclaim-api-uploads.yaml): claim api-uploads → api-files | suspend api in this ' +
        'change (npx gitops-synth app suspend api --env prod), publish, copy the data (the steps are ' +
        'printed then), and resume it',
      'apps/api.yaml:37:15: environments.stage.volumes[0].name: PersistentVolumeClaim shop-stage/api-uploads ' +
        '(stage/api/persistentvolumeclaim-api-uploads.yaml): claim api-uploads → api-files | if volume files takes ' +
        'over that data, add replaces: uploads to it, with api suspended while the data is copied (the steps are ' +
        'printed); to start files empty and leave the data aside, remove volume uploads in one publish ' +
        'and add files in the next',
    ]);
    expect(report.refused.map((r) => r.why)).toEqual([
      'the pods of api would start on the new, empty claim before the data of api-uploads is copied into it',
      'the claim of volume uploads leaves the render while api-files appears: the pods would start on the new, ' +
        'empty claim, and the data in api-uploads would be left behind (Argo CD never deletes a claim, ' +
        'but nothing mounts it any more)',
    ]);
  });

  it('a StatefulSet claim template renamed, and the claims copied per replica', async () => {
    const project = baseProject();
    const dist = await rendered(project);
    editSpec(project, 'apps/db.yaml', ['volumes', 0, 'name'], 'pgdata');
    const refusedNow = await compare(project, dist);
    // In each environment: the template removed (at volumes), the one added and the claims renamed (at its name).
    expect(
      refusedNow.refused.map((r) => `${formatProblem(r.at).split(': ')[0]} ${r.field} ${r.old} → ${r.new}`),
    ).toEqual([
      'apps/db.yaml:9:1 spec.volumeClaimTemplates[data] claim template data → (none)',
      'apps/db.yaml:9:1 spec.volumeClaimTemplates[data] claim template data → (none)',
      'apps/db.yaml:10:11 spec.volumeClaimTemplates[pgdata] (none) → claim template pgdata',
      'apps/db.yaml:10:11 claim data-db-<N> → pgdata-db-<N>',
      'apps/db.yaml:10:11 spec.volumeClaimTemplates[pgdata] (none) → claim template pgdata',
      'apps/db.yaml:10:11 claim data-db-<N> → pgdata-db-<N>',
    ]);
    editSpec(project, 'apps/db.yaml', ['volumes', 0, 'replaces'], 'data');
    editSpec(project, 'apps/db.yaml', ['recreate'], ['StatefulSet/db']);
    editSpec(project, 'apps/db.yaml', ['suspended'], true);
    const report = await compare(project, dist);
    expect(report.refused).toEqual([]);
    const copy = report.notes.map((n) => n.join('\n')).find((n) => n.startsWith('prod/db:'))!;
    expect(copy).toContain('3. Resume it (npx gitops-synth app resume db) and publish');
    const loop = copy
      .split('\n')
      .filter((l) => /^ {7}/.test(l))
      .join('\n');
    expect(loop).toContain("sed -n 's#^persistentvolumeclaim/data-db-\\([0-9][0-9]*\\)$#\\1#p'");
    expect(loop).toContain('"metadata":{"name":"pgdata-db-\'"$n"\'"}');
    expect(execFileSync('bash', ['-n'], { input: loop, encoding: 'utf8' })).toBe('');
  });
});

describe('diff marks what publish would refuse', () => {
  const changes: ChangeReport = {
    origin: 'git@example.com:acme/devops.git main:dist at 0123456789ab',
    removals: [
      {
        reason:
          'environment stage is no longer rendered (is environments/stage.yaml gone?): all of it would be removed',
        items: [{ path: 'argocd/applicationset-stage.yaml', what: 'ApplicationSet argocd/stage' }],
        allowWith: 'stage',
      },
    ],
    unmatchedAllowances: [],
    refused: [
      {
        at: { file: 'apps/db.yaml', line: 9, column: 11, field: 'volumes[0].size', message: 'm' },
        file: 'prod/db/statefulset-db.yaml',
        object: 'StatefulSet shop-prod/db',
        field: 'spec.volumeClaimTemplates[data].spec.resources.requests.storage',
        old: '1Gi',
        new: '2Gi',
        why: "a StatefulSet's volumeClaimTemplates never change",
        how: 'add recreate: [StatefulSet/db]',
      },
    ],
    acknowledged: [
      {
        file: 'prod/db/service-db-headless.yaml',
        object: 'Service shop-prod/db-headless',
        field: 'spec.clusterIP',
        old: '(allocated by the cluster)',
        new: 'None',
        by: 'recreated (recreate: in apps/db.yaml)',
      },
    ],
    notes: [['Service shop-prod/db-headless: Argo CD deletes it and creates it again.', 'kubectl …']],
  };
  const report: DiffReport = {
    where: 'git@example.com:acme/devops.git main:dist',
    head: '0123456789abcdef',
    tags: [],
    changes,
    units: [
      {
        unit: 'prod/db',
        environment: 'prod',
        service: 'db',
        status: 'changed',
        files: [
          {
            path: 'prod/db/statefulset-db.yaml',
            status: 'changed',
            objects: [{ label: 'StatefulSet shop-prod/db', status: 'changed' }],
            patch: '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-1Gi\n+2Gi',
          },
          {
            path: 'prod/db/service-db-headless.yaml',
            status: 'changed',
            objects: [{ label: 'Service shop-prod/db-headless', status: 'changed' }],
          },
        ],
      },
    ],
  };

  it(
    'in text: a ! marker and the reason on the object, the removals to confirm, the acknowledged ' +
      'changes and notes',
    () => {
      const text = formatText(report, false);
      expect(text).toContain(
        [
          'Publish would refuse this render:',
          '  Removals that need confirming:',
          '    environment stage is no longer rendered (is environments/stage.yaml gone?): all of it would be removed:',
          '      argocd/applicationset-stage.yaml: ApplicationSet argocd/stage',
          '    To remove it, run again with --allow-removal stage',
          '  Changes the API server refuses as an update (Argo CD would fail the sync):',
          '    apps/db.yaml:9:11: volumes[0].size: m',
        ].join('\n'),
      );
      expect(text).toContain(
        [
          '  ! StatefulSet shop-prod/db  statefulset-db.yaml',
          '      refused by the API server: spec.volumeClaimTemplates[data].spec.resources.requests.storage ' +
            "1Gi → 2Gi: a StatefulSet's volumeClaimTemplates never change",
        ].join('\n'),
      );
      expect(text).toContain(
        [
          '  ~ Service shop-prod/db-headless  service-db-headless.yaml',
          '      acknowledged: spec.clusterIP (allocated by the cluster) → None: ' +
            'recreated (recreate: in apps/db.yaml)',
        ].join('\n'),
      );
      expect(text).toContain(
        '1 folder differs: 0 objects added, 0 removed, 2 changed, 1 change refused by the API server',
      );
      expect(text).toMatch(
        /\ngitops-synth: note: Service shop-prod\/db-headless: Argo CD deletes it .*\n {2}kubectl …\n$/,
      );
    },
  );

  it('in Markdown: a section of what publish refuses, ! in the table, and the acknowledged changes', () => {
    const md = formatMarkdown(report);
    expect(md).toContain('#### Publish would refuse this render');
    expect(md).toContain(
      '- **Removal to confirm:** environment stage is no longer rendered (is environments/stage.yaml ' +
        'gone?): all of it would be removed: `argocd/applicationset-stage.yaml`. Confirm with `--allow-removal ' +
        'stage`.',
    );
    expect(md).toContain(
      '- **! `StatefulSet shop-prod/db`** (`prod/db/statefulset-db.yaml`): ' +
        '`spec.volumeClaimTemplates[data].spec.resources.requests.storage` ' +
        "`1Gi` → `2Gi`: refused by the API server: a StatefulSet's volumeClaimTemplates never change. " +
        'To make this change: add recreate: [StatefulSet/db].',
    );
    expect(md).toContain('| prod | db |  |  | **!** `StatefulSet shop-prod/db`, `Service shop-prod/db-headless` |');
    expect(md).toContain('#### Acknowledged changes the API server refuses as an update');
    expect(md).toContain('<details><summary>Notes</summary>');
  });
});
