import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { synth } from '../src/pipeline/pipeline.js';
import { kustomizeBuild } from '../src/validate/kustomize.js';
import { KUBERNETES_KINDS, SchemaValidator } from '../src/validate/schemas.js';
import { copyExample, runCli, snapshotTree, tempDir } from './helpers.js';
import {
  allContainers,
  copyExampleInto,
  type K8sObject,
  objectsIn,
  only,
  parseObjectFiles,
  podSpec,
  readTree,
  renderFiles,
  selects,
  serviceFolders,
  suiteDir,
  WORKLOAD_KINDS,
  writeFiles,
} from './synth-fixtures.js';

/** The shipped example, synthesized once (with the real kubectl kustomize) for the whole file. */
const project = copyExampleInto(suiteDir('gitops-synth-example-'));
const dist = join(project, 'dist');
let files: Map<string, string>;
let objects: Map<string, K8sObject>;
let folders: string[];
/** The example's service specs as written, by name. */
let specs: Map<string, Record<string, any>>;

const ENVIRONMENTS = ['prod', 'stage'];
const SERVICES = ['api', 'flower', 'frontend', 'postgres', 'rabbitmq', 'worker'];
const NAMESPACE: Record<string, string> = { prod: 'shop-prod', stage: 'shop-stage' };
const DOMAIN: Record<string, string> = { prod: 'shop.example.com', stage: 'stage.shop.example.com' };

beforeAll(async () => {
  await synth({ projectDir: project });
  files = readTree(dist);
  objects = parseObjectFiles(files);
  folders = serviceFolders(files);
  specs = new Map(
    readdirSync(join(project, 'apps')).map((f) => [
      f.replace(/\.yaml$/, ''),
      parse(readFileSync(join(project, 'apps', f), 'utf8')),
    ]),
  );
});

