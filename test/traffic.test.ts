import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildArgoCd } from '../src/argocd/render.js';
import { bootstrapPlan } from '../src/bootstrap/plan.js';
import { renderProject } from '../src/pipeline/pipeline.js';
import { resolveProject } from '../src/resolve/resolve.js';
import { loadProject } from '../src/spec/load.js';
import { KUBERNETES_KINDS, SchemaValidator } from '../src/validate/schemas.js';
import { crdSchemaReader, haveCrds, objectCrdProblems } from './crd-check.js';
import { REPO, specProblems } from './helpers.js';
import {
  environmentYaml,
  type K8sObject,
  makeProject,
  only,
  renderFiles,
  SETTINGS_YAML,
  writeFiles,
} from './synth-fixtures.js';

/**
 * Routing (Ingress or Gateway API routes, several services on one host by
 * path) and secrets from a secret manager (ExternalSecrets), on purpose-made
 * projects and on both shipped examples, in process.
 */

type Json = any;

/** Every object of a real render, with its path. */
async function renderedObjects(dir: string): Promise<[string, K8sObject][]> {
  const { tree } = await renderProject(dir);
  return tree
    .entries()
    .filter(([p]) => p.endsWith('.yaml') && !p.endsWith('kustomization.yaml') && !p.startsWith('bootstrap/'))
    .map(([p, c]) => [p, parse(c) as K8sObject]);
}

/**
 * The backend a request for `host` and `path` goes to, as ingress-nginx and
 * Gateway API implementations both choose: among the rules of the host whose
 * prefix matches element-wise (`/api` matches `/api` and `/api/x`, not
 * `/apix`), the longest prefix.
 */
function routeRequest(rules: { host: string; prefix: string; backend: string }[], host: string, path: string) {
  const matches = (prefix: string) => {
    const p = prefix.replace(/\/+$/, '');
    return p === '' || path === p || path.startsWith(`${p}/`);
  };
  const candidates = rules.filter((r) => r.host === host && matches(r.prefix));
  candidates.sort((a, b) => b.prefix.replace(/\/+$/, '').length - a.prefix.replace(/\/+$/, '').length);
  return candidates[0]?.backend;
}

const FRONTEND = 'image: {repository: ghcr.io/acme/frontend, tag: 1.0.0}\nport: 8080\nexpose: {}\n';
const API = 'image: {repository: ghcr.io/acme/api, tag: 1.0.0}\nport: 8000\nexpose: {path: /api}\n';
const DOCS = 'image: {repository: ghcr.io/acme/docs, tag: 1.0.0}\nport: 8080\nexpose: {subdomain: docs}\n';

const GATEWAY_ENV = (name: string, extra = '') =>
  [
    `namespace: team-${name}`,
    `domain: ${name}.example.org`,
    'cluster: https://kubernetes.default.svc',
    'gateway:',
    '  name: public',
    `  namespace: gateway-${name}`,
    '  className: eg',
    '  tls: {clusterIssuer: letsencrypt}',
    `imagePolicy: {strategy: ${name === 'prod' ? 'semver' : 'newest-build'}}`,
    extra,
  ].join('\n');

