import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kustomizeBuild } from '../src/validate/kustomize.js';
import { KUBERNETES_KINDS, SchemaValidator } from '../src/validate/schemas.js';
import { REPO, runCli, snapshotTree, tempDir } from './helpers.js';
import {
  type K8sObject,
  objectsIn,
  only,
  parseObjectFiles,
  podSpec,
  readTree,
  selects,
  suiteDir,
} from './synth-fixtures.js';
import { requireTool } from './system-tools.js';

/**
 * The web-farm example, rendered through the real CLI into a temporary folder
 * (`synth --project examples/webfarm --out ...`): three static web servers
 * behind a reverse proxy whose upstream is the farm's Service.
 */

const EXAMPLE = join(REPO, 'examples', 'webfarm');
const ENVIRONMENTS = { stage: 'webfarm-stage', prod: 'webfarm-prod' } as const;
const DOMAINS = { stage: 'stage.webfarm.example.com', prod: 'webfarm.example.com' } as const;

const out = join(suiteDir('gitops-synth-webfarm-'), 'dist');
let files: Map<string, string>;
let objects: Map<string, K8sObject>;

beforeAll(async () => {
  const r = await runCli(['synth', '--project', EXAMPLE, '--out', out]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  files = readTree(out);
  objects = parseObjectFiles(files);
});

/** The `server host:port` lines of each nginx `upstream` block, and the upstreams `proxy_pass` sends to. */
function nginxUpstreams(conf: string): {
  upstreams: Map<string, { host: string; port: number }[]>;
  proxyPasses: string[];
} {
  const upstreams = new Map<string, { host: string; port: number }[]>();
  for (const block of conf.matchAll(/upstream\s+([\w.-]+)\s*\{([^}]*)\}/g)) {
    upstreams.set(
      block[1]!,
      [...block[2]!.matchAll(/^\s*server\s+([^\s:;]+):(\d+)[^;]*;/gm)].map((m) => ({
        host: m[1]!,
        port: Number(m[2]),
      })),
    );
  }
  const proxyPasses = [...conf.matchAll(/proxy_pass\s+https?:\/\/([^/;\s]+)[^;]*;/g)].map((m) => m[1]!);
  return { upstreams, proxyPasses };
}

function proxyConfig(env: string): string {
  const cm = only(objects, `${env}/proxy`, 'ConfigMap', 'proxy-files');
  const proxy = only(objects, `${env}/proxy`, 'Deployment', 'proxy');
  const mount = podSpec(proxy).containers[0].volumeMounts.find(
    (m: K8sObject) => m.mountPath === '/etc/nginx/conf.d/default.conf',
  );
  expect(mount, "the proxy mounts its config over nginx's default server").toBeDefined();
  return cm.data[mount.subPath];
}