const workloadOf = (folder: string): K8sObject => {
  const name = folder.split('/')[1]!;
  return objectsIn(objects, folder).find(
    (o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && o.metadata.name === name,
  )!;
};
const mainContainer = (o: K8sObject): K8sObject => podSpec(o).containers[0];
const selectorOf = (folder: string) => {
  const [env, name] = folder.split('/');
  return { 'app.kubernetes.io/instance': `${name}-${env}`, 'app.kubernetes.io/name': name! };
};

describe('the shipped example: layout', () => {
  it('renders one folder per service and environment, each with a workload, a kustomization and an app.json', () => {
    expect(folders).toEqual(ENVIRONMENTS.flatMap((e) => SERVICES.map((s) => `${e}/${s}`)));
    for (const folder of folders) {
      expect(files.has(`${folder}/kustomization.yaml`), folder).toBe(true);
      expect(workloadOf(folder), folder).toBeDefined();
    }
  });

  it('names every object file <kind>-<name>.yaml and puts exactly one object in it, in the environment namespace', () => {
    for (const [path, o] of objects) {
      const [env, , file] = path.split('/');
      expect(file).toBe(`${o.kind.toLowerCase()}-${o.metadata.name}.yaml`);
      expect(parseAllDocuments(files.get(path)!).length, path).toBe(1);
      expect(o.metadata.namespace, path).toBe(NAMESPACE[env!]);
    }
  });

  it('lists every object file of the folder in kustomization.yaml and pins the service image there', () => {
    for (const folder of folders) {
      const kustomization = parse(files.get(`${folder}/kustomization.yaml`)!);
      const objectFiles = [...objects.keys()]
        .filter((p) => p.startsWith(`${folder}/`))
        .map((p) => p.slice(folder.length + 1));
      expect([...kustomization.resources].sort(), folder).toEqual(objectFiles.sort());
      const app = JSON.parse(files.get(`${folder}/app.json`)!);
      expect(kustomization.images, folder).toEqual([{ name: app.image.repository, newTag: app.image.tag }]);
      expect(mainContainer(workloadOf(folder)).image, folder).toBe(`${app.image.repository}:${app.image.tag}`);
    }
  });

  it('writes app.json with the parameters the ApplicationSet needs, taken from the specs', () => {
    for (const folder of folders) {
      const [env, name] = folder.split('/') as [string, string];
      const spec = specs.get(name)!;
      const tag = String(spec.environments?.[env]?.image?.tag ?? spec.image.tag);
      // Other parts of the product may add parameters; these are the ones every ApplicationSet needs.
      expect(JSON.parse(files.get(`${folder}/app.json`)!), folder).toMatchObject({
        service: name,
        environment: env,
        namespace: NAMESPACE[env],
        image: { repository: spec.image.repository, tag, autoUpdate: spec.image.autoUpdate ?? false },
      });
      // The git files generator overwrites a top-level `path` with its own; the folder comes from there.
      expect(JSON.parse(files.get(`${folder}/app.json`)!), folder).not.toHaveProperty('path');
    }
  });
});

describe('the shipped example: validation', () => {
  it('every object of every service folder passes the kubernetes-models schema of its kind', async () => {
    const validator = new SchemaValidator(KUBERNETES_KINDS);
    await validator.prepare([...objects.values()].map((o) => `${o.apiVersion}/${o.kind}`));
    const problems = [...objects].flatMap(([path, o]) => validator.validate(o).map((p) => `${path}: ${p}`));
    expect(problems).toEqual([]);
    expect(objects.size).toBeGreaterThan(40);
  });

  it('every folder builds with the real kubectl kustomize into exactly the objects of its files', () => {
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
    for (const folder of folders) {
      const built = parseAllDocuments(kustomizeBuild(join(dist, folder)))
        .map((d) => d.toJS() as K8sObject)
        .filter(Boolean);
      const expected = objectsIn(objects, folder);
      expect(built.map(key).sort(), folder).toEqual(expected.map(key).sort());
      // Same content too: the images: entry and the version label
      // replacement change nothing while the tag is the rendered one.
      for (const o of expected)
        expect(
          built.find((b) => key(b) === key(o)),
          `${folder} ${key(o)}`,
        ).toEqual(o);
    }
  });
});

describe('the shipped example: no secret values', () => {
  it('contains no Secret object anywhere in dist', () => {
    for (const [path, content] of files) {
      expect(content, path).not.toMatch(/^kind:\s*Secret\s*$/m);
      if (path.endsWith('.yaml'))
        for (const d of parseAllDocuments(content))
          expect((d.toJS() as K8sObject | null)?.kind, path).not.toBe('Secret');
    }
  });

  it('turns every secretEnv entry into a secretKeyRef in the workload and the migration Job, never a value', () => {
    for (const folder of folders) {
      const [env, name] = folder.split('/') as [string, string];
      const spec = specs.get(name)!;
      const secretEnv: Record<string, { secret: string; key: string }> = {
        ...spec.secretEnv,
        ...spec.environments?.[env]?.secretEnv,
      };
      const pods = objectsIn(objects, folder).filter((o) => WORKLOAD_KINDS.includes(o.kind));
      for (const pod of pods) {
        const containerEnv: K8sObject[] = mainContainer(pod).env ?? [];
        for (const [variable, ref] of Object.entries(secretEnv)) {
          const entries = containerEnv.filter((e) => e.name === variable);
          expect(entries, `${folder} ${pod.kind} ${variable}`).toEqual([
            { name: variable, valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } } },
          ]);
        }
      }
    }
    // The example does use secrets: the test above is not vacuous.
    expect(Object.keys(specs.get('api')!.secretEnv)).toContain('DATABASE_PASSWORD');
  });
});