describe('several services on one host, by path', () => {
  it('routes / to the frontend and /api to the API through Ingresses sharing one certificate', async () => {
    const dir = makeProject({ frontend: FRONTEND, api: API, docs: DOCS });
    const { objects } = await renderFiles(dir);
    for (const env of ['stage', 'prod']) {
      const host = `${env}.example.org`;
      const front = only(objects, `${env}/frontend`, 'Ingress');
      const api = only(objects, `${env}/api`, 'Ingress');
      const docs = only(objects, `${env}/docs`, 'Ingress');
      const rules = [front, api, docs].flatMap((i) =>
        i.spec.rules.flatMap((r: Json) =>
          r.http.paths.map((p: Json) => ({ host: r.host, prefix: p.path, backend: p.backend.service.name })),
        ),
      );
      expect(routeRequest(rules, host, '/')).toBe('frontend');
      expect(routeRequest(rules, host, '/api')).toBe('api');
      expect(routeRequest(rules, host, '/api/orders/1')).toBe('api');
      expect(routeRequest(rules, host, '/apix')).toBe('frontend');
      expect(routeRequest(rules, `docs.${host}`, '/api')).toBe('docs');
      // One certificate Secret per host, in the same tls block of every Ingress on it...
      expect(front.spec.tls).toEqual([{ hosts: [host], secretName: `${host.replace(/\./g, '-')}-tls` }]);
      expect(api.spec.tls).toEqual(front.spec.tls);
      // ...and one Ingress (the shortest path's) asks cert-manager for it, so one Certificate owns it.
      expect(front.metadata.annotations!['cert-manager.io/cluster-issuer']).toBe(`issuer-${env}`);
      expect(api.metadata.annotations?.['cert-manager.io/cluster-issuer']).toBeUndefined();
      expect(docs.metadata.annotations!['cert-manager.io/cluster-issuer']).toBe(`issuer-${env}`);
    }
  });

  it('routes by path through HTTPRoutes on the listener of the host, one listener per host', async () => {
    const dir = makeProject(
      { frontend: FRONTEND, api: API, docs: DOCS },
      { stage: GATEWAY_ENV('stage'), prod: environmentYaml('prod') },
    );
    const { objects } = await renderFiles(dir);
    const routes = ['frontend', 'api', 'docs'].map((s) => only(objects, `stage/${s}`, 'HTTPRoute'));
    expect(['frontend', 'api', 'docs'].flatMap((s) => objects.get(`stage/${s}/ingress-${s}.yaml`) ?? [])).toEqual([]);
    const rules = routes.flatMap((r) =>
      r.spec.hostnames.flatMap((host: string) =>
        r.spec.rules.map((rule: Json) => ({
          host,
          prefix: rule.matches[0].path.value,
          backend: rule.backendRefs[0].name,
        })),
      ),
    );
    expect(routeRequest(rules, 'stage.example.org', '/')).toBe('frontend');
    expect(routeRequest(rules, 'stage.example.org', '/api/x')).toBe('api');
    expect(routeRequest(rules, 'docs.stage.example.org', '/')).toBe('docs');
    const gateway = only(objects, 'stage/_environment', 'Gateway', 'public');
    expect(gateway.metadata.namespace).toBe('gateway-stage');
    const https = gateway.spec.listeners.filter((l: Json) => l.protocol === 'HTTPS');
    expect(https.map((l: Json) => l.hostname).sort()).toEqual(['docs.stage.example.org', 'stage.example.org']);
    for (const route of routes) {
      const [parent] = route.spec.parentRefs;
      const listener = gateway.spec.listeners.find((l: Json) => l.name === parent.sectionName);
      expect(listener.hostname).toBe(route.spec.hostnames[0]);
      expect(parent).toMatchObject({ name: 'public', namespace: 'gateway-stage' });
    }
    // The Gateway's namespace is a destination of the environment's AppProject; its proxies reach the exposed ports.
    const resolved = resolveProject(loadProject(dir));
    const project = buildArgoCd({ project: loadProject(dir), resolved }).objects.find(
      (o) => o.object.kind === 'AppProject' && o.object.metadata.name === 'stage',
    )!.object as Json;
    expect(project.spec.destinations.map((d: Json) => d.namespace)).toEqual(['team-stage', 'gateway-stage']);
    const policy = only(objects, 'stage/api', 'NetworkPolicy');
    expect(policy.spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway-stage' } } }],
      ports: [{ port: 8000, protocol: 'TCP' }],
    });
    expect(bootstrapPlan(resolved).environments.find((e) => e.name === 'stage')!.gatewayNamespace).toBe(
      'gateway-stage',
    );
  });

  it('publishes the Argo CD UI through the Gateway of its ingress environment (plain HTTP behind it)', async () => {
    const dir = makeProject({ frontend: FRONTEND }, { stage: GATEWAY_ENV('stage'), prod: environmentYaml('prod') });
    writeFiles(dir, {
      'environments/_settings.yaml': `${SETTINGS_YAML}argocd: {ingressEnvironment: stage}\n`,
    });
    const { files, objects } = await renderFiles(dir);
    const argocd = [...files]
      .filter(([p]) => p.startsWith('argocd/') && p.endsWith('.yaml'))
      .map(([, c]) => parse(c) as K8sObject);
    expect(argocd.filter((o) => o.kind === 'Ingress')).toEqual([]);
    const route = argocd.find((o) => o.kind === 'HTTPRoute')!;
    expect(route.metadata.namespace).toBe('argocd');
    expect(route.spec.hostnames).toEqual(['argo.stage.example.org']);
    expect(route.spec.rules[0].backendRefs).toEqual([{ group: '', kind: 'Service', name: 'argocd-server', port: 80 }]);
    const params = argocd.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'argocd-cmd-params-cm')!;
    expect(params.data).toEqual({ 'server.insecure': 'true' });
    // The rendered Gateway has a listener for the UI's host that takes routes from Argo CD's namespace only.
    const gateway = only(objects, 'stage/_environment', 'Gateway', 'public');
    const listener = gateway.spec.listeners.find((l: Json) => l.name === route.spec.parentRefs[0].sectionName);
    expect(listener).toMatchObject({ hostname: 'argo.stage.example.org', protocol: 'HTTPS' });
    expect(listener.allowedRoutes.namespaces.selector).toEqual({
      matchLabels: { 'kubernetes.io/metadata.name': 'argocd' },
    });
    if (haveCrds()) expect(objectCrdProblems(crdSchemaReader(), route)).toEqual([]);
    const plan = bootstrapPlan(resolveProject(loadProject(dir)));
    expect(plan.argocdServerInsecure).toBe(true);
  });

  it('attaches to a Gateway managed elsewhere by its sectionName, and renders no Gateway', async () => {
    const env = [
      'namespace: team-stage',
      'domain: stage.example.org',
      'cluster: https://kubernetes.default.svc',
      'gateway: {name: shared, namespace: infra-gateways, sectionName: https}',
      'imagePolicy: {strategy: newest-build}',
    ].join('\n');
    const { objects, files } = await renderFiles(makeProject({ api: API }, { stage: env }));
    const route = only(objects, 'stage/api', 'HTTPRoute');
    expect(route.spec.parentRefs).toEqual([
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: 'shared',
        namespace: 'infra-gateways',
        sectionName: 'https',
      },
    ]);
    expect([...files.keys()].filter((p) => p.startsWith('stage/_environment/gateway'))).toEqual([]);
  });

  it('refuses a rendered Gateway with more listeners than a Gateway may have', () => {
    const apps: Record<string, string> = {};
    for (let i = 0; i < 64; i++)
      apps[`site${i}`] = `image: {repository: ghcr.io/acme/site, tag: 1.0.0}\nport: 8080\nexpose: {subdomain: s${i}}\n`;
    const dir = makeProject(apps, { stage: GATEWAY_ENV('stage') });
    expect(specProblems(() => resolveProject(loadProject(dir)))).toEqual([
      'environments/stage.yaml:7:14: gateway.className: the Gateway rendered here would have 65 listeners ' +
        '(one per host, and one for the redirect to HTTPS), more than the 64 a Gateway may have; ' +
        'expected fewer hosts (share hosts by path), or a Gateway managed elsewhere with a wildcard listener ' +
        '(no className)',
    ]);
  });
});

