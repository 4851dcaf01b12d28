import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ServiceStack } from '../src/constructs/service-stack.js';
import { loadProject } from '../src/spec/load.js';
import { resolveProject } from '../src/resolve/resolve.js';
import { synth } from '../src/pipeline/pipeline.js';
import { synthesizeService } from '../src/synth/synthesize-service.js';
import { canonical } from '../src/output/serialize.js';
import { kustomizeBuild } from '../src/validate/kustomize.js';
import { tempDir } from './helpers.js';
import {
  allContainers,
  environmentYaml,
  type K8sObject,
  makeProject,
  objectsIn,
  only,
  podSpec,
  renderFiles,
  SETTINGS_YAML,
  WORKLOAD_KINDS,
  writeFiles,
} from './synth-fixtures.js';

const BACKEND = `
image: {repository: ghcr.io/acme/backend, tag: 1.0.0}
port: 8000
`;

/** A reverse proxy in front of the backend, configured entirely through `files:`. */
const proxy = (config: string) => `
image: {repository: nginxinc/nginx-unprivileged, tag: 1.27.3}
port: 8080
expose: {subdomain: www}
dependsOn: [backend]
files:
  /etc/nginx/conf.d/default.conf: |
${config
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
  /etc/nginx/snippets/headers.conf: |
    add_header X-Frame-Options DENY;
`;
const PROXY_CONFIG = 'server {\n  listen 8080;\n  location / { proxy_pass http://${service:backend}:8000; }\n}';

const mainContainer = (o: K8sObject): K8sObject => podSpec(o).containers[0];

describe('no hidden library defaults', () => {
  it('emits no resources, probes or pull policy the spec and environment do not ask for', async () => {
    const dir = makeProject({ plain: 'image: {repository: ghcr.io/acme/plain, tag: 2.0.0}\nport: 9000\n' });
    const { files, objects } = await renderFiles(dir);
    for (const [path, content] of files) {
      expect(content, path).not.toContain('1000m');
      expect(content, path).not.toContain('512Mi');
      expect(content, path).not.toContain('startupProbe');
      expect(content, path).not.toContain('cdk8s.io/metadata.addr');
    }
    for (const env of ['stage', 'prod']) {
      const deployment = only(objects, `${env}/plain`, 'Deployment');
      const c = mainContainer(deployment);
      expect(c.resources).toBeUndefined();
      expect(c.imagePullPolicy).toBe('IfNotPresent');
      expect(c.readinessProbe).toBeUndefined();
      expect(c.livenessProbe).toBeUndefined();
      expect(deployment.spec.replicas).toBe(1);
      expect(
        objectsIn(objects, `${env}/plain`)
          .map((o) => o.kind)
          .sort(),
        // NetworkPolicies are on by default: the service's own policy comes with it.
      ).toEqual(['Deployment', 'NetworkPolicy', 'Service', 'ServiceAccount']);
    }
  });

  it('emits exactly the resources and probes the spec sets, the probe port defaulting to the first port', async () => {
    const dir = makeProject({
      probed: `
image: {repository: ghcr.io/acme/probed, tag: 2.0.0}
ports: [{name: web, port: 9000}, {name: admin, port: 9001}]
resources: {requests: {cpu: 1500m, memory: 300Mi}, limits: {memory: 600Mi}}
probes:
  startup: {http: /started, failureThreshold: 30}
  readiness: {tcp: admin}
`,
    });
    const c = mainContainer(only((await renderFiles(dir)).objects, 'stage/probed', 'Deployment'));
    expect(c.resources).toEqual({ requests: { cpu: '1500m', memory: '300Mi' }, limits: { memory: '600Mi' } });
    expect(c.startupProbe).toEqual({ httpGet: { path: '/started', port: 9000 }, failureThreshold: 30 });
    expect(c.readinessProbe).toEqual({ tcpSocket: { port: 9001 } });
    expect(c.livenessProbe).toBeUndefined();
  });
});