describe('the web-farm example', () => {
  it('renders a farm and a proxy in stage and prod', () => {
    const folders = [...files.keys()]
      .filter((p) => p.endsWith('/app.json'))
      .map((p) => p.slice(0, -'/app.json'.length))
      .sort();
    expect(folders).toEqual(['prod/proxy', 'prod/web', 'stage/proxy', 'stage/web']);
  });

  for (const [env, namespace] of Object.entries(ENVIRONMENTS)) {
    describe(env, () => {
      it("sends the proxy's upstream to the farm's Service DNS name, a Service that selects the farm's pods on the port the upstream uses", () => {
        const { upstreams, proxyPasses } = nginxUpstreams(proxyConfig(env));
        expect(proxyPasses.length).toBeGreaterThan(0);
        for (const name of proxyPasses)
          expect(upstreams.has(name), `proxy_pass to an upstream block named ${name}`).toBe(true);
        const servers = proxyPasses.flatMap((name) => upstreams.get(name)!);
        expect(servers).toEqual([{ host: `web.${namespace}.svc.cluster.local`, port: 8080 }]);
        const { host, port } = servers[0]!;
        const [svcName, svcNamespace, ...rest] = host.split('.');
        expect(rest).toEqual(['svc', 'cluster', 'local']);
        // That Service exists, in that namespace, with that port...
        const service = [...objects.values()].find(
          (o) => o.kind === 'Service' && o.metadata.name === svcName && o.metadata.namespace === svcNamespace,
        );
        expect(service, `Service ${svcName} in ${svcNamespace}`).toBeDefined();
        const servicePort = service!.spec.ports.find((p: K8sObject) => p.port === port);
        expect(servicePort).toBeDefined();
        // ...and selects the farm's pods, whose container serves that port.
        const farm = only(objects, `${env}/web`, 'Deployment', 'web');
        expect(selects(service!.spec.selector, farm.spec.template.metadata.labels)).toBe(true);
        expect(service!.spec.selector).toEqual(farm.spec.selector.matchLabels);
        const containerPort = podSpec(farm).containers[0].ports.find(
          (p: K8sObject) => p.name === servicePort.targetPort,
        );
        expect(containerPort).toMatchObject({ containerPort: 8080 });
        // It selects nothing else: the proxy's own pods are not behind it.
        const proxy = only(objects, `${env}/proxy`, 'Deployment', 'proxy');
        expect(selects(service!.spec.selector, proxy.spec.template.metadata.labels)).toBe(false);
      });

      it('runs three farm replicas with a disruption budget and spread over nodes', () => {
        const farm = only(objects, `${env}/web`, 'Deployment', 'web');
        expect(farm.spec.replicas).toBe(3);
        const pdb = only(objects, `${env}/web`, 'PodDisruptionBudget', 'web');
        expect(selects(pdb.spec.selector.matchLabels, farm.spec.template.metadata.labels)).toBe(true);
        expect(pdb.spec.maxUnavailable).toBe(1);
        expect(podSpec(farm).topologySpreadConstraints).toEqual([
          {
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: farm.spec.selector.matchLabels },
          },
        ]);
      });

      it('exposes only the proxy, on the apex domain: an Ingress in prod, an HTTPRoute on the Gateway in stage', () => {
        const host = DOMAINS[env as keyof typeof DOMAINS];
        const ofKind = (kind: string) =>
          [...objects].filter(([p, o]) => p.startsWith(`${env}/`) && o.kind === kind).map(([, o]) => o);
        if (env === 'prod') {
          expect(ofKind('HTTPRoute')).toEqual([]);
          const ingresses = ofKind('Ingress');
          expect(ingresses.map((i) => i.metadata.name)).toEqual(['proxy']);
          expect(ingresses[0]!.spec.rules).toEqual([
            {
              host,
              http: {
                paths: [
                  { path: '/', pathType: 'Prefix', backend: { service: { name: 'proxy', port: { number: 8080 } } } },
                ],
              },
            },
          ]);
          return;
        }
        expect(ofKind('Ingress')).toEqual([]);
        const route = only(objects, 'stage/proxy', 'HTTPRoute', 'proxy');
        const gateway = only(objects, 'stage/_environment', 'Gateway', 'webfarm');
        expect(route.spec.hostnames).toEqual([host]);
        expect(route.spec.rules).toEqual([
          {
            matches: [{ path: { type: 'PathPrefix', value: '/' } }],
            backendRefs: [{ group: '', kind: 'Service', name: 'proxy', port: 8080 }],
          },
        ]);
        // Attached to the listener of its host, which takes routes from the stage namespace and ends TLS with the
        // host's certificate, issued by cert-manager; plain HTTP is only redirected.
        const [parent] = route.spec.parentRefs;
        expect(parent).toMatchObject({ kind: 'Gateway', name: 'webfarm', namespace: gateway.metadata.namespace });
        const listener = gateway.spec.listeners.find((l: K8sObject) => l.name === parent.sectionName);
        expect(listener).toMatchObject({ hostname: host, port: 443, protocol: 'HTTPS' });
        expect(listener.allowedRoutes.namespaces).toEqual({
          from: 'Selector',
          selector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
        });
        expect(listener.tls).toEqual({
          mode: 'Terminate',
          certificateRefs: [{ group: '', kind: 'Secret', name: 'stage-webfarm-example-com-tls' }],
        });
        expect(gateway.metadata.annotations!['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
        const redirect = only(objects, 'stage/_environment', 'HTTPRoute', 'webfarm.https-redirect');
        expect(redirect.spec.rules[0].filters[0].requestRedirect).toEqual({ scheme: 'https', statusCode: 301 });
        expect(
          gateway.spec.listeners.find((l: K8sObject) => l.name === redirect.spec.parentRefs[0].sectionName),
        ).toMatchObject({ port: 80, protocol: 'HTTP' });
      });

      it('runs both containers as a non-root user without privilege escalation', () => {
        for (const name of ['web', 'proxy']) {
          const spec = podSpec(only(objects, `${env}/${name}`, 'Deployment', name));
          expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 101, runAsGroup: 101 });
          for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
            expect(c.securityContext).toMatchObject({
              allowPrivilegeEscalation: false,
              privileged: false,
              capabilities: { drop: ['ALL'] },
            });
            expect(c.securityContext.runAsUser ?? spec.securityContext.runAsUser).not.toBe(0);
          }
          expect(spec.containers[0].image).toBe('nginxinc/nginx-unprivileged:1.28.0-alpine');
        }
      });

      it('makes the proxy wait for the farm before nginx resolves its upstream', () => {
        const spec = podSpec(only(objects, `${env}/proxy`, 'Deployment', 'proxy'));
        const wait = spec.initContainers.find((c: K8sObject) => c.name === 'wait-for-web');
        expect(Object.fromEntries(wait.env.map((e: K8sObject) => [e.name, e.value]))).toMatchObject({
          WAIT_HOST: `web.${namespace}.svc.cluster.local`,
          WAIT_PORT: '8080',
        });
      });
    });
  }

  it('is valid against the Kubernetes schemas, and kubectl kustomize builds every folder', async () => {
    const validator = new SchemaValidator(KUBERNETES_KINDS);
    const service = [...objects].filter(([p]) => !p.startsWith('argocd/'));
    await validator.prepare(service.map(([, o]) => `${o.apiVersion}/${o.kind}`));
    for (const [path, o] of service) expect(validator.validate(o), path).toEqual([]);
    for (const folder of ['stage/web', 'stage/proxy', 'stage/_environment', 'prod/web', 'prod/proxy']) {
      const built = parseAllDocuments(kustomizeBuild(join(out, folder))).map((d) => d.toJS() as K8sObject);
      expect(built.length, folder).toBe(objectsIn(objects, folder).length);
    }
  });

  it('the committed examples/webfarm/dist is exactly a fresh render (synth and bootstrap)', async () => {
    const fresh = join(tempDir('gitops-synth-webfarm-fresh-'), 'dist');
    expect((await runCli(['synth', '--project', EXAMPLE, '--out', fresh])).code).toBe(0);
    const b = await runCli(['bootstrap', '--project', EXAMPLE, '--out', fresh]);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    expect(snapshotTree(join(EXAMPLE, 'dist'))).toEqual(snapshotTree(fresh));
  });
});