describe('NetworkPolicy settings', () => {
  it('renders no policy, environment folder or environment Application with policies off', async () => {
    const off = (name: string) => environmentYaml(name).replace(/network: \{[^}]*\}/, 'network: {policies: false}');
    const dir = makeProject({ api: API, frontend: FRONTEND }, { stage: off('stage'), prod: off('prod') });
    const { files, objects } = await renderFiles(dir);
    expect([...objects.values()].filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
    expect([...files.keys()].filter((p) => p.includes('_environment') || p.includes('-environment'))).toEqual([]);
  });

  it('renders network.allowFrom namespaces and, with egress declared, network.allowTo destinations', async () => {
    const worker = [
      'image: {repository: ghcr.io/acme/worker, tag: 1.0.0}',
      'network:',
      '  allowTo:',
      '    - {cidr: 203.0.113.0/24, ports: [443]}',
      '    - {namespace: mail}',
      '    - {service: api, ports: [8000]}',
    ].join('\n');
    const api = `${API}network:\n  allowFrom:\n    - {namespace: reporting}\n`;
    const dir = makeProject(
      { api, worker },
      {
        stage: environmentYaml('stage').replace(
          /network: \{[^}]*\}/,
          'network: {ingressNamespace: ingress-stage, egress: declared}',
        ),
      },
    );
    const { objects } = await renderFiles(dir);
    const w = only(objects, 'stage/worker', 'NetworkPolicy');
    expect(w.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(w.spec.ingress).toBeUndefined();
    expect(w.spec.egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { port: 53, protocol: 'TCP' },
          { port: 53, protocol: 'UDP' },
        ],
      },
      {
        to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'api-stage' } } }],
        ports: [{ port: 8000, protocol: 'TCP' }],
      },
      { to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 443, protocol: 'TCP' }] },
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'mail' } } }] },
    ]);
    // The API admits the worker (its allowTo), the ingress controller and the reporting namespace.
    const a = only(objects, 'stage/api', 'NetworkPolicy');
    expect(a.spec.ingress.map((r: Json) => r.from[0])).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'worker-stage' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-stage' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'reporting' } } },
    ]);
  });
});

