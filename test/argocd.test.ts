import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadImageUpdaterModel } from '../src/argocd/image-updater-schema.js';
import { ARGOCD_KINDS } from '../src/argocd/schemas.js';
import { tagAllowed } from '../src/resolve/image-tags.js';
import { SpecError } from '../src/spec/errors.js';
import { synth } from '../src/pipeline/pipeline.js';
import { KUBERNETES_KINDS, SchemaValidator } from '../src/validate/schemas.js';
import {
  filesPattern,
  generateApplication,
  generateApplications,
  gitFilesParams,
  repositoryFiles,
  TemplateError,
} from './argocd-appset-emulator.js';
import { crdProblems, crdSchema, crdSchemaReader, haveCrds } from './crd-check.js';
import { copyExample, REPO, runCli, snapshotTree, tempDir } from './helpers.js';

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  [key: string]: any;
};

const REPO_URL = 'https://github.com/acme-shop/shop-deploy.git';
const REPO_PATH = 'dist';
const SERVICES = ['api', 'flower', 'frontend', 'postgres', 'rabbitmq', 'worker'];
const AUTO_UPDATED = ['api', 'frontend', 'worker'];
const IU = 'argocd-image-updater.argoproj.io/';

/** The Argo CD objects of a rendered tree, by file name. */
function argoObjects(out: string): Record<string, Obj> {
  const dir = join(out, 'argocd');
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => [f, parse(readFileSync(join(dir, f), 'utf8')) as Obj]),
  );
}

function ofKind(objects: Record<string, Obj>, kind: string): Obj[] {
  return Object.values(objects).filter((o) => o.kind === kind);
}

