import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderProject } from '../src/pipeline/pipeline.js';
import { REPO } from './helpers.js';
import { NetworkPolicyCluster, type Pod } from './network-policy-evaluator.js';

/**
 * The NetworkPolicies of both shipped examples, as the real render makes
 * them, evaluated with NetworkPolicy semantics (network-policy-evaluator.ts)
 * against what the specs declare, read here straight from the YAML: for every
 * ordered pair of services (and every port of the second), a connection is
 * allowed exactly when the first references the second (`${service:…}` in
 * env or files), depends on it, or names it in network.allowTo, or the second
 * names the first in network.allowFrom; the replicas of a StatefulSet reach
 * each other. The ingress controller's (or gateway's) namespace reaches only
 * exposed ports, the monitoring namespace only metrics ports, other pods
 * nothing. A service's migration Job reaches what the service does (its
 * dependsOn wait containers run in the service's own pods). Where egress is
 * restricted, pods reach the cluster DNS and their declared destinations only.
 */

type Json = any;

const PROJECTS = { shop: REPO, webfarm: join(REPO, 'examples', 'webfarm') } as const;

interface ServiceModel {
  readonly name: string;
  readonly workload: 'deployment' | 'statefulset';
  readonly ports: readonly { name: string; port: number; protocol: string }[];
  readonly exposePort?: number;
  readonly metricsPort?: number;
  /** Services it connects to, as the spec says. */
  readonly connectsTo: ReadonlySet<string>;
  /** Services network.allowFrom lets in. */
  readonly allowsFrom: ReadonlySet<string>;
  readonly migrations: boolean;
}

interface EnvironmentModel {
  readonly name: string;
  readonly namespace: string;
  readonly ingressNamespace: string;
  readonly monitoringNamespace: string;
  readonly egressDeclared: boolean;
  /** Ingress certificates from cert-manager: its HTTP-01 solver pods run in the namespace. */
  readonly acmeSolver: boolean;
  readonly services: ReadonlyMap<string, ServiceModel>;
}

const readYaml = (path: string): Json => parse(readFileSync(path, 'utf8'));
const REFERENCE = /\$\{service:([^}]*)\}/g;

/** The environments and services of a project, from its spec files alone (not through gitops-synth's resolver). */
function specModel(dir: string): EnvironmentModel[] {
  const apps = readdirSync(join(dir, 'apps'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ name: f.slice(0, -5), spec: readYaml(join(dir, 'apps', f)) }));
  return readdirSync(join(dir, 'environments'))
    .filter((f) => f.endsWith('.yaml') && !f.startsWith('_'))
    .map((f) => {
      const name = f.slice(0, -5);
      const e = readYaml(join(dir, 'environments', f));
      const services = new Map<string, ServiceModel>();
      for (const app of apps) {
        const override = app.spec.environments?.[name] ?? {};
        if (override.enabled === false) continue;
        const s = { ...app.spec, ...override };
        const ports: ServiceModel['ports'] =
          s.port !== undefined
            ? [{ name: 'http', port: s.port, protocol: 'TCP' }]
            : (s.ports ?? []).map((p: Json) => ({
                name: p.name ?? 'http',
                port: p.port,
                protocol: p.protocol ?? 'TCP',
              }));
        const portOf = (ref: Json) =>
          ref === undefined ? ports[0]?.port : ports.find((p) => p.name === ref || p.port === ref)?.port;
        const texts = [...Object.values(s.env ?? {}).map(String), ...Object.values<string>(s.files ?? {})];
        const connectsTo = new Set<string>([
          ...texts.flatMap((t) => [...t.matchAll(REFERENCE)].map((m) => m[1]!)),
          ...(s.dependsOn ?? []),
          ...(s.network?.allowTo ?? []).flatMap((a: Json) => (a.service ? [a.service] : [])),
        ]);
        connectsTo.delete(app.name);
        services.set(app.name, {
          name: app.name,
          workload: s.workload ?? 'deployment',
          ports,
          exposePort: s.expose ? portOf(s.expose.port) : undefined,
          metricsPort: s.metrics && s.metrics.enabled !== false ? portOf(s.metrics.port) : undefined,
          connectsTo,
          allowsFrom: new Set((s.network?.allowFrom ?? []).flatMap((a: Json) => (a.service ? [a.service] : []))),
          migrations: !!s.migrations,
        });
      }
      return {
        name,
        namespace: e.namespace,
        ingressNamespace: e.network?.ingressNamespace ?? (e.gateway ? e.gateway.namespace : 'ingress-nginx'),
        monitoringNamespace: e.network?.monitoringNamespace ?? 'monitoring',
        egressDeclared: e.network?.egress === 'declared',
        acmeSolver: !!e.ingress?.tls?.clusterIssuer,
        services,
      };
    });
}