describe('secrets from a secret manager', () => {
  const reader = (name: string, secret: string, key: string, variable = 'VALUE') =>
    `image: {repository: ghcr.io/acme/${name}, tag: 1.0.0}\n` +
    `secretEnv:\n  ${variable}: {secret: ${secret}, key: ${key}}\n`;
  const external = (name: string) =>
    environmentYaml(
      name,
      'secrets:\n  provider: external-secrets\n  store: {kind: SecretStore, name: team-store}\n' +
        '  remoteKey: ${env:namespace}/${secret:name}',
    );

  it('renders one ExternalSecret per Secret with exactly the keys referenced, however many read it', async () => {
    const dir = makeProject(
      {
        a: reader('a', 'shared', 'password'),
        b: `${reader('b', 'shared', 'password')}  TOKEN: {secret: shared, key: token}\n`,
        c: reader('c', 'own', 'key'),
      },
      { stage: environmentYaml('stage'), prod: external('prod') },
    );
    const { objects } = await renderFiles(dir);
    const secrets = [...objects].filter(([, o]) => o.kind === 'ExternalSecret');
    expect(secrets.map(([p]) => p).sort()).toEqual([
      'prod/_environment/externalsecret-own.yaml',
      'prod/_environment/externalsecret-shared.yaml',
    ]);
    const shared = only(objects, 'prod/_environment', 'ExternalSecret', 'shared');
    expect(shared.metadata.namespace).toBe('team-prod');
    expect(shared.spec).toEqual({
      refreshInterval: '1h',
      secretStoreRef: { kind: 'SecretStore', name: 'team-store' },
      target: { name: 'shared', creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      data: [
        { secretKey: 'password', remoteRef: { key: 'team-prod/shared', property: 'password' } },
        { secretKey: 'token', remoteRef: { key: 'team-prod/shared', property: 'token' } },
      ],
    });
    // Bootstrap generates nothing for prod and everything for stage.
    const plan = bootstrapPlan(resolveProject(loadProject(dir)));
    const prod = plan.environments.find((e) => e.name === 'prod')!;
    expect(prod.secrets).toEqual([]);
    expect(prod.externalSecrets!.secrets.map((s) => [s.name, s.remoteKey])).toEqual([
      ['own', 'team-prod/own'],
      ['shared', 'team-prod/shared'],
    ]);
    expect(plan.environments.find((e) => e.name === 'stage')!.secrets.map((s) => s.name)).toEqual(['own', 'shared']);
  });
});

describe.skipIf(!haveCrds())(
  'the shipped examples against the Gateway API v1.6.1 and External Secrets v2.9.0 CRDs',
  () => {
    let objects: [string, K8sObject][];
    beforeAll(async () => {
      objects = [...(await renderedObjects(REPO)), ...(await renderedObjects(join(REPO, 'examples', 'webfarm')))];
    });

    it('uses only declared fields, types, enums, patterns and bounds, and meets the CEL rules', async () => {
      const crdKinds = ['Gateway', 'HTTPRoute', 'ExternalSecret'];
      const checked = objects.filter(([, o]) => crdKinds.includes(o.kind));
      expect(new Set(checked.map(([, o]) => o.kind))).toEqual(new Set(crdKinds));
      const schemaOf = crdSchemaReader();
      for (const [path, o] of checked) expect(objectCrdProblems(schemaOf, o), path).toEqual([]);
      const validator = new SchemaValidator(KUBERNETES_KINDS);
      await validator.prepare(checked.map(([, o]) => `${o.apiVersion}/${o.kind}`));
      for (const [path, o] of checked) expect(validator.validate(o), path).toEqual([]);
      for (const [path, o] of checked.filter(([, x]) => x.kind === 'Gateway')) {
        const listeners = o.spec.listeners as Json[];
        // Unique names; unique port, protocol and hostname; HTTPS terminates with a certificate; HTTP has no tls.
        expect(new Set(listeners.map((l) => l.name)).size, path).toBe(listeners.length);
        expect(new Set(listeners.map((l) => `${l.port}/${l.protocol}/${l.hostname ?? ''}`)).size).toBe(
          listeners.length,
        );
        for (const l of listeners) {
          if (l.protocol === 'HTTPS') expect(l.tls.certificateRefs.length).toBeGreaterThan(0);
          else expect(l.tls).toBeUndefined();
        }
      }
      for (const [path, o] of checked.filter(([, x]) => x.kind === 'HTTPRoute')) {
        for (const rule of o.spec.rules) {
          // A redirect never goes with backends; a Service backend always has a port.
          const redirect = (rule.filters ?? []).some((f: Json) => f.requestRedirect);
          expect(redirect && rule.backendRefs?.length, path).toBeFalsy();
          for (const b of rule.backendRefs ?? []) expect(b.port, path).toBeDefined();
          for (const m of rule.matches ?? []) expect(m.path.value).not.toMatch(/\/\/|\/\.\.?(\/|$)|%2f/i);
        }
      }
    });

    it('reads exactly the keys prod references, one ExternalSecret per Secret, through the ClusterSecretStore', () => {
      const secrets = objects.filter(([p, o]) => p.startsWith('prod/') && o.kind === 'ExternalSecret');
      const referenced = new Map<string, Set<string>>();
      for (const [p, o] of objects) {
        if (!p.startsWith('prod/') || (o.kind !== 'Deployment' && o.kind !== 'StatefulSet')) continue;
        for (const c of o.spec.template.spec.containers)
          for (const e of c.env ?? [])
            if (e.valueFrom?.secretKeyRef) {
              const { name, key } = e.valueFrom.secretKeyRef;
              referenced.set(name, new Set([...(referenced.get(name) ?? []), key]));
            }
      }
      expect(
        new Map(secrets.map(([, o]) => [o.metadata.name, new Set(o.spec.data.map((d: Json) => d.secretKey))])),
      ).toEqual(referenced);
      for (const [, o] of secrets) {
        expect(o.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'vault' });
        expect(o.spec.target.name).toBe(o.metadata.name);
      }
      expect(objects.filter(([p, o]) => p.startsWith('stage/') && o.kind === 'ExternalSecret')).toEqual([]);
    });
  },
);