function byName(objects: Record<string, Obj>, kind: string, name: string): Obj {
  const found = ofKind(objects, kind).find((o) => o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

/** The Applications the ApplicationSets of a rendered tree generate. */
function applications(out: string): Obj[] {
  return ofKind(argoObjects(out), 'ApplicationSet').flatMap((s) => generateApplications(s, out, REPO_PATH));
}

/** Go's filepath.Match for names without "/". */
function globMatch(pattern: string, name: string): boolean {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(name);
}

/** Whether an ImageUpdater selects an Application (namePattern and label selector of any of its refs). */
function selects(updater: Obj, app: Obj): boolean {
  return updater.spec.applicationRefs.some(
    (ref: { namePattern: string; labelSelectors?: { matchLabels?: Record<string, string> } }) =>
      updater.metadata.namespace === app.metadata.namespace &&
      globMatch(ref.namePattern, app.metadata.name) &&
      Object.entries(ref.labelSelectors?.matchLabels ?? {}).every(([k, v]) => app.metadata.labels?.[k] === v),
  );
}

function edit(dir: string, file: string, change: (text: string) => string): void {
  const path = join(dir, file);
  const before = readFileSync(path, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`edit of ${file} changed nothing`);
  writeFileSync(path, after);
}

/** Problems of a synth that must fail with a SpecError. */
async function specProblems(projectDir: string, outDir: string): Promise<SpecError['problems']> {
  const error = await synth({ projectDir, outDir, kustomize: false }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'synth should have failed').toBeInstanceOf(SpecError);
  return (error as SpecError).problems;
}

// One render of the shipped example, shared by the read-only tests below.
let suite: string;
let example: string;
beforeAll(async () => {
  suite = mkdtempSync(join(tmpdir(), 'gitops-synth-argocd-'));
  for (const part of ['apps', 'environments'])
    cpSync(join(REPO, part), join(suite, 'project', part), { recursive: true });
  example = join(suite, 'dist');
  await synth({ projectDir: join(suite, 'project'), outDir: example });
});
afterAll(() => rmSync(suite, { recursive: true, force: true }));

describe('dist/argocd/ of the example', () => {
  it('holds the root Application, per environment its objects, the Argo CD ConfigMaps and the UI Ingress', () => {
    expect(readdirSync(join(example, 'argocd')).sort()).toEqual([
      'README.md',
      'application-argocd-config.yaml',
      'application-prod-environment.yaml',
      'application-stage-environment.yaml',
      'applicationset-prod.yaml',
      'applicationset-stage.yaml',
      'appproject-argocd-config.yaml',
      'appproject-prod.yaml',
      'appproject-stage.yaml',
      'configmap-argocd-cm.yaml',
      'configmap-argocd-image-updater-config.yaml',
      'configmap-argocd-rbac-cm.yaml',
      'imageupdater-prod.yaml',
      'imageupdater-stage.yaml',
      'ingress-argocd-server.yaml',
    ]);
    for (const o of Object.values(argoObjects(example)))
      expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe('argocd');
  });

  it('passes the Argo CD, Kubernetes and ImageUpdater schemas, and so does every Application the ApplicationSets generate', async () => {
    const objects = [...Object.values(argoObjects(example)), ...applications(example)];
    const validator = new SchemaValidator(KUBERNETES_KINDS, ARGOCD_KINDS);
    await validator.prepare(objects.map((o) => `${o.apiVersion}/${o.kind}`));
    for (const o of objects) expect(validator.validate(o), `${o.kind} ${o.metadata.name}`).toEqual([]);
  });

  it.skipIf(!haveCrds())(
    'uses only fields the Argo CD v3.5.1 and Image Updater v1.3.0 CRDs declare, with their types and enums',
    () => {
      const objects = [...Object.values(argoObjects(example)), ...applications(example)].filter(
        (o) => o.kind !== 'ConfigMap' && o.kind !== 'Ingress',
      );
      expect(new Set(objects.map((o) => o.kind))).toEqual(
        new Set(['Application', 'ApplicationSet', 'AppProject', 'ImageUpdater']),
      );
      const schemaOf = crdSchemaReader();
      for (const o of objects) expect(crdProblems(schemaOf(o.kind), o), `${o.kind} ${o.metadata.name}`).toEqual([]);
    },
  );

  it('renders byte-identical output twice', async () => {
    const again = join(suite, 'again');
    await synth({ projectDir: join(suite, 'project'), outDir: again, kustomize: false });
    expect(snapshotTree(join(again, 'argocd'))).toEqual(snapshotTree(join(example, 'argocd')));
  });
});

describe('ApplicationSets', () => {
  it('are safe from the start: Go templates with missingkey=error, Applications never deleted by the controller, no cascading-delete finalizer', () => {
    const sets = ofKind(argoObjects(example), 'ApplicationSet');
    expect(sets.map((s) => s.metadata.name).sort()).toEqual(['prod', 'stage']);
    for (const s of sets) {
      expect(s.spec.goTemplate).toBe(true);
      expect(s.spec.goTemplateOptions).toEqual(['missingkey=error']);
      expect(s.spec.syncPolicy).toEqual({ preserveResourcesOnDeletion: true, applicationsSync: 'create-update' });
      expect(s.spec.template.metadata.finalizers).toBeUndefined();
      expect(s.spec.generators).toEqual([
        { git: { repoURL: REPO_URL, revision: 'main', files: [{ path: `dist/${s.metadata.name}/*/app.json` }] } },
      ]);
    }
    for (const app of applications(example)) expect(app.metadata.finalizers, app.metadata.name).toBeUndefined();
  });

  it("select exactly each service's app.json, with Argo CD's strict and its default (greedy) file globbing", () => {
    const files = repositoryFiles(example, REPO_PATH);
    for (const env of ['stage', 'prod']) {
      const expected = SERVICES.map((s) => `dist/${env}/${s}/app.json`);
      for (const greedy of [false, true])
        expect(
          files.filter((f) => filesPattern(`dist/${env}/*/app.json`, greedy).test(f)),
          `${env}, greedy ${greedy}`,
        ).toEqual(expected);
    }
  });

  it('generate, for every example service, the Application expected: name, project, path, destination, sync policy', () => {
    const automated = { prune: true, selfHeal: true };
    const expected = (service: string, env: 'stage' | 'prod') => ({
      name: `${service}-${env}`,
      labels: {
        'app.kubernetes.io/managed-by': 'gitops-synth',
        'app.kubernetes.io/part-of': 'shop',
        'gitops-synth/environment': env,
        'gitops-synth/service': service,
      },
      spec: {
        project: env,
        source: { repoURL: REPO_URL, targetRevision: 'main', path: `dist/${env}/${service}` },
        destination: { server: 'https://kubernetes.default.svc', namespace: `shop-${env}` },
        syncPolicy: {
          // Both environments sync by themselves: in prod the release (a semver tag) is the gate.
          automated,
          syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'],
          retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
        },
      },
    });
    const apps = applications(example);
    expect(apps.map((a) => a.metadata.name).sort()).toEqual(
      ['prod', 'stage'].flatMap((e) => SERVICES.map((s) => `${s}-${e}`)).sort(),
    );
    for (const app of apps) {
      const [service, env] = [
        app.metadata.labels!['gitops-synth/service']!,
        app.metadata.labels!['gitops-synth/environment'] as 'stage' | 'prod',
      ];
      expect({ name: app.metadata.name, labels: app.metadata.labels, spec: app.spec }, app.metadata.name).toEqual(
        expected(service, env),
      );
      expect(app.metadata.annotations, app.metadata.name).toBeUndefined();
    }
  });

  it("apply a service's sync override through templatePatch, leaving the other services with the environment's policy", async () => {
    const dir = copyExample();
    edit(dir, 'apps/postgres.yaml', (s) =>
      s.replace('environments:\n', 'environments:\n  stage:\n    sync: {automated: false}\n'),
    );
    edit(dir, 'apps/rabbitmq.yaml', (s) => `${s}sync: {selfHeal: false}\n`);
    // A manual gate for prod with a weekend freeze, and one service opting back in to automated syncs.
    edit(dir, 'environments/prod.yaml', (s) =>
      s.replace(
        '  automated: true\n',
        '  automated: false\n  windows:\n' +
          '    - {kind: deny, schedule: "0 18 * * 5", duration: 62h, timeZone: Europe/Berlin}\n',
      ),
    );
    edit(dir, 'apps/frontend.yaml', (s) =>
      s.replace('    replicas: 2\n', '    replicas: 2\n    sync: {automated: true}\n'),
    );
    const out = join(dir, 'dist');
    await synth({ projectDir: dir, outDir: out, kustomize: false });
    const policy = Object.fromEntries(applications(out).map((a) => [a.metadata.name, a.spec.syncPolicy.automated]));
    expect(policy['postgres-stage']).toBeUndefined();
    expect(policy['rabbitmq-stage']).toEqual({ prune: true, selfHeal: false });
    expect(policy['api-stage']).toEqual({ prune: true, selfHeal: true });
    expect(policy['frontend-prod']).toEqual({ prune: true, selfHeal: true });
    expect(policy['rabbitmq-prod']).toBeUndefined();
    expect(policy['api-prod']).toBeUndefined();
    expect(byName(argoObjects(out), 'AppProject', 'prod').spec.syncWindows).toEqual([
      {
        kind: 'deny',
        schedule: '0 18 * * 5',
        duration: '62h',
        timeZone: 'Europe/Berlin',
        manualSync: false,
        applications: ['*'],
      },
    ]);
    expect(byName(argoObjects(out), 'AppProject', 'stage').spec.syncWindows).toBeUndefined();
  });

  it('read only parameters every app.json has (missingkey=error would stop the whole ApplicationSet otherwise)', () => {
    const set = byName(argoObjects(example), 'ApplicationSet', 'prod');
    const params = gitFilesParams(set, example, REPO_PATH);
    expect(params).toHaveLength(SERVICES.length);
    for (const p of params) expect(() => generateApplication(set, p)).not.toThrow();
    const { sync: _sync, ...withoutSync } = params[0];
    expect(() => generateApplication(set, withoutSync)).toThrow(TemplateError);
  });
});

describe('image policies', () => {
  it('move stage to the newest short-sha build and prod to the newest strict semver release within the constraint', () => {
    const objects = argoObjects(example);
    const stage = byName(objects, 'ImageUpdater', 'stage');
    const prod = byName(objects, 'ImageUpdater', 'prod');
    expect(stage.spec.commonUpdateSettings).toEqual({
      updateStrategy: 'newest-build',
      forceUpdate: false,
      allowTags: 'regexp:^[0-9a-f]{7}$',
    });
    expect(prod.spec.commonUpdateSettings).toEqual({
      updateStrategy: 'semver',
      forceUpdate: false,
      allowTags: 'regexp:^v?[0-9]+\\.[0-9]+\\.[0-9]+$',
    });
    const images = (u: Obj) =>
      u.spec.applicationRefs.map((r: { images: { imageName: string }[] }) => r.images[0]!.imageName);
    expect(images(stage)).toEqual(['ghcr.io/acme-shop/api', 'ghcr.io/acme-shop/frontend', 'ghcr.io/acme-shop/api']);
    // The frontend follows its own release line (its image.policy in prod), the API and workers the environment's.
    expect(images(prod)).toEqual([
      'ghcr.io/acme-shop/api:^1.4',
      'ghcr.io/acme-shop/frontend:^2.3',
      'ghcr.io/acme-shop/api:^1.4',
    ]);
    // What the filters let through: a build sha never reaches prod, even an all-digit one.
    const prodTags = prod.spec.commonUpdateSettings.allowTags;
    expect(['1.4.3', 'v1.5.0'].map((t) => tagAllowed(t, prodTags))).toEqual([true, true]);
    expect(['1234567', '3f9c2a1', '1.4.3-rc.1', 'latest'].map((t) => tagAllowed(t, prodTags))).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(['3f9c2a1', '1234567'].map((t) => tagAllowed(t, stage.spec.commonUpdateSettings.allowTags))).toEqual([
      true,
      true,
    ]);
    expect(['1.4.3', '3f9c2a1b'].map((t) => tagAllowed(t, stage.spec.commonUpdateSettings.allowTags))).toEqual([
      false,
      false,
    ]);
  });

  it('write back through git to the devops branch, into the default .argocd-source-<app>.yaml', () => {
    for (const u of ofKind(argoObjects(example), 'ImageUpdater')) {
      expect(u.spec.writeBackConfig).toEqual({
        method: 'git:secret:argocd/devops-repo-creds',
        gitConfig: { repository: REPO_URL, branch: 'main' },
      });
      for (const ref of u.spec.applicationRefs)
        expect(ref.images[0].manifestTargets).toEqual({ kustomize: { name: ref.images[0].imageName.split(':')[0] } });
    }
  });

  it('match each auto-updated Application with exactly one ImageUpdater and pinned services with none', () => {
    const updaters = ofKind(argoObjects(example), 'ImageUpdater');
    for (const app of applications(example)) {
      const service = app.metadata.labels!['gitops-synth/service']!;
      expect(updaters.filter((u) => selects(u, app)).length, app.metadata.name).toBe(
        AUTO_UPDATED.includes(service) ? 1 : 0,
      );
    }
    for (const u of updaters) for (const ref of u.spec.applicationRefs) expect(ref.namePattern).not.toMatch(/[*?[]/);
  });
});

describe('imageUpdater: annotations', () => {
  async function renderWith(version: string): Promise<string> {
    const dir = copyExample();
    edit(dir, 'environments/_settings.yaml', (s) =>
      s
        .replace('imageUpdater: crd', 'imageUpdater: annotations')
        .replace('imageUpdater: v1.3.0', `imageUpdater: ${version}`),
    );
    const out = join(dir, 'dist');
    await synth({ projectDir: dir, outDir: out, kustomize: false });
    return out;
  }

  it('puts the legacy annotations on auto-updated Applications only, through the ApplicationSet template', async () => {
    const out = await renderWith('v0.18.0');
    const apps = Object.fromEntries(applications(out).map((a) => [a.metadata.name, a]));
    const common = {
      [`${IU}write-back-method`]: 'git:secret:argocd/devops-repo-creds',
      [`${IU}git-repository`]: REPO_URL,
      [`${IU}git-branch`]: 'main',
    };
    expect(apps['api-stage']!.metadata.annotations).toEqual({
      [`${IU}image-list`]: 'api=ghcr.io/acme-shop/api',
      [`${IU}update-strategy`]: 'newest-build',
      [`${IU}allow-tags`]: 'regexp:^[0-9a-f]{7}$',
      ...common,
    });
    expect(apps['worker-prod']!.metadata.annotations).toEqual({
      [`${IU}image-list`]: 'worker=ghcr.io/acme-shop/api:^1.4',
      [`${IU}update-strategy`]: 'semver',
      [`${IU}allow-tags`]: 'regexp:^v?[0-9]+\\.[0-9]+\\.[0-9]+$',
      ...common,
    });
    for (const app of Object.values(apps)) {
      const auto = AUTO_UPDATED.includes(app.metadata.labels!['gitops-synth/service']!);
      expect(app.metadata.annotations !== undefined, app.metadata.name).toBe(auto);
      // The sync policy still comes through the same patch.
      expect(app.spec.syncPolicy.syncOptions).toEqual(['CreateNamespace=true', 'ServerSideApply=true']);
    }
    expect(apps['frontend-prod']!.metadata.annotations![`${IU}image-list`]).toBe(
      'frontend=ghcr.io/acme-shop/frontend:^2.3',
    );
    // v0.x has no ImageUpdater CRD: it reads the annotations by itself.
    expect(ofKind(argoObjects(out), 'ImageUpdater')).toEqual([]);
  });

  it('with Image Updater v1.2+, adds one useAnnotations ImageUpdater per environment that selects exactly the annotated Applications', async () => {
    const out = await renderWith('v1.3.0');
    const updaters = ofKind(argoObjects(out), 'ImageUpdater');
    expect(updaters.map((u) => u.metadata.name).sort()).toEqual(['prod', 'stage']);
    for (const u of updaters)
      expect(u.spec.applicationRefs.every((r: { useAnnotations?: boolean }) => r.useAnnotations === true)).toBe(true);
    for (const app of applications(out)) {
      const auto = AUTO_UPDATED.includes(app.metadata.labels!['gitops-synth/service']!);
      expect(updaters.filter((u) => selects(u, app)).length, app.metadata.name).toBe(auto ? 1 : 0);
    }
    const validator = new SchemaValidator(ARGOCD_KINDS);
    await validator.prepare([`${IU}v1alpha1/ImageUpdater`]);
    for (const u of updaters) expect(validator.validate(u)).toEqual([]);
    if (haveCrds()) for (const u of updaters) expect(crdProblems(crdSchema('ImageUpdater'), u)).toEqual([]);
  });

  it('escapes every templated value: a hostile app.json value stays one string and adds no keys', async () => {
    const out = await renderWith('v0.18.0');
    const set = byName(argoObjects(out), 'ApplicationSet', 'stage');
    const params = gitFilesParams(set, out, REPO_PATH).find((p) => p.service === 'api');
    const hostile = 'ghcr.io/x"\n  injected: "yes\n{{ .service }}';
    const app = generateApplication(set, { ...params, image: { ...params.image, repository: hostile } });
    expect(app.metadata.annotations[`${IU}image-list`]).toBe(`api=${hostile}`);
    expect(Object.keys(app.metadata.annotations)).not.toContain('injected');
    expect(app.spec.injected).toBeUndefined();
  });
});

describe('the ImageUpdater schema', () => {
  const valid = (): Obj => ({
    apiVersion: `${IU}v1alpha1`,
    kind: 'ImageUpdater',
    metadata: { name: 'stage', namespace: 'argocd' },
    spec: {
      commonUpdateSettings: { updateStrategy: 'newest-build', allowTags: 'regexp:^[0-9a-f]{7}$' },
      writeBackConfig: { method: 'git:secret:argocd/devops-repo-creds', gitConfig: { branch: 'main' } },
      applicationRefs: [
        {
          namePattern: 'api-stage',
          images: [
            {
              alias: 'api',
              imageName: 'ghcr.io/acme/api',
              manifestTargets: { kustomize: { name: 'ghcr.io/acme/api' } },
            },
          ],
        },
      ],
    },
  });
  async function problems(o: Obj): Promise<string> {
    const Model = await loadImageUpdaterModel();
    try {
      new Model(o).validate();
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  }

  it('accepts a complete v1 resource', async () => {
    expect(await problems(valid())).toBe('');
    if (haveCrds()) expect(crdProblems(crdSchema('ImageUpdater'), valid())).toEqual([]);
  });

  it('rejects a misspelled or deprecated update strategy, naming the field and the strategies it takes', async () => {
    for (const strategy of ['newest_build', 'latest', 'semvr']) {
      const o = valid();
      o.spec.commonUpdateSettings.updateStrategy = strategy;
      const message = await problems(o);
      expect(message).toContain('/spec/commonUpdateSettings/updateStrategy');
      expect(message).toContain('semver, newest-build, alphabetical, digest');
    }
    const inImage = valid();
    inImage.spec.applicationRefs[0].images[0].commonUpdateSettings = { updateStrategy: 'newest' };
    expect(await problems(inImage)).toContain('/spec/applicationRefs/0/images/0/commonUpdateSettings/updateStrategy');
  });

  it('rejects unknown fields, the v1.0 spec.namespace included', async () => {
    const o = valid();
    o.spec.namespace = 'argocd';
    expect(await problems(o)).toContain('unknown field "namespace"');
    const p = valid();
    p.spec.applicationRefs[0].images[0].tag = '1.0.0';
    expect(await problems(p)).toContain('/spec/applicationRefs/0/images/0: unknown field "tag"');
  });

  it('rejects a ref without images unless it reads annotations, two manifest targets, a bad allowTags and duplicate list keys', async () => {
    const noImages = valid();
    delete noImages.spec.applicationRefs[0].images;
    expect(await problems(noImages)).toContain("must have required property 'images'");
    noImages.spec.applicationRefs[0].useAnnotations = true;
    expect(await problems(noImages)).toBe('');
    const twoTargets = valid();
    twoTargets.spec.applicationRefs[0].images[0].manifestTargets.helm = { name: 'image.repository' };
    expect(await problems(twoTargets)).toContain('manifestTargets');
    const badTags = valid();
    badTags.spec.commonUpdateSettings.allowTags = '^[0-9a-f]{7}$';
    expect(await problems(badTags)).toContain('/spec/commonUpdateSettings/allowTags');
    const duplicate = valid();
    duplicate.spec.applicationRefs.push(structuredClone(duplicate.spec.applicationRefs[0]));
    expect(await problems(duplicate)).toContain('"api-stage" is listed twice');
  });
});

describe('Argo CD configuration', () => {
  it('argocd-cm: public URL, GitHub login limited to the organisation with the client secret referenced, admin off, healthy Ingresses on bare metal', () => {
    const cm = byName(argoObjects(example), 'ConfigMap', 'argocd-cm');
    expect(cm.metadata.labels!['app.kubernetes.io/part-of']).toBe('argocd');
    expect(cm.data.url).toBe('https://argo.shop.example.com');
    expect(cm.data['admin.enabled']).toBe('false');
    // No web terminal into production pods unless the settings turn it on.
    expect(cm.data['exec.enabled']).toBe('false');
    const dex = parse(cm.data['dex.config']);
    expect(dex.connectors).toEqual([
      {
        type: 'github',
        id: 'github',
        name: 'GitHub',
        config: {
          clientID: '$dex.github.clientID',
          clientSecret: '$dex.github.clientSecret',
          orgs: [{ name: 'acme-shop' }],
          teamNameField: 'slug',
        },
      },
    ]);
    const lua = cm.data['resource.customizations.health.networking.k8s.io_Ingress'];
    expect(lua).toMatch(/^hs = \{\}\nhs\.status = "Healthy"\n/);
    expect(lua).toContain('return hs');
  });

  it('argocd-rbac-cm: read-only for everyone, the GitHub team mapped to an admin role written out, nothing broader', () => {
    const rbac = byName(argoObjects(example), 'ConfigMap', 'argocd-rbac-cm');
    expect(rbac.data['policy.default']).toBe('role:readonly');
    expect(rbac.data.scopes).toBe('[groups]');
    expect(rbac.data['policy.csv'].trim().split('\n')).toEqual([
      'p, role:team-admin, applications, *, */*, allow',
      'p, role:team-admin, applicationsets, *, */*, allow',
      'p, role:team-admin, projects, *, *, allow',
      'p, role:team-admin, repositories, *, *, allow',
      'p, role:team-admin, logs, get, */*, allow',
      'g, acme-shop:devops, role:team-admin',
    ]);
  });

  it('argocd.webTerminal: true turns the web terminal on and lets the admin team (only) open it', async () => {
    const dir = copyExample();
    edit(dir, 'environments/_settings.yaml', (s) => s.replace(/^argocd:\n/m, 'argocd:\n  webTerminal: true\n'));
    const out = join(dir, 'dist');
    await synth({ projectDir: dir, outDir: out, kustomize: false });
    const objects = argoObjects(out);
    expect(byName(objects, 'ConfigMap', 'argocd-cm').data['exec.enabled']).toBe('true');
    const policy = byName(objects, 'ConfigMap', 'argocd-rbac-cm').data['policy.csv'];
    expect(policy.split('\n').filter((l: string) => l.includes(', exec, '))).toEqual([
      'p, role:team-admin, exec, create, */*, allow',
    ]);
    expect(byName(objects, 'ConfigMap', 'argocd-rbac-cm').data['policy.default']).toBe('role:readonly');
  });

  it('without SSO: no Dex, the local admin kept, no group mapped', async () => {
    const dir = copyExample();
    edit(dir, 'environments/_settings.yaml', (s) => s.replace(/^sso:\n( {2}.*\n)+/m, ''));
    const out = join(dir, 'dist');
    await synth({ projectDir: dir, outDir: out, kustomize: false });
    const objects = argoObjects(out);
    const cm = byName(objects, 'ConfigMap', 'argocd-cm');
    expect(cm.data['dex.config']).toBeUndefined();
    expect(cm.data['admin.enabled']).toBeUndefined();
    expect(byName(objects, 'ConfigMap', 'argocd-rbac-cm').data['policy.csv']).not.toMatch(/^g, /m);
  });

  it('argocd-image-updater-config: the registries of the settings', () => {
    const cm = byName(argoObjects(example), 'ConfigMap', 'argocd-image-updater-config');
    expect(parse(cm.data['registries.conf'])).toEqual({
      registries: [{ name: 'ghcr.io', prefix: 'ghcr.io', api_url: 'https://ghcr.io' }],
    });
  });

  it('the UI Ingress on argo.<prod domain> with TLS from the cluster issuer', () => {
    const ing = byName(argoObjects(example), 'Ingress', 'argocd-server');
    expect(ing.metadata.annotations!['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
    expect(ing.spec.ingressClassName).toBe('nginx');
    expect(ing.spec.rules[0].host).toBe('argo.shop.example.com');
    expect(ing.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'argocd-server', port: { name: 'https' } });
    expect(ing.spec.tls).toEqual([{ hosts: ['argo.shop.example.com'], secretName: 'argocd-server-tls' }]);
  });

  it('AppProjects fence each environment: the devops repository, its own cluster and namespace, no cluster-scoped kind but Namespace', () => {
    const objects = argoObjects(example);
    for (const env of ['stage', 'prod']) {
      const p = byName(objects, 'AppProject', env);
      expect(p.spec.sourceRepos).toEqual([REPO_URL]);
      expect(p.spec.destinations).toEqual([{ server: 'https://kubernetes.default.svc', namespace: `shop-${env}` }]);
      expect(p.spec.clusterResourceWhitelist).toEqual([{ group: '', kind: 'Namespace' }]);
    }
    // The example syncs at any time in both environments (sync windows are an option, see below).
    for (const env of ['stage', 'prod']) expect(byName(objects, 'AppProject', env).spec.syncWindows).toBeUndefined();
  });

  it('the root Application syncs dist/argocd/ itself, server-side, in a project limited to those kinds in the Argo CD namespace', () => {
    const objects = argoObjects(example);
    const root = byName(objects, 'Application', 'argocd-config');
    expect(root.metadata.finalizers).toBeUndefined();
    expect(root.spec.source).toEqual({
      repoURL: REPO_URL,
      targetRevision: 'main',
      path: 'dist/argocd',
      directory: { recurse: false },
    });
    expect(root.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'argocd' });
    expect(root.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(root.spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
    const project = byName(objects, 'AppProject', root.spec.project);
    expect(project.spec.clusterResourceWhitelist).toBeUndefined();
    expect(project.spec.destinations).toEqual([root.spec.destination]);
    const kinds = new Set(project.spec.namespaceResourceWhitelist.map((k: { kind: string }) => k.kind));
    for (const o of Object.values(objects)) expect(kinds.has(o.kind), o.kind).toBe(true);
    // Argo CD's own ConfigMaps belong to its install: never pruned or deleted.
    for (const cm of ofKind(objects, 'ConfigMap'))
      expect(cm.metadata.annotations!['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
  });

  it('dist/argocd/README.md gives the one server-side bootstrap command, for the folder the root Application syncs', () => {
    const readme = readFileSync(join(example, 'argocd', 'README.md'), 'utf8');
    const commands = readme.split('\n').filter((l) => l.startsWith('kubectl '));
    expect(commands).toEqual(['kubectl apply --server-side --force-conflicts -f dist/argocd/']);
    expect(byName(argoObjects(example), 'Application', 'argocd-config').spec.source.path).toBe('dist/argocd');
    expect(readme).toContain('dex.github.clientSecret');
    expect(readme).toContain('devops-repo-creds');
  });
});

describe('the devops repository URL', () => {
  it('for a project in a subfolder of its clone, points Argo CD at the folder the settings name', async () => {
    const clone = tempDir();
    execFileSync('git', ['init', '-q', clone]);
    execFileSync('git', ['-C', clone, 'remote', 'add', 'origin', 'git@github.com:acme/monorepo.git']);
    const dir = join(clone, 'deploy', 'shop');
    for (const part of ['apps', 'environments']) cpSync(join(REPO, part), join(dir, part), { recursive: true });
    edit(dir, 'environments/_settings.yaml', (s) =>
      s
        .replace(/^ {2}url: .*$/m, '  url: git@github.com:acme/monorepo.git')
        .replace(/^ {2}path: .*$/m, '  path: deploy/shop/dist'),
    );
    const out = join(dir, 'dist');
    await synth({ projectDir: dir, outDir: out, kustomize: false });
    const objects = argoObjects(out);
    // Exactly as written: never rewritten from the clone's remote, whatever protocol that uses.
    expect(byName(objects, 'ApplicationSet', 'prod').spec.generators[0].git).toEqual({
      repoURL: 'git@github.com:acme/monorepo.git',
      revision: 'main',
      files: [{ path: 'deploy/shop/dist/prod/*/app.json' }],
    });
    expect(byName(objects, 'Application', 'argocd-config').spec.source.path).toBe('deploy/shop/dist/argocd');
    expect(readFileSync(join(out, 'argocd', 'README.md'), 'utf8')).toContain(
      'kubectl apply --server-side --force-conflicts -f deploy/shop/dist/argocd/',
    );
    const apps = ofKind(objects, 'ApplicationSet').flatMap((set) => generateApplications(set, out, 'deploy/shop/dist'));
    expect(apps.map((a) => a.spec.source.path).sort()).toEqual(
      ['prod', 'stage'].flatMap((e) => SERVICES.map((svc) => `deploy/shop/dist/${e}/${svc}`)).sort(),
    );
  });

  it('refuses a repository.url with credentials in it', async () => {
    const dir = copyExample();
    edit(dir, 'environments/_settings.yaml', (s) =>
      s.replace(
        'https://github.com/acme-shop/shop-deploy.git',
        'https://bot:t0ken@github.com/acme-shop/shop-deploy.git',
      ),
    );
    const problems = await specProblems(dir, join(dir, 'dist'));
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'environments/_settings.yaml',
        field: 'repository.url',
        message: expect.stringContaining('without credentials'),
      }),
    ]);
  });

  it('is required, and never taken from the clone it would point at, writing nothing', async () => {
    const dir = copyExample();
    edit(dir, 'environments/_settings.yaml', (s) => s.replace(/^ {2}url: .*\n/m, ''));
    execFileSync('git', ['init', '-q', dir]);
    execFileSync('git', ['-C', dir, 'remote', 'add', 'origin', 'https://github.com/acme/devops.git']);
    const problems = await specProblems(dir, join(dir, 'dist'));
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'environments/_settings.yaml',
        field: 'repository.url',
        message: expect.stringMatching(/^is required; expected the URL of the devops repository Argo CD reads/),
      }),
    ]);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });

  it('must be one Argo CD can reach: a local path, file:// or plain http is refused', async () => {
    for (const url of ['/srv/git/devops.git', 'file:///srv/git/devops.git', '../devops', 'http://git.local/devops']) {
      const dir = copyExample();
      edit(dir, 'environments/_settings.yaml', (s) => s.replace(REPO_URL, url));
      const problems = await specProblems(dir, join(dir, 'dist'));
      expect(problems, url).toEqual([
        expect.objectContaining({
          file: 'environments/_settings.yaml',
          field: 'repository.url',
          message: expect.stringContaining('expected a URL Argo CD can reach'),
        }),
      ]);
    }
  });
});