/** Whether the specs declare a connection from `a` to `b` (either side may declare it). */
function declared(a: ServiceModel, b: ServiceModel): boolean {
  return a.connectsTo.has(b.name) || b.allowsFrom.has(a.name);
}

/** A dedicated metrics port (neither the first nor the exposed port) is for Prometheus only. */
function metricsOnly(s: ServiceModel, port: number): boolean {
  return s.metricsPort === port && port !== s.ports[0]?.port && port !== s.exposePort;
}

/** Every object the real render made, by path. */
async function renderedObjects(dir: string): Promise<Map<string, Json>> {
  const { tree } = await renderProject(dir);
  const out = new Map<string, Json>();
  for (const [path, content] of tree.entries()) {
    if (!path.endsWith('.yaml') || path.endsWith('kustomization.yaml') || path.startsWith('bootstrap/')) continue;
    out.set(path, parse(content));
  }
  return out;
}

const stray = (namespace: string): Pod => ({ name: `stray pod in ${namespace}`, namespace, labels: { run: 'debug' } });

for (const [project, dir] of Object.entries(PROJECTS)) {
  describe(`the NetworkPolicies of the ${project} example`, () => {
    const model = specModel(dir);
    let objects: Map<string, Json>;
    let cluster: NetworkPolicyCluster;
    beforeAll(async () => {
      objects = await renderedObjects(dir);
      cluster = new NetworkPolicyCluster([...objects.values()].filter((o) => o.kind === 'NetworkPolicy'));
    });

    /** The pods of a service as its workload's template makes them, and its migration Job's. */
    const podsOf = (env: EnvironmentModel, svc: ServiceModel): { service: Pod; job?: Pod } => {
      const inFolder = [...objects].filter(([p]) => p.startsWith(`${env.name}/${svc.name}/`)).map(([, o]) => o);
      const workload = inFolder.find((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
      expect(workload, `${env.name}/${svc.name}`).toBeDefined();
      expect(workload.metadata.namespace).toBe(env.namespace);
      const pod = (o: Json, name: string): Pod => ({
        name,
        namespace: o.metadata.namespace,
        labels: o.spec.template.metadata.labels,
        ports: o.spec.template.spec.containers[0].ports?.map((p: Json) => ({
          name: p.name,
          port: p.containerPort,
          protocol: p.protocol,
        })),
      });
      const job = inFolder.find((o) => o.kind === 'Job');
      expect(!!job, `${svc.name} has a migration Job`).toBe(svc.migrations);
      return { service: pod(workload, svc.name), job: job ? pod(job, `${svc.name} migration Job`) : undefined };
    };

    for (const env of model) {
      describe(`environment ${env.name}`, () => {
        it('allows every declared connection between services and denies every other pair, for every port', () => {
          const wrong: string[] = [];
          let pairs = 0;
          for (const a of env.services.values()) {
            const from = podsOf(env, a);
            for (const b of env.services.values()) {
              pairs++;
              const to = podsOf(env, b).service;
              for (const { port, protocol } of b.ports) {
                const expected = a === b ? b.workload === 'statefulset' : declared(a, b) && !metricsOnly(b, port);
                const sources = a === b || !from.job ? [from.service] : [from.service, from.job];
                for (const source of sources)
                  if (cluster.allows(source, to, port, protocol) !== expected)
                    wrong.push(
                      `${source.name} -> ${b.name}:${port}/${protocol} should be ${expected ? 'allowed' : 'denied'}`,
                    );
              }
            }
          }
          expect(wrong).toEqual([]);
          expect(pairs).toBe(env.services.size ** 2);
          // The examples do declare connections: the evaluation is not vacuous.
          expect([...env.services.values()].some((s) => s.connectsTo.size > 0)).toBe(true);
        });

        it('lets the ingress proxies reach only exposed ports, Prometheus only metrics ports, others nothing', () => {
          const ingress: Pod = { name: 'ingress proxy', namespace: env.ingressNamespace, labels: { app: 'proxy' } };
          const prometheus: Pod = {
            name: 'prometheus',
            namespace: env.monitoringNamespace,
            labels: { app: 'prometheus' },
          };
          const wrong: string[] = [];
          for (const svc of env.services.values()) {
            const { service: to, job } = podsOf(env, svc);
            for (const { port, protocol } of svc.ports) {
              const cases: [Pod, boolean][] = [
                [ingress, port === svc.exposePort],
                [prometheus, port === svc.metricsPort],
                [stray('default'), false],
                [stray(env.namespace), false],
              ];
              for (const [source, expected] of cases)
                if (cluster.allows(source, to, port, protocol) !== expected)
                  wrong.push(
                    `${source.name} -> ${svc.name}:${port}/${protocol} should be ${expected ? 'allowed' : 'denied'}`,
                  );
            }
            // The migration Job's pod accepts nothing (the default-deny policy, or its service's, selects it).
            if (job && cluster.allows(stray(env.namespace), job, 8080)) wrong.push(`stray pod -> ${job.name}`);
          }
          // cert-manager's HTTP-01 solver pods (Ingress certificates) are reached by the ingress controller only.
          const solver: Pod = {
            name: 'acme solver',
            namespace: env.namespace,
            labels: { 'acme.cert-manager.io/http01-solver': 'true' },
          };
          const firstService = podsOf(env, [...env.services.values()][0]!).service;
          for (const [source, expected] of [
            [ingress, env.acmeSolver],
            [stray(env.namespace), false],
            [firstService, false],
          ] as const)
            if (cluster.allows(source, solver, 8089) !== expected) wrong.push(`${source.name} -> acme solver:8089`);
          expect(wrong).toEqual([]);
          expect([...env.services.values()].some((s) => s.exposePort !== undefined)).toBe(true);
        });

        const egress = env.egressDeclared ? 'restricts egress: other than DNS, only declared' : 'leaves egress open';
        it(`${egress} destinations`, () => {
          const dns: Pod = { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
          const wrong: string[] = [];
          for (const svc of env.services.values()) {
            const { service, job } = podsOf(env, svc);
            for (const source of job ? [service, job] : [service]) {
              for (const protocol of ['UDP', 'TCP'])
                if (!cluster.allows(source, dns, 53, protocol)) wrong.push(`${source.name} -> DNS 53/${protocol}`);
              if (cluster.allows(source, stray('default'), 80) !== !env.egressDeclared)
                wrong.push(
                  `${source.name} -> a pod of another namespace should be ${env.egressDeclared ? 'denied' : 'allowed'}`,
                );
              const outside: Pod = { name: 'the internet', namespace: '', labels: {}, ip: '93.184.216.34' };
              if (cluster.allows(source, outside, 443) !== !env.egressDeclared)
                wrong.push(
                  `${source.name} -> 93.184.216.34:443 should be ${env.egressDeclared ? 'denied' : 'allowed'}`,
                );
            }
          }
          expect(wrong).toEqual([]);
        });
      });
    }

    it('has a default-deny policy per environment namespace, in the environment folder', () => {
      for (const env of model) {
        const policy = objects.get(`${env.name}/_environment/networkpolicy-gitops-synth.default-deny.yaml`);
        expect(policy?.spec.podSelector, env.name).toEqual({});
        expect(policy.metadata.namespace).toBe(env.namespace);
        expect(policy.spec.policyTypes).toEqual(env.egressDeclared ? ['Ingress', 'Egress'] : ['Ingress']);
      }
    });
  });
}

describe('the evaluator', () => {
  const policy = (spec: Json, namespace = 'a'): Json => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'p', namespace },
    spec,
  });
  const pod = (namespace: string, labels: Record<string, string>): Pod => ({ name: 'x', namespace, labels });

  it('follows the NetworkPolicy semantics of selectors, namespaces, ports and policy types', () => {
    const web = pod('a', { app: 'web' });
    const db = pod('a', { app: 'db' });
    const other = pod('b', { app: 'web' });
    expect(new NetworkPolicyCluster([]).allows(web, db, 5432)).toBe(true);
    const onlyWeb = new NetworkPolicyCluster([
      policy({
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }],
      }),
    ]);
    expect(onlyWeb.allows(web, db, 5432)).toBe(true);
    expect(onlyWeb.allows(web, db, 5433)).toBe(false);
    expect(onlyWeb.allows(web, db, 5432, 'UDP')).toBe(false);
    // A podSelector alone matches pods of the policy's namespace only.
    expect(onlyWeb.allows(other, db, 5432)).toBe(false);
    // An unselected pod is not isolated.
    expect(onlyWeb.allows(db, web, 80)).toBe(true);
    const fromNamespace = new NetworkPolicyCluster([
      policy({
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'b' } } }] }],
      }),
    ]);
    expect(fromNamespace.allows(other, db, 1)).toBe(true);
    expect(fromNamespace.allows(web, db, 1)).toBe(false);
    const denyEgress = new NetworkPolicyCluster([policy({ podSelector: {}, policyTypes: ['Egress'] })]);
    expect(denyEgress.allows(web, other, 80)).toBe(false);
    expect(denyEgress.allows(other, web, 80)).toBe(true);
    // An empty policy of type Ingress denies all; policies add up.
    const added = new NetworkPolicyCluster([
      policy({ podSelector: {}, policyTypes: ['Ingress'] }),
      policy({ podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: {} }] }] }),
    ]);
    expect(added.allows(web, db, 1)).toBe(true);
    expect(added.allows(db, web, 1)).toBe(false);
  });
});
