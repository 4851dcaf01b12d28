import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kustomizeBuild } from '../src/validate/kustomize.js';
import { KUBERNETES_KINDS, SchemaValidator } from '../src/validate/schemas.js';
import { copyExample, runCli } from './helpers.js';
import {
  environmentYaml,
  type K8sObject,
  makeProject,
  objectsIn,
  only,
  podSpec,
  readTree,
  parseObjectFiles,
  renderFiles,
  selects,
} from './synth-fixtures.js';

/**
 * Monitoring: `metrics:` on a service becomes a Prometheus Operator
 * ServiceMonitor in the environments that switch `monitoring.serviceMonitors`
 * on, selecting exactly that service's Service and scraping its named port.
 */

const API = `image: {repository: ghcr.io/acme/api, tag: 1.2.3}
ports:
  - {name: http, port: 8000}
  - {name: metrics, port: 9100}
metrics: {port: metrics, path: /prometheus, interval: 15s}
`;
/** A second service in the same namespace, so a too-broad selector would show. */
const WEB = `image: {repository: ghcr.io/acme/web, tag: 1.2.3}
port: 8080
metrics: {}
`;
const PLAIN = `image: {repository: ghcr.io/acme/plain, tag: 1.2.3}
port: 8080
`;
const PROD_MONITORED = environmentYaml(
  'prod',
  'monitoring:\n  serviceMonitors: true\n  labels: {release: kube-prometheus-stack}',
);

describe('ServiceMonitor from metrics:', () => {
  let objects: Map<string, K8sObject>;
  beforeAll(async () => {
    ({ objects } = await renderFiles(
      makeProject({ api: API, web: WEB, plain: PLAIN }, { stage: environmentYaml('stage'), prod: PROD_MONITORED }),
    ));
  });

  it("selects exactly the service's own Service in its namespace and scrapes the named metrics port and path", () => {
    const monitor = only(objects, 'prod/api', 'ServiceMonitor');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata).toMatchObject({ name: 'api', namespace: 'team-prod' });
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ['team-prod'] });
    expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/prometheus', interval: '15s', scheme: 'http' }]);
    const services = [...objects].filter(([p, o]) => p.startsWith('prod/') && o.kind === 'Service').map(([, o]) => o);
    const selected = services.filter((s) => selects(monitor.spec.selector.matchLabels, s.metadata.labels));
    expect(selected.map((s) => s.metadata.name)).toEqual(['api']);
    // The named Service port exists and leads to the container port the metrics are served on.
    const port = selected[0]!.spec.ports.find((p: K8sObject) => p.name === 'metrics');
    expect(port).toMatchObject({ port: 9100, targetPort: 'metrics' });
    const container = podSpec(only(objects, 'prod/api', 'Deployment')).containers[0];
    expect(container.ports).toContainEqual({ name: 'metrics', containerPort: 9100, protocol: 'TCP' });
  });

  it('defaults to the first port, /metrics and 30s', () => {
    expect(only(objects, 'prod/web', 'ServiceMonitor').spec.endpoints).toEqual([
      { port: 'http', path: '/metrics', interval: '30s', scheme: 'http' },
    ]);
  });

  it("carries the environment's monitoring labels beside the service's own", () => {
    const labels = only(objects, 'prod/api', 'ServiceMonitor').metadata.labels!;
    expect(labels.release).toBe('kube-prometheus-stack');
    expect(labels['app.kubernetes.io/instance']).toBe('api-prod');
  });

  it('exists only where the environment switches ServiceMonitors on, and only for services with metrics', () => {
    const monitors = [...objects]
      .filter(([, o]) => o.kind === 'ServiceMonitor')
      .map(([p]) => p.split('/').slice(0, 2).join('/'));
    expect(monitors.sort()).toEqual(['prod/api', 'prod/web']);
  });

  it('is valid against the Prometheus Operator schema, which is registered for validation', async () => {
    const validator = new SchemaValidator(KUBERNETES_KINDS);
    await validator.prepare(['monitoring.coreos.com/v1/ServiceMonitor']);
    expect(validator.validate(only(objects, 'prod/api', 'ServiceMonitor'))).toEqual([]);
    // The schema is real: a port given as a number where the CRD wants a name is rejected.
    const broken = structuredClone(only(objects, 'prod/api', 'ServiceMonitor'));
    broken.spec.endpoints[0].port = 9100;
    expect(validator.validate(broken).join('\n')).toMatch(/port/);
  });
});