/**
 * The rendered nginx configurations, served by a real nginx where one is
 * installed (apt-get install nginx-light): a request to the proxy reaches the
 * farm. Only the upstream host is pointed at the local farm server, and the
 * ports at free local ones.
 */
const nginxTool = requireTool('nginx');
const nginx = nginxTool.path!;
nginxTool.describe('the web-farm configuration in a real nginx', () => {
  // Made before the hook that stops nginx, so removed after it (after-hooks run last-registered first).
  const dir = suiteDir('gitops-synth-webfarm-nginx-');
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill();
  });

  it('proxies a request to the farm, which names the replica that served it', async () => {
    const [proxyPort, farmPort] = [await freePort(), await freePort()];
    const data = (folder: string, name: string) =>
      only(objects, folder, 'ConfigMap', name).data as Record<string, string>;
    const proxyConf = proxyConfig('prod')
      .replace(/server web\.webfarm-prod\.svc\.cluster\.local:8080;/, `server 127.0.0.1:${farmPort};`)
      .replace('listen 8080;', `listen 127.0.0.1:${proxyPort};`);
    expect(proxyConf).toContain(`server 127.0.0.1:${farmPort};`);
    const web = data('prod/web', 'web-files');
    const farmConf = web['etc_nginx_conf.d_default.conf']!.replace(
      'listen 8080;',
      `listen 127.0.0.1:${farmPort};`,
    ).replace('root /usr/share/nginx/html;', `root ${dir}/html;`);
    // Readable by nginx's workers, which drop to an unprivileged user when the tests run as root.
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'html'));
    writeFileSync(join(dir, 'html', 'index.html'), web['usr_share_nginx_html_index.html']!);
    writeFileSync(join(dir, 'proxy.conf'), proxyConf);
    writeFileSync(join(dir, 'farm.conf'), farmConf);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((t) => `${t}_temp_path ${dir}/${t};`)
      .join(' ');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\n` +
        `http { access_log off; ${temp} include ${dir}/proxy.conf; include ${dir}/farm.conf; }\n`,
    );
    const check = spawnSync(nginx, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    server = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    const response = await retry(() =>
      fetch(`http://127.0.0.1:${proxyPort}/`, { headers: { 'X-Forwarded-Proto': 'https' } }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('x-served-by')).toBeTruthy();
    expect(await response.text()).toContain('<h1>Web farm, prod</h1>');
    expect((await retry(() => fetch(`http://127.0.0.1:${proxyPort}/healthz`))).status).toBe(200);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Retries until nginx listens (it starts in the background); gives up after about ten seconds. */
async function retry(request: () => Promise<Response>): Promise<Response> {
  let last: unknown;
  for (let i = 0; i < 100; i++) {
    try {
      return await request();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw last;
}