describe('construct ids never reach the output', () => {
  it('renders the same objects whatever the App, Chart and construct ids and nesting', async () => {
    const dir = makeProject({ backend: BACKEND, proxy: proxy(PROXY_CONFIG) });
    const resolved = resolveProject(loadProject(dir));
    for (const env of resolved.environments) {
      for (const svc of resolved.services.get(env.name)!) {
        const app = new App({ outdir: tempDir() });
        const chart = new Chart(app, `Totally-Different-${svc.name}`);
        new ServiceStack(new Construct(chart, 'Nested'), 'SomeOtherId', { service: svc });
        const elsewhere = chart.toJson().map((o) => canonical(o));
        const shipped = synthesizeService(svc).map((r) => canonical(r.object));
        expect(elsewhere, `${env.name}/${svc.name}`).toEqual(shipped);
        expect(JSON.stringify(shipped)).not.toMatch(/SomeOtherId|Totally-Different|Nested|cdk8s/);
      }
    }
  });
});

describe('security context', () => {
  it('defaults to non-root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp and no token', async () => {
    const { objects } = await renderFiles(makeProject({ backend: BACKEND, proxy: proxy(PROXY_CONFIG) }));
    for (const o of objects.values()) {
      if (o.kind === 'ServiceAccount') expect(o.automountServiceAccountToken).toBe(false);
      if (!WORKLOAD_KINDS.includes(o.kind)) continue;
      expect(podSpec(o).securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(podSpec(o).automountServiceAccountToken).toBe(false);
      for (const c of allContainers(o))
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    }
  });

  it('honours securityContext overrides with the Kubernetes field names, keeping the other defaults', async () => {
    const dir = makeProject({
      legacy: `
image: {repository: ghcr.io/acme/legacy, tag: 1.0.0}
securityContext: {runAsUser: 0, runAsGroup: 0, fsGroup: 2000, runAsNonRoot: false, readOnlyRootFilesystem: true}
environments:
  prod:
    securityContext: {runAsUser: 4242, runAsGroup: 0, fsGroup: 2000, runAsNonRoot: true, readOnlyRootFilesystem: true}
`,
    });
    const { objects } = await renderFiles(dir);
    const stage = only(objects, 'stage/legacy', 'Deployment');
    expect(podSpec(stage).securityContext).toEqual({
      runAsUser: 0,
      runAsGroup: 0,
      fsGroup: 2000,
      runAsNonRoot: false,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(mainContainer(stage).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    const prod = only(objects, 'prod/legacy', 'Deployment');
    expect(podSpec(prod).securityContext).toMatchObject({ runAsUser: 4242, runAsNonRoot: true });
  });
});

describe('files: a ConfigMap mounted at each path', () => {
  it('mounts every file of a reverse proxy at its path from one ConfigMap, with references resolved per environment', async () => {
    const { objects } = await renderFiles(makeProject({ backend: BACKEND, proxy: proxy(PROXY_CONFIG) }));
    for (const env of ['stage', 'prod']) {
      const folder = `${env}/proxy`;
      const configMap = only(objects, folder, 'ConfigMap');
      expect(configMap.metadata.name).toBe('proxy-files');
      const deployment = only(objects, folder, 'Deployment');
      const volume = (podSpec(deployment).volumes as K8sObject[]).find((v) => v.configMap);
      expect(volume!.configMap.name).toBe('proxy-files');
      const mounts = (mainContainer(deployment).volumeMounts as K8sObject[]).filter((m) => m.name === volume!.name);
      const byPath = Object.fromEntries(mounts.map((m) => [m.mountPath, configMap.data[m.subPath]]));
      expect(byPath).toEqual({
        '/etc/nginx/conf.d/default.conf':
          `server {\n  listen 8080;\n` +
          `  location / { proxy_pass http://backend.team-${env}.svc.cluster.local:8000; }\n}\n`,
        '/etc/nginx/snippets/headers.conf': 'add_header X-Frame-Options DENY;\n',
      });
      for (const m of mounts) expect(m.readOnly).toBe(true);
      // Config before the workload.
      expect(Number(configMap.metadata.annotations!['argocd.argoproj.io/sync-wave'])).toBeLessThan(
        Number(deployment.metadata.annotations!['argocd.argoproj.io/sync-wave']),
      );
    }
  });

  it('rolls the pods when a file changes (pod template hash) and keeps every byte when nothing changes', async () => {
    const hashOf = (objects: Map<string, K8sObject>, env: string) =>
      only(objects, `${env}/proxy`, 'Deployment').spec.template.metadata.annotations?.['gitops-synth.io/files-hash'];
    const before = await renderFiles(makeProject({ backend: BACKEND, proxy: proxy(PROXY_CONFIG) }));
    const again = await renderFiles(makeProject({ backend: BACKEND, proxy: proxy(PROXY_CONFIG) }));
    const changed = await renderFiles(
      makeProject({
        backend: BACKEND,
        proxy: proxy(PROXY_CONFIG.replace('listen 8080', 'listen 8080 default_server')),
      }),
    );
    expect([...again.files]).toEqual([...before.files]);
    for (const env of ['stage', 'prod']) {
      expect(hashOf(before.objects, env)).toMatch(/^[0-9a-f]{8,}$/);
      expect(hashOf(changed.objects, env)).not.toBe(hashOf(before.objects, env));
      // Only the proxy changes: the backend's files are untouched.
      for (const [path, content] of before.files)
        if (path.startsWith(`${env}/backend/`)) expect(changed.files.get(path), path).toBe(content);
    }
  });
});

describe('ingress', () => {
  it('takes class and cert-manager issuer from the environment, a TLS secret per host, and the apex without subdomain', async () => {
    const dir = makeProject({
      backend: `${BACKEND}expose: {path: /api}\n`,
      proxy: proxy(PROXY_CONFIG),
    });
    const { objects } = await renderFiles(dir);
    for (const env of ['stage', 'prod']) {
      const apex = only(objects, `${env}/backend`, 'Ingress');
      const www = only(objects, `${env}/proxy`, 'Ingress');
      for (const [ingress, host] of [
        [apex, `${env}.example.org`],
        [www, `www.${env}.example.org`],
      ] as const) {
        expect(ingress.spec.ingressClassName).toBe(`ingress-${env}`);
        expect(ingress.metadata.annotations!['cert-manager.io/cluster-issuer']).toBe(`issuer-${env}`);
        expect(ingress.spec.rules.map((r: K8sObject) => r.host)).toEqual([host]);
        expect(ingress.spec.tls).toEqual([{ hosts: [host], secretName: expect.any(String) }]);
      }
      expect(apex.spec.tls[0].secretName).not.toBe(www.spec.tls[0].secretName);
      expect(apex.spec.rules[0].http.paths).toEqual([
        { path: '/api', pathType: 'Prefix', backend: { service: { name: 'backend', port: { number: 8000 } } } },
      ]);
    }
  });

  it('has no TLS and no issuer annotation in an environment without tls', async () => {
    const env = environmentYaml('dev').replace(/ {2}tls:\n {4}clusterIssuer: issuer-dev\n/, '');
    const { objects } = await renderFiles(
      makeProject({ backend: `${BACKEND}expose: {subdomain: api}\n` }, { dev: env }),
    );
    const ingress = only(objects, 'dev/backend', 'Ingress');
    expect(ingress.spec.tls).toBeUndefined();
    expect(ingress.metadata.annotations?.['cert-manager.io/cluster-issuer']).toBeUndefined();
    expect(ingress.spec.ingressClassName).toBe('ingress-dev');
  });
});

describe('claims', () => {
  it('protects the claims of Deployments and StatefulSets and uses Recreate for a single-attach claim', async () => {
    const dir = makeProject({
      store: `
image: {repository: ghcr.io/acme/store, tag: 1.0.0}
workload: statefulset
port: 7000
volumes:
  - {name: data, mountPath: /data, size: 5Gi}
  - {name: wal, mountPath: /wal, size: 1Gi}
`,
      cache: `
image: {repository: ghcr.io/acme/cache, tag: 1.0.0}
volumes:
  - {name: blobs, mountPath: /blobs, size: 2Gi}
`,
    });
    const { objects } = await renderFiles(dir);
    for (const env of ['stage', 'prod']) {
      const sts = only(objects, `${env}/store`, 'StatefulSet');
      expect(
        sts.spec.volumeClaimTemplates.map((t: K8sObject) => [
          t.metadata.name,
          t.metadata.annotations?.['argocd.argoproj.io/sync-options'],
          t.spec.storageClassName,
        ]),
      ).toEqual([
        ['data', 'Prune=false,Delete=false', 'fast-ssd'],
        ['wal', 'Prune=false,Delete=false', 'fast-ssd'],
      ]);
      expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
      expect(sts.spec.serviceName).toBe('store-headless');
      expect(only(objects, `${env}/store`, 'Service', 'store-headless').spec.clusterIP).toBe('None');
      expect(objectsIn(objects, `${env}/store`).some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);

      const claim = only(objects, `${env}/cache`, 'PersistentVolumeClaim');
      expect(claim.metadata.annotations!['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
      expect(claim.spec).toEqual({
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'fast-ssd',
        resources: { requests: { storage: '2Gi' } },
      });
      expect(only(objects, `${env}/cache`, 'Deployment').spec.strategy).toEqual({ type: 'Recreate' });
    }
  });
});

describe('secretEnv', () => {
  it('becomes a secretKeyRef, declared before the plain variables that expand it', async () => {
    const dir = makeProject({
      mailer: `
image: {repository: ghcr.io/acme/mailer, tag: 1.0.0}
env: {SMTP_URL: "smtp://mailer:$(SMTP_PASSWORD)@smtp.example.org:587"}
secretEnv:
  SMTP_PASSWORD: {secret: smtp-credentials, key: password}
  API_TOKEN: {secret: mailer-tokens, key: api.token}
`,
    });
    const { files, objects } = await renderFiles(dir);
    for (const env of ['stage', 'prod']) {
      expect(mainContainer(only(objects, `${env}/mailer`, 'Deployment')).env).toEqual([
        { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'mailer-tokens', key: 'api.token' } } },
        { name: 'SMTP_PASSWORD', valueFrom: { secretKeyRef: { name: 'smtp-credentials', key: 'password' } } },
        { name: 'SMTP_URL', value: 'smtp://mailer:$(SMTP_PASSWORD)@smtp.example.org:587' },
      ]);
    }
    for (const [path, content] of files) expect(content, path).not.toMatch(/^kind: Secret$/m);
  });
});

describe('dependsOn: bounded waits', () => {
  it('gives the pods and the migration Job one init container per dependency, in the spec order', async () => {
    const dir = makeProject({
      backend: BACKEND,
      queue:
        'image: {repository: ghcr.io/acme/queue, tag: 1.0.0}\nworkload: statefulset\n' +
        'ports: [{name: amqp, port: 5672}]\n',
      app:
        'image: {repository: ghcr.io/acme/app, tag: 1.0.0}\nport: 80\ndependsOn: [queue, backend]\n' +
        'migrations: {command: [migrate], args: [--yes]}\n',
    });
    const { objects } = await renderFiles(dir);
    for (const env of ['stage', 'prod']) {
      const deployment = only(objects, `${env}/app`, 'Deployment');
      const job = only(objects, `${env}/app`, 'Job');
      const waits = (o: K8sObject) =>
        (podSpec(o).initContainers as K8sObject[]).map((c) => [
          c.name,
          c.env.find((e: K8sObject) => e.name === 'WAIT_HOST').value,
          c.env.find((e: K8sObject) => e.name === 'WAIT_PORT').value,
        ]);
      const expected = [
        ['wait-for-queue', `queue.team-${env}.svc.cluster.local`, '5672'],
        ['wait-for-backend', `backend.team-${env}.svc.cluster.local`, '8000'],
      ];
      expect(waits(deployment)).toEqual(expected);
      expect(waits(job)).toEqual(expected);
      expect(mainContainer(job)).toMatchObject({
        command: ['migrate'],
        args: ['--yes'],
        image: 'ghcr.io/acme/app:1.0.0',
      });
      for (const c of podSpec(job).initContainers) expect(c.resources.limits.memory).toBeDefined();
    }
  });

  it('gives up after the timeout with a log line naming the dependency, and passes once it accepts connections', async () => {
    const { objects } = await renderFiles(makeProject({ backend: BACKEND, proxy: proxy(PROXY_CONFIG) }));
    const wait = podSpec(only(objects, 'stage/proxy', 'Deployment')).initContainers[0] as K8sObject;
    expect(wait.command.slice(0, 2)).toEqual(['sh', '-c']);
    // busybox nc is not on the test machine: a stand-in that
    // makes a real TCP connection as `nc -z -w N host port` does.
    const bin = tempDir();
    writeFileSync(
      join(bin, 'nc'),
      `#!${process.execPath}\nconst [w, host, port] = process.argv.slice(-3);\n` +
        "const s = require('node:net').connect({host, port: Number(port)}, () => { s.end(); process.exit(0); });\n" +
        "s.on('error', () => process.exit(1));\nsetTimeout(() => process.exit(1), Number(w) * 1000);\n",
    );
    // The loop's clock (date +%s) moves only when it sleeps, never with the load on the machine: a slow
    // attempt cannot use up the timeout, so each run takes the same steps however busy the machine is.
    writeFileSync(join(bin, 'date'), '#!/bin/sh\n[ "$1" = "+%s" ] || exit 64\ncat "$CLOCK_FILE"\n');
    writeFileSync(join(bin, 'sleep'), '#!/bin/sh\necho $(( $(cat "$CLOCK_FILE") + $1 )) > "$CLOCK_FILE"\n');
    for (const tool of ['nc', 'date', 'sleep']) chmodSync(join(bin, tool), 0o755);
    const run = (port: number, timeout: number) =>
      new Promise<{ code: number | null; out: string; clock: number }>((resolve) => {
        const clock = join(tempDir(), 'clock');
        writeFileSync(clock, '1700000000\n');
        const env = {
          PATH: `${bin}:${process.env.PATH}`,
          CLOCK_FILE: clock,
          WAIT_SERVICE: 'backend',
          WAIT_HOST: '127.0.0.1',
          WAIT_PORT: String(port),
          WAIT_TIMEOUT: String(timeout),
        };
        const p = spawn('sh', ['-c', wait.command[2]], { env });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.on('close', (code) => resolve({ code, out, clock: Number(readFileSync(clock, 'utf8')) - 1700000000 }));
      });

    const server: Server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const open = (server.address() as { port: number }).port;
    try {
      const up = await run(open, 30);
      expect(up.code, up.out).toBe(0);
      expect(up.out).toContain(`gitops-synth: backend (127.0.0.1:${open}) accepts connections`);
    } finally {
      await new Promise((r) => server.close(r));
    }
    // The port was just released: nothing listens there any more. One attempt, one wait of 2 s, a second
    // attempt, then the deadline (1 s) has passed.
    const down = await run(open, 1);
    expect(down.code).toBe(1);
    expect(down.out).toBe(
      `gitops-synth: waiting for backend (127.0.0.1:${open}) to accept connections\n` +
        `gitops-synth: gave up waiting for backend (127.0.0.1:${open}) after 1s\n`,
    );
    expect(down.clock).toBe(2);
  });
});

describe('version label', () => {
  it('leaves out the version label for a tag longer than a label value, and the folder still builds with kubectl kustomize', async () => {
    const tag = `build-${'0123456789'.repeat(7)}`;
    const dir = makeProject(
      {
        longtag:
          `image: {repository: ghcr.io/acme/longtag, tag: ${tag}, autoUpdate: true}\nport: 80\n` +
          `migrations: {command: [migrate]}\n`,
      },
      {
        stage: environmentYaml('stage').replace(
          'imagePolicy: {strategy: newest-build}',
          'imagePolicy: {strategy: newest-build, allowTags: any}',
        ),
      },
    );
    await synth({ projectDir: dir });
    const built = kustomizeBuild(join(dir, 'dist', 'stage', 'longtag'));
    expect(built).toContain(`image: ghcr.io/acme/longtag:${tag}`);
    expect(built).not.toContain('app.kubernetes.io/version');
  });
});

describe('purpose-made projects pass the same checks as the example', () => {
  it('renders schema-valid objects for every construct (files, claims, statefulset, migrations, autoscaling)', async () => {
    const dir = writeFiles(tempDir(), {
      'environments/_settings.yaml': SETTINGS_YAML,
      'environments/prod.yaml': environmentYaml('prod'),
      'apps/backend.yaml':
        `${BACKEND}resources: {requests: {memory: 200Mi}}\n` +
        `autoscaling: {minReplicas: 3, maxReplicas: 6, targetMemoryUtilization: 80}\n` +
        `migrations: {command: [migrate]}\n`,
      'apps/proxy.yaml': proxy(PROXY_CONFIG),
      'apps/store.yaml':
        'image: {repository: ghcr.io/acme/store, tag: 1.0.0}\nworkload: statefulset\nreplicas: 3\n' +
        'port: 7000\nvolumes: [{name: data, mountPath: /data, size: 1Gi}]\n',
    });
    // renderFiles throws a ValidationError when any object fails its schema.
    const { objects } = await renderFiles(dir);
    const kinds = [...objects.values()].map((o) => o.kind);
    for (const kind of ['ConfigMap', 'StatefulSet', 'Job', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Ingress'])
      expect(kinds).toContain(kind);
    expect(only(objects, 'prod/backend', 'HorizontalPodAutoscaler').spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
    ]);
    expect('replicas' in only(objects, 'prod/backend', 'Deployment').spec).toBe(false);
    expect(only(objects, 'prod/store', 'PodDisruptionBudget').spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'store',
      'app.kubernetes.io/instance': 'store-prod',
    });
  });
});