describe('monitoring through the CLI', () => {
  it('the shipped example monitors the api in prod only, and kubectl kustomize builds the folder with the ServiceMonitor', async () => {
    const project = copyExample();
    const r = await runCli(['synth', '--project', project]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dist = join(project, 'dist');
    const objects = parseObjectFiles(readTree(dist));
    const monitors = [...objects].filter(([, o]) => o.kind === 'ServiceMonitor').map(([p]) => p);
    expect(monitors).toEqual(['prod/api/servicemonitor-api.yaml']);
    expect(readdirSync(join(dist, 'stage', 'api')).some((f) => f.startsWith('servicemonitor-'))).toBe(false);
    const built = parseAllDocuments(kustomizeBuild(join(dist, 'prod', 'api'))).map((d) => d.toJS() as K8sObject);
    const monitor = built.find((o) => o.kind === 'ServiceMonitor')!;
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics' });
    const service = built.find((o) => o.kind === 'Service' && o.metadata.name === 'api')!;
    expect(selects(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    expect(service.spec.ports.map((p: K8sObject) => p.name)).toContain('metrics');
    // The Ingress keeps routing to the http port: /metrics is not public.
    const ingress = built.find((o) => o.kind === 'Ingress')!;
    expect(ingress.spec.rules[0].http.paths[0].backend.service.port).toEqual({ number: 8000 });
    expect(objectsIn(objects, 'prod/api').filter((o) => o.kind === 'ServiceMonitor')).toHaveLength(1);
  });

  it('metrics.enabled: false in one environment drops its ServiceMonitor there', async () => {
    const project = makeProject(
      { api: `${API}environments:\n  prod: {metrics: {enabled: false}}\n` },
      { stage: environmentYaml('stage', 'monitoring: {serviceMonitors: true}'), prod: PROD_MONITORED },
    );
    const { objects } = await renderFiles(project);
    expect(objectsIn(objects, 'stage/api').map((o) => o.kind)).toContain('ServiceMonitor');
    expect(objectsIn(objects, 'prod/api').map((o) => o.kind)).not.toContain('ServiceMonitor');
  });

  it.each([
    [
      'a label key gitops-synth owns',
      'monitoring: {serviceMonitors: true, labels: {app.kubernetes.io/name: x}}',
      /environments\/prod\.yaml:\d+:\d+: monitoring\.labels.*app\.kubernetes\.io\/ labels are set by gitops-synth/,
    ],
    [
      'a switch that is not a boolean',
      'monitoring: {serviceMonitors: "yes"}',
      /environments\/prod\.yaml:\d+:\d+: monitoring\.serviceMonitors: .*expected true or false/,
    ],
    [
      'an unknown key',
      'monitoring: {serviceMonitor: true}',
      /environments\/prod\.yaml:\d+:\d+: monitoring\.serviceMonitor: unknown key "serviceMonitor" \(did you mean "serviceMonitors"\?\)/,
    ],
  ])('rejects %s with the file, line and field, writing nothing', async (_what, yaml, message) => {
    const project = makeProject({ api: API }, { stage: environmentYaml('stage'), prod: environmentYaml('prod', yaml) });
    const r = await runCli(['synth', '--project', project]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(project, 'dist'))).toBe(false);
  });

  it('rejects metrics on a port the service does not declare', async () => {
    const project = makeProject(
      { api: API.replace('{port: metrics,', '{port: prometheus,') },
      { stage: environmentYaml('stage'), prod: PROD_MONITORED },
    );
    const r = await runCli(['synth', '--project', project]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /apps\/api\.yaml:\d+:\d+: metrics\.port: metrics refers to port "prometheus", which the service does not declare; expected one of: http \(8000\), metrics \(9100\)/,
    );
    expect(existsSync(join(project, 'dist'))).toBe(false);
  });
});