describe('no path for a secret value into dist', () => {
  it('renders none of the values of a Secret the specs reference, wherever else those values live', async () => {
    const values = [
      'pg-Value-7f3a9c1e',
      'mq-Value-0b5d2e8f',
      'tok-Value-c4e1a7b2',
      'dj-Value-9e8d7c6b',
      'fl-Value-1a2b3c4d',
    ];
    const project = copyExample();
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    writeFiles(project, {
      // A purpose-made service referencing a test Secret...
      'apps/notifier.yaml':
        'image: {repository: ghcr.io/acme-shop/notifier, tag: 1.0.0}\nsecretEnv:\n' +
        '  NOTIFY_TOKEN: {secret: notifier-test-secret, key: token}\n',
      // ...whose values sit next to the specs, as a manifest and as a dotenv file.
      'secrets/notifier-test-secret.yaml':
        `apiVersion: v1\nkind: Secret\nmetadata: {name: notifier-test-secret}\n` +
        `data: {token: ${b64(values[2]!)}}\nstringData: {password: ${values[0]}}\n`,
      '.env': `DATABASE_PASSWORD=${values[0]}\nRABBITMQ_PASSWORD=${values[1]}\nNOTIFY_TOKEN=${values[2]}\n`,
    });
    // ...and in the environment of the process, under the names the specs use.
    const env = {
      DATABASE_PASSWORD: values[0],
      POSTGRES_PASSWORD: values[0],
      RABBITMQ_PASSWORD: values[1],
      RABBITMQ_DEFAULT_PASS: values[1],
      NOTIFY_TOKEN: values[2],
      DJANGO_SECRET_KEY: values[3],
      FLOWER_BASIC_AUTH: values[4],
    };
    const r = await runCli(['synth', '--project', project], { env });
    expect(r.code, r.stderr).toBe(0);
    const tree = snapshotTree(join(project, 'dist'));
    const everything = Object.values(tree).join('\n') + r.stdout + r.stderr;
    for (const v of values) {
      expect(everything).not.toContain(v);
      expect(everything).not.toContain(b64(v));
    }
    // The reference itself is there, as a reference.
    const deployment = parse(tree['prod/notifier/deployment-notifier.yaml']!) as K8sObject;
    expect(podSpec(deployment).containers[0].env).toEqual([
      { name: 'NOTIFY_TOKEN', valueFrom: { secretKeyRef: { name: 'notifier-test-secret', key: 'token' } } },
    ]);
    // No Secret is rendered; prod's ExternalSecrets name where the values are, never the values.
    const secretFiles = Object.keys(tree).filter((p) => /^(prod|stage)\//.test(p) && p.includes('secret'));
    expect(secretFiles.filter((p) => !p.startsWith('prod/_environment/externalsecret-'))).toEqual([]);
    expect(secretFiles).toContain('prod/_environment/externalsecret-notifier-test-secret.yaml');
    for (const p of secretFiles) expect(parse(tree[p]!).kind).toBe('ExternalSecret');
  });
});

describe('the shipped example: selectors', () => {
  it('selects pods only by app.kubernetes.io/name and app.kubernetes.io/instance in workloads, Services and PDBs', () => {
    for (const folder of folders) {
      const selector = selectorOf(folder);
      const workload = workloadOf(folder);
      expect(workload.spec.selector, folder).toEqual({ matchLabels: selector });
      expect(selects(selector, workload.spec.template.metadata.labels), folder).toBe(true);
      for (const o of objectsIn(objects, folder)) {
        if (o.kind === 'Service') expect(o.spec.selector, `${folder} ${o.metadata.name}`).toEqual(selector);
        if (o.kind === 'PodDisruptionBudget') expect(o.spec.selector, folder).toEqual({ matchLabels: selector });
      }
    }
  });

  it('carries no cdk8s construct metadata', () => {
    for (const [path, content] of files) {
      expect(content, path).not.toContain('cdk8s.io/metadata.addr');
      expect(content, path).not.toContain('cdk8s');
    }
  });
});

describe('the shipped example: protected data', () => {
  it('marks every PersistentVolumeClaim and every claim template Prune=false,Delete=false, and StatefulSets retain their claims', () => {
    const claims = [...objects.values()].filter((o) => o.kind === 'PersistentVolumeClaim');
    const statefulSets = [...objects.values()].filter((o) => o.kind === 'StatefulSet');
    expect(claims.map((c) => c.metadata.name)).toEqual(['api-uploads', 'api-uploads']);
    expect(statefulSets.map((s) => s.metadata.name).sort()).toEqual(['postgres', 'postgres', 'rabbitmq', 'rabbitmq']);
    for (const c of claims)
      expect(c.metadata.annotations?.['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    for (const s of statefulSets) {
      expect(s.spec.volumeClaimTemplates.length).toBeGreaterThan(0);
      for (const t of s.spec.volumeClaimTemplates)
        expect(t.metadata.annotations?.['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
      expect(s.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    }
  });

  it('mounts the API uploads claim in the workers (volume from another service)', () => {
    for (const env of ENVIRONMENTS) {
      const worker = workloadOf(`${env}/worker`);
      expect(podSpec(worker).volumes).toEqual([
        { name: 'uploads', persistentVolumeClaim: { claimName: 'api-uploads' } },
        { name: 'synth-tmp', emptyDir: {} },
      ]);
      expect(objectsIn(objects, `${env}/worker`).some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    }
  });
});

describe('the shipped example: security defaults', () => {
  it('runs every pod non-root with RuntimeDefault seccomp and no service account token', () => {
    const pods = [...objects.values()].filter((o) => WORKLOAD_KINDS.includes(o.kind));
    expect(pods.length).toBe(14);
    for (const o of pods) {
      const spec = podSpec(o);
      expect(spec.securityContext.runAsNonRoot, o.metadata.name).toBe(true);
      expect(spec.securityContext.seccompProfile, o.metadata.name).toEqual({ type: 'RuntimeDefault' });
      expect(spec.automountServiceAccountToken, o.metadata.name).toBe(false);
      for (const c of allContainers(o)) {
        expect(c.securityContext.allowPrivilegeEscalation, `${o.metadata.name}/${c.name}`).toBe(false);
        expect(c.securityContext.capabilities, `${o.metadata.name}/${c.name}`).toEqual({ drop: ['ALL'] });
        expect(c.securityContext.privileged ?? false, `${o.metadata.name}/${c.name}`).toBe(false);
      }
    }
  });

  it('gives every service exactly one ServiceAccount of its own, used by its workload', () => {
    for (const folder of folders) {
      const name = folder.split('/')[1]!;
      const accounts = objectsIn(objects, folder).filter((o) => o.kind === 'ServiceAccount');
      expect(
        accounts.map((a) => a.metadata.name),
        folder,
      ).toEqual([name]);
      expect(accounts[0]!.automountServiceAccountToken, folder).toBe(false);
      expect(podSpec(workloadOf(folder)).serviceAccountName, folder).toBe(name);
    }
  });

  it('makes root filesystems read-only with a writable /tmp, unless the spec opts out', () => {
    for (const env of ENVIRONMENTS) {
      for (const name of ['api', 'worker', 'flower', 'frontend']) {
        const w = workloadOf(`${env}/${name}`);
        const main = podSpec(w).containers[0];
        expect(main.securityContext.readOnlyRootFilesystem, `${env}/${name}`).toBe(true);
        expect(main.volumeMounts, `${env}/${name}`).toContainEqual({ name: 'synth-tmp', mountPath: '/tmp' });
        expect(podSpec(w).volumes, `${env}/${name}`).toContainEqual({ name: 'synth-tmp', emptyDir: {} });
      }
      for (const name of ['postgres', 'rabbitmq']) {
        const main = podSpec(workloadOf(`${env}/${name}`)).containers[0];
        expect(main.securityContext.readOnlyRootFilesystem, `${env}/${name}`).toBe(false);
        expect(
          main.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/tmp'),
          `${env}/${name}`,
        ).toBe(false);
      }
      const job = objectsIn(objects, `${env}/api`).find((o) => o.kind === 'Job')!;
      expect(podSpec(job).containers[0].volumeMounts).toEqual([{ name: 'synth-tmp', mountPath: '/tmp' }]);
    }
  });

  it('applies the securityContext of the spec (fixed UIDs of the official images)', () => {
    for (const env of ENVIRONMENTS) {
      expect(podSpec(workloadOf(`${env}/postgres`)).securityContext).toMatchObject({
        runAsUser: 999,
        runAsGroup: 999,
        fsGroup: 999,
        runAsNonRoot: true,
      });
      expect(podSpec(workloadOf(`${env}/frontend`)).securityContext).toMatchObject({
        runAsUser: 101,
        runAsGroup: 101,
        runAsNonRoot: true,
      });
    }
  });
});

describe('the shipped example: environment differences', () => {
  it('autoscales the prod API 2–10 on CPU, with no replicas field in its Deployment, a PDB and topology spread', () => {
    const hpa = only(objects, 'prod/api', 'HorizontalPodAutoscaler');
    expect(hpa.spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 10,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
    });
    expect(hpa.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
    ]);
    const deployment = workloadOf('prod/api');
    expect('replicas' in deployment.spec).toBe(false);
    expect(files.get('prod/api/deployment-api.yaml')).not.toMatch(/^\s*replicas:/m);
    expect(only(objects, 'prod/api', 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    expect(podSpec(deployment).topologySpreadConstraints).toHaveLength(1);
  });

  it('runs two prod workers with a PodDisruptionBudget and spread across nodes', () => {
    const worker = workloadOf('prod/worker');
    expect(worker.spec.replicas).toBe(2);
    only(objects, 'prod/worker', 'PodDisruptionBudget');
    expect(podSpec(worker).topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: selectorOf('prod/worker') },
      },
    ]);
  });

  it('runs one replica of every stage service, with no PDB, HPA or topology spread', () => {
    for (const folder of folders.filter((f) => f.startsWith('stage/'))) {
      expect(workloadOf(folder).spec.replicas, folder).toBe(1);
      expect(podSpec(workloadOf(folder)).topologySpreadConstraints, folder).toBeUndefined();
      const kinds = objectsIn(objects, folder).map((o) => o.kind);
      expect(kinds, folder).not.toContain('PodDisruptionBudget');
      expect(kinds, folder).not.toContain('HorizontalPodAutoscaler');
    }
  });

  it('never names a host or namespace of the other environment', () => {
    const hostLike = /[a-z0-9-]+(\.[a-z0-9-]+)*\.example\.com/g;
    // Service folders, and the per-environment Argo CD objects (argocd/<kind>-<env>.yaml).
    const environmentOf = (path: string) =>
      ENVIRONMENTS.find((e) => path.startsWith(`${e}/`) || (path.startsWith('argocd/') && path.endsWith(`-${e}.yaml`)));
    let checked = 0;
    for (const [path, content] of files) {
      const env = environmentOf(path);
      if (!env) continue;
      checked++;
      const other = ENVIRONMENTS.find((e) => e !== env)!;
      expect(content, path).not.toContain(NAMESPACE[other]);
      for (const host of content.match(hostLike) ?? []) {
        const own = host === DOMAIN[env] || host.endsWith(`.${DOMAIN[env]}`);
        // prod's domain is a suffix of stage's: a prod file must not name anything under the stage domain either.
        const otherEnvs = host === DOMAIN[other] || host.endsWith(`.${DOMAIN[other]}`);
        expect(own && !(env === 'prod' && otherEnvs), `${path} names ${host}`).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(70);
  });

  it('resolves ${service:postgres} to the postgres Service in the same environment namespace', () => {
    for (const env of ENVIRONMENTS) {
      const host = `postgres.${NAMESPACE[env]}.svc.cluster.local`;
      for (const name of ['api', 'worker']) {
        const vars = mainContainer(workloadOf(`${env}/${name}`)).env as K8sObject[];
        expect(
          vars.find((v) => v.name === 'DATABASE_HOST'),
          `${env}/${name}`,
        ).toEqual({ name: 'DATABASE_HOST', value: host });
        expect(vars.find((v) => v.name === 'CELERY_BROKER_URL')!.value).toBe(
          `amqp://shop:$(RABBITMQ_PASSWORD)@rabbitmq.${NAMESPACE[env]}.svc.cluster.local:5672/shop`,
        );
      }
      expect(only(objects, `${env}/postgres`, 'Service', 'postgres').metadata.namespace).toBe(NAMESPACE[env]);
    }
  });

  it('uses the prod image tags and resources in prod and the build tags in stage', () => {
    expect(mainContainer(workloadOf('prod/api')).image).toBe('ghcr.io/acme-shop/api:1.4.2');
    expect(mainContainer(workloadOf('stage/api')).image).toBe('ghcr.io/acme-shop/api:3f9c2a1');
    expect(mainContainer(workloadOf('prod/api')).resources).toEqual({
      requests: { cpu: '250m', memory: '512Mi' },
      limits: { memory: '1Gi' },
    });
    expect(mainContainer(workloadOf('stage/api')).resources).toEqual({
      requests: { cpu: '50m', memory: '128Mi' },
      limits: { memory: '256Mi' },
    });
    expect(workloadOf('prod/postgres').spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('50Gi');
    expect(workloadOf('stage/postgres').spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
  });

  it('adds no library defaults: no 1000m CPU anywhere, every image pulled IfNotPresent, no startup probes', () => {
    for (const [path, content] of files) {
      expect(content, path).not.toContain('1000m');
      expect(content, path).not.toContain('startupProbe');
    }
    for (const o of objects.values())
      if (WORKLOAD_KINDS.includes(o.kind))
        for (const c of allContainers(o)) expect(c.imagePullPolicy).toBe('IfNotPresent');
  });
});

describe('the shipped example: migrations and dependencies', () => {
  it('runs the API migrations as a PreSync hook Job with the web container image and environment', () => {
    for (const env of ENVIRONMENTS) {
      const job = only(objects, `${env}/api`, 'Job');
      const web = mainContainer(workloadOf(`${env}/api`));
      expect(job.metadata.annotations).toMatchObject({
        'argocd.argoproj.io/hook': 'PreSync',
        'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
      });
      const migrate = mainContainer(job);
      expect(migrate.image).toBe(web.image);
      expect(migrate.env).toEqual(web.env);
      expect(migrate.command).toEqual(['python', 'manage.py', 'migrate', '--noinput']);
      expect(podSpec(job).restartPolicy).toBe('Never');
      expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(0);
      expect(job.spec.backoffLimit).toBeGreaterThanOrEqual(0);
    }
  });

  it('keeps the migration pod out of the API Service and PodDisruptionBudget', () => {
    for (const env of ENVIRONMENTS) {
      const jobLabels = only(objects, `${env}/api`, 'Job').spec.template.metadata.labels;
      expect(selects(only(objects, `${env}/api`, 'Service').spec.selector, jobLabels)).toBe(false);
      for (const o of objects.values()) {
        if (o.kind === 'Service') expect(selects(o.spec.selector, jobLabels), o.metadata.name).toBe(false);
        if (o.kind === 'PodDisruptionBudget')
          expect(selects(o.spec.selector.matchLabels, jobLabels), o.metadata.name).toBe(false);
      }
    }
  });

  it('makes pods and the migration Job wait for each dependency with a bounded init container', () => {
    for (const env of ENVIRONMENTS) {
      for (const [folder, deps] of [
        [`${env}/api`, ['postgres', 'rabbitmq']],
        [`${env}/worker`, ['postgres', 'rabbitmq']],
        [`${env}/flower`, ['rabbitmq']],
      ] as const) {
        const pods = objectsIn(objects, folder).filter((o) => WORKLOAD_KINDS.includes(o.kind));
        for (const pod of pods) {
          const inits = podSpec(pod).initContainers as K8sObject[];
          expect(
            inits.map((c) => c.name),
            `${folder} ${pod.kind}`,
          ).toEqual(deps.map((d) => `wait-for-${d}`));
          for (const [i, c] of inits.entries()) {
            const vars = Object.fromEntries((c.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
            expect(vars.WAIT_HOST).toBe(`${deps[i]}.${NAMESPACE[env]}.svc.cluster.local`);
            expect(Number(vars.WAIT_TIMEOUT)).toBeGreaterThan(0);
            expect(Number.isInteger(Number(vars.WAIT_TIMEOUT))).toBe(true);
            expect(c.command.join(' ')).toContain('WAIT_TIMEOUT');
          }
        }
      }
      expect(podSpec(workloadOf(`${env}/postgres`)).initContainers).toBeUndefined();
    }
  });
});

describe('the shipped example: ingress', () => {
  it('exposes api and flower on their subdomains and the frontend on the apex, with class, issuer and a TLS secret per host', () => {
    const secrets = new Map<string, string>();
    for (const env of ENVIRONMENTS) {
      for (const [name, host] of [
        ['api', `api.${DOMAIN[env]}`],
        ['flower', `flower.${DOMAIN[env]}`],
        ['frontend', DOMAIN[env]],
      ] as const) {
        const ingress = only(objects, `${env}/${name}`, 'Ingress');
        expect(ingress.spec.ingressClassName).toBe('nginx');
        expect(ingress.metadata.annotations?.['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
        expect(ingress.spec.rules.map((r: K8sObject) => r.host)).toEqual([host]);
        expect(ingress.spec.rules[0].http.paths[0].backend.service.name).toBe(name);
        expect(ingress.spec.tls).toHaveLength(1);
        expect(ingress.spec.tls[0].hosts).toEqual([host]);
        const secret = ingress.spec.tls[0].secretName as string;
        expect(secrets.has(secret), `TLS secret ${secret} used twice`).toBe(false);
        secrets.set(secret, host);
      }
      for (const name of ['postgres', 'rabbitmq', 'worker'])
        expect(objectsIn(objects, `${env}/${name}`).map((o) => o.kind)).not.toContain('Ingress');
    }
  });
});

describe('determinism', () => {
  it('two synths of the same project are byte-identical', async () => {
    const dir = copyExample();
    await synth({ projectDir: dir, outDir: join(dir, 'a'), kustomize: false });
    await synth({ projectDir: dir, outDir: join(dir, 'b'), kustomize: false });
    expect(snapshotTree(join(dir, 'a'))).toEqual(snapshotTree(join(dir, 'b')));
    expect(snapshotTree(join(dir, 'a'))).toEqual(snapshotTree(dist));
  });

  it('does not depend on the order in which apps/ files were created', async () => {
    const example = copyExample();
    const appFiles = readdirSync(join(example, 'apps')).sort();
    const contents = (names: string[]) =>
      Object.fromEntries(names.map((n) => [`apps/${n}`, readFileSync(join(example, 'apps', n), 'utf8')]));
    const envFiles = Object.fromEntries(
      readdirSync(join(example, 'environments')).map((n) => [
        `environments/${n}`,
        readFileSync(join(example, 'environments', n), 'utf8'),
      ]),
    );
    const forward = writeFiles(tempDir(), { ...contents(appFiles), ...envFiles });
    const backward = writeFiles(tempDir(), { ...envFiles, ...contents([...appFiles].reverse()) });
    const a = await renderFiles(forward);
    const b = await renderFiles(backward);
    expect([...b.files]).toEqual([...a.files]);
  });
});

describe('selectors stay put', () => {
  const selectorsAndClaimTemplates = (objs: Map<string, K8sObject>) => {
    const out: Record<string, unknown> = {};
    for (const [path, o] of objs) {
      if (o.kind === 'Deployment' || o.kind === 'StatefulSet')
        out[path] = { selector: o.spec.selector, serviceName: o.spec.serviceName, claims: o.spec.volumeClaimTemplates };
      if (o.kind === 'Service') out[path] = o.spec.selector;
      if (o.kind === 'PodDisruptionBudget') out[path] = o.spec.selector;
    }
    return out;
  };

  it('when services are added and removed', async () => {
    const base = await renderFiles(copyExample());
    const changed = copyExample();
    rmSync(join(changed, 'apps', 'flower.yaml'));
    rmSync(join(changed, 'apps', 'frontend.yaml'));
    writeFileSync(
      join(changed, 'apps', 'mailer.yaml'),
      'image: {repository: ghcr.io/acme-shop/mailer, tag: 1a2b3c4}\nport: 8025\n' +
        'environments: {prod: {image: {tag: 1.0.0}, replicas: 3}}\n',
    );
    const after = await renderFiles(changed);
    const kept = selectorsAndClaimTemplates(after.objects);
    const before = selectorsAndClaimTemplates(base.objects);
    for (const path of Object.keys(kept))
      if (!path.split('/')[1]!.startsWith('mailer')) expect(kept[path], path).toEqual(before[path]);
    expect(Object.keys(kept).filter((p) => /\/(api|worker|postgres|rabbitmq)\//.test(p)).length).toBeGreaterThan(10);
  });

  /** Every tag of the example, moved to another one its environment's policy allows. */
  const NEXT_TAG: Record<string, string> = {
    '3f9c2a1': 'a1b2c3d',
    '9b1e4d7': 'd4c3b2a',
    '1.4.2': '1.5.0',
    '2.3.0': '2.3.1',
    '18.1': '18.2',
    '2.0.1': '2.0.2',
    '4.2.0': '4.2.1',
  };

  it('when every image tag changes (claim templates of StatefulSets included, which are immutable)', async () => {
    const base = await renderFiles(copyExample());
    const changed = copyExample();
    for (const name of readdirSync(join(changed, 'apps'))) {
      const path = join(changed, 'apps', name);
      writeFileSync(
        path,
        readFileSync(path, 'utf8').replace(/tag: "?([0-9a-z.]+)"?/g, (_, tag: string) => `tag: "${NEXT_TAG[tag]}"`),
      );
    }
    const after = await renderFiles(changed);
    expect(mainContainer(after.objects.get('stage/postgres/statefulset-postgres.yaml')!).image).toBe('postgres:18.2');
    expect(mainContainer(after.objects.get('prod/api/deployment-api.yaml')!).image).toBe('ghcr.io/acme-shop/api:1.5.0');
    expect(selectorsAndClaimTemplates(after.objects)).toEqual(selectorsAndClaimTemplates(base.objects));
  });
});