describe('a tag written back by Image Updater', () => {
  it('survives two synths: .argocd-source-<app>.yaml beside the kustomization is never touched', async () => {
    const dir = copyExample();
    const out = join(dir, 'dist');
    await synth({ projectDir: dir, outDir: out });
    const file = join(out, 'stage', 'api', '.argocd-source-api-stage.yaml');
    const writtenBack = 'kustomize:\n  images:\n  - ghcr.io/acme-shop/api:0badc0d\n';
    writeFileSync(file, writtenBack);
    const rendered = snapshotTree(out);
    for (let run = 1; run <= 2; run++) {
      const result = await synth({ projectDir: dir, outDir: out });
      expect(result.preserved, `run ${run}`).toEqual(['stage/api/.argocd-source-api-stage.yaml']);
      expect(readFileSync(file, 'utf8'), `run ${run}`).toBe(writtenBack);
      expect(snapshotTree(out), `run ${run}`).toEqual(rendered);
    }
    // synth itself never writes such a file.
    const fresh = join(dir, 'fresh');
    await synth({ projectDir: dir, outDir: fresh, kustomize: false });
    expect(Object.keys(snapshotTree(fresh)).filter((p) => p.includes('.argocd-source'))).toEqual([]);
  });
});

describe('bad input', () => {
  const cases: { name: string; file: string; field: string; message: string; change: (dir: string) => void }[] = [
    {
      name: 'an unknown image update strategy',
      file: 'environments/prod.yaml',
      field: 'imagePolicy.strategy',
      message: 'expected strategy newest-build or semver',
      change: (d) => edit(d, 'environments/prod.yaml', (s) => s.replace('strategy: semver', 'strategy: latest')),
    },
    {
      name: 'a semver constraint that does not parse',
      file: 'environments/prod.yaml',
      field: 'imagePolicy.constraint',
      message: 'expected a semver range',
      change: (d) => edit(d, 'environments/prod.yaml', (s) => s.replace('constraint: ^1.4', 'constraint: ^1.4.x.y')),
    },
    {
      name: 'an allowTags that is not a regular expression',
      file: 'environments/stage.yaml',
      field: 'imagePolicy.allowTags',
      message: 'expected a valid regular expression',
      change: (d) =>
        edit(d, 'environments/stage.yaml', (s) =>
          s.replace('strategy: newest-build', 'strategy: newest-build\n  allowTags: "regexp:^[0-9a-f{7}$"'),
        ),
    },
    {
      name: 'an allowTags Go cannot compile (a lookahead)',
      file: 'environments/stage.yaml',
      field: 'imagePolicy.allowTags',
      message: 'RE2',
      change: (d) =>
        edit(d, 'environments/stage.yaml', (s) =>
          s.replace('strategy: newest-build', 'strategy: newest-build\n  allowTags: "regexp:^(?!0000000)[0-9a-f]{7}$"'),
        ),
    },
    {
      name: 'a permissive prod policy (any tag)',
      file: 'environments/prod.yaml',
      field: 'imagePolicy.allowTags',
      message: 'accepts an all-digit short commit sha',
      change: (d) =>
        edit(d, 'environments/prod.yaml', (s) => s.replace('constraint: ^1.4', 'constraint: ^1.4\n  allowTags: any')),
    },
    {
      name: 'a prod tag filter that lets an all-digit sha through',
      file: 'environments/prod.yaml',
      field: 'imagePolicy.allowTags',
      message: 'accepts an all-digit short commit sha',
      change: (d) =>
        edit(d, 'environments/prod.yaml', (s) =>
          s.replace('constraint: ^1.4', 'constraint: ^1.4\n  allowTags: "regexp:^v?[0-9]+(\\\\.[0-9]+)*$"'),
        ),
    },
    {
      name: 'SSO without an organisation',
      file: 'environments/_settings.yaml',
      field: 'sso.github.organization',
      message: 'is required',
      change: (d) => edit(d, 'environments/_settings.yaml', (s) => s.replace('    organization: acme-shop\n', '')),
    },
    {
      name: 'an unknown Image Updater mode',
      file: 'environments/_settings.yaml',
      field: 'imageUpdater',
      message: 'expected crd or annotations',
      change: (d) =>
        edit(d, 'environments/_settings.yaml', (s) => s.replace('imageUpdater: crd', 'imageUpdater: crds')),
    },
    {
      name: 'CRD mode with an Image Updater too old for the v1.2 resource shape',
      file: 'environments/_settings.yaml',
      field: 'versions.imageUpdater',
      message: 'v1.2.0 or later',
      change: (d) =>
        edit(d, 'environments/_settings.yaml', (s) => s.replace('imageUpdater: v1.3.0', 'imageUpdater: v1.1.0')),
    },
    {
      name: 'annotations mode with an Image Updater that reads no annotations (v1.0)',
      file: 'environments/_settings.yaml',
      field: 'versions.imageUpdater',
      message: 'cannot do either',
      change: (d) =>
        edit(d, 'environments/_settings.yaml', (s) =>
          s
            .replace('imageUpdater: crd', 'imageUpdater: annotations')
            .replace('imageUpdater: v1.3.0', 'imageUpdater: v1.0.2'),
        ),
    },
    {
      name: 'an unknown environment for the UI Ingress',
      file: 'environments/_settings.yaml',
      field: 'argocd.ingressEnvironment',
      message: 'unknown environment "production"',
      change: (d) =>
        edit(d, 'environments/_settings.yaml', (s) =>
          s.replace('  namespace: argocd', '  namespace: argocd\n  ingressEnvironment: production'),
        ),
    },
    {
      name: 'a sync window with a broken schedule',
      file: 'environments/prod.yaml',
      field: 'sync.windows[0].schedule',
      message: 'expected a cron schedule',
      change: (d) =>
        edit(d, 'environments/prod.yaml', (s) =>
          s.replace('sync:\n', 'sync:\n  windows:\n    - {kind: deny, schedule: "Friday 18:00", duration: 62h}\n'),
        ),
    },
    {
      name: 'a misspelled sync override in a service',
      file: 'apps/frontend.yaml',
      field: 'environments.prod.sync.automatic',
      message: 'did you mean "automated"',
      change: (d) =>
        edit(d, 'apps/frontend.yaml', (s) =>
          s.replace('    replicas: 2\n', '    replicas: 2\n    sync: {automatic: true}\n'),
        ),
    },
    {
      name: "an environment named like Argo CD's default project",
      file: 'environments/default.yaml',
      field: '',
      message: "Argo CD's default project",
      change: (d) =>
        writeFileSync(
          join(d, 'environments', 'default.yaml'),
          readFileSync(join(d, 'environments', 'stage.yaml'), 'utf8').replace(
            'namespace: shop-stage',
            'namespace: shop-x',
          ),
        ),
    },
  ];

  for (const c of cases) {
    it(`${c.name}: a clear error naming the file and field, nothing written`, async () => {
      const dir = copyExample();
      const out = join(dir, 'dist');
      await synth({ projectDir: dir, outDir: out, kustomize: false });
      const before = snapshotTree(out);
      c.change(dir);
      const problems = await specProblems(dir, out);
      expect(problems).toContainEqual(
        expect.objectContaining({ file: c.file, field: c.field, message: expect.stringContaining(c.message) }),
      );
      expect(snapshotTree(out)).toEqual(before);
    });
  }

  it('two environments whose Application names collide', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'environments'));
    mkdirSync(join(dir, 'apps'));
    cpSync(join(REPO, 'environments', '_settings.yaml'), join(dir, 'environments', '_settings.yaml'));
    for (const env of ['prod', 'x-prod']) {
      writeFileSync(
        join(dir, 'environments', `${env}.yaml`),
        `namespace: shop-${env}\ndomain: ${env}.example.com\ncluster: https://kubernetes.default.svc\n` +
          `ingress: {className: nginx}\nimagePolicy: {strategy: semver}\n`,
      );
    }
    // Pinned, unexposed services: nothing but their Application names clashes.
    cpSync(join(REPO, 'apps', 'rabbitmq.yaml'), join(dir, 'apps', 'api.yaml'));
    cpSync(join(dir, 'apps', 'api.yaml'), join(dir, 'apps', 'api-x.yaml'));
    const problems = await specProblems(dir, join(dir, 'dist'));
    expect(problems).toContainEqual(
      expect.objectContaining({
        file: 'apps/api.yaml',
        message: expect.stringContaining('is named "api-x-prod", like that of service "api-x" in environment prod'),
      }),
    );
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });

  it('the CLI exits non-zero, prints file, line and field, and leaves dist/ as it was', async () => {
    const dir = copyExample();
    const out = join(dir, 'dist');
    await synth({ projectDir: dir, outDir: out, kustomize: false });
    const before = snapshotTree(out);
    edit(dir, 'environments/_settings.yaml', (s) => s.replace('imageUpdater: crd', 'imageUpdater: crds'));
    const r = await runCli(['synth', '--project', dir, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /environments\/_settings\.yaml:\d+:\d+: imageUpdater: got "crds"; expected crd or annotations/,
    );
    expect(snapshotTree(out)).toEqual(before);
  });
});
