import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deepMerge } from '../src/spec/merge.js';
import type { ResolvedService } from '../src/resolve/model.js';
import { resolveProject, type ResolvedProject } from '../src/resolve/resolve.js';
import { loadProject } from '../src/spec/load.js';
import { BASE_DIR } from './bad-specs/corpus.js';
import { REPO, specProblems, tempDir } from './helpers.js';

/** The corpus's valid base project (api, worker, db × stage, prod) with some files replaced or added. */
function project(files: Record<string, string> = {}): string {
  const dir = tempDir('gitops-synth-spec-');
  cpSync(BASE_DIR, dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function resolveDir(dir: string): ResolvedProject {
  return resolveProject(loadProject(dir));
}

function service(resolved: ResolvedProject, env: string, name: string): ResolvedService | undefined {
  return resolved.services.get(env)?.find((s) => s.name === name);
}

function envValue(svc: ResolvedService | undefined, name: string): string | undefined {
  return svc?.env.find((e) => e.name === name)?.value;
}

/** The problems a project is refused with, as the CLI prints them. */
function problemsOf(dir: string): string[] {
  return specProblems(() => resolveDir(dir));
}

const IMAGE = 'image: {repository: ghcr.io/acme/web, tag: 1a2b3c4}\n';

describe('the shipped example', () => {
  const resolved = resolveDir(REPO);

  it('loads every service for stage and prod', () => {
    expect(resolved.environments.map((e) => e.name)).toEqual(['prod', 'stage']);
    for (const env of ['prod', 'stage']) {
      expect(resolved.services.get(env)!.map((s) => s.name)).toEqual([
        'api',
        'flower',
        'frontend',
        'postgres',
        'rabbitmq',
        'worker',
      ]);
    }
  });

  it('resolves references per environment, so prod never names a stage host', () => {
    expect(envValue(service(resolved, 'stage', 'api'), 'DATABASE_HOST')).toBe('postgres.shop-stage.svc.cluster.local');
    expect(envValue(service(resolved, 'prod', 'api'), 'DATABASE_HOST')).toBe('postgres.shop-prod.svc.cluster.local');
    expect(envValue(service(resolved, 'prod', 'api'), 'PUBLIC_URL')).toBe('https://api.shop.example.com');
    const prodText = JSON.stringify(
      resolved.services.get('prod')!.map(({ environment: _e, source: _s, ...rest }) => rest),
    );
    expect(prodText).not.toMatch(/stage/);
  });

  it('applies the prod overrides: the API autoscales 2–10 without replicas, two workers', () => {
    const api = service(resolved, 'prod', 'api')!;
    expect(api.autoscaling).toMatchObject({ minReplicas: 2, maxReplicas: 10 });
    expect(api.replicas).toBeUndefined();
    expect(api.image.tag).toBe('1.4.2');
    expect(service(resolved, 'stage', 'api')!.replicas).toBe(1);
    expect(service(resolved, 'prod', 'worker')!.replicas).toBe(2);
    expect(service(resolved, 'stage', 'worker')!.replicas).toBe(1);
  });
});

describe('service names', () => {
  it('default to the file name', () => {
    const resolved = resolveDir(project({ 'apps/web-frontend.yaml': `${IMAGE}port: 8080\n` }));
    expect(service(resolved, 'stage', 'web-frontend')).toBeDefined();
  });

  it('can be set with name:, which wins over the file name', () => {
    const resolved = resolveDir(project({ 'apps/web.yaml': `name: storefront\n${IMAGE}port: 8080\n` }));
    expect(service(resolved, 'stage', 'storefront')).toBeDefined();
    expect(service(resolved, 'stage', 'web')).toBeUndefined();
  });
});

describe('environment overrides', () => {
  const spec = `${IMAGE}port: 8080
args: [--workers, "2", --log-level, info]
expose: {subdomain: web}
env:
  LOG_LEVEL: info
  FEATURE_X: "on"
resources:
  requests: {cpu: 100m, memory: 64Mi}
  limits: {memory: 128Mi}
environments:
  prod:
    args: [--workers, "8"]
    expose: null
    env:
      FEATURE_X: null
      LOG_LEVEL: warning
    resources:
      requests: {cpu: 500m}
`;
  const resolved = resolveDir(project({ 'apps/web.yaml': spec }));
  const stage = service(resolved, 'stage', 'web')!;
  const prod = service(resolved, 'prod', 'web')!;

  it('merge mappings key by key', () => {
    expect(prod.resources.requests).toEqual({ cpu: '500m', memory: '64Mi' });
    expect(prod.resources.limits).toEqual({ memory: '128Mi' });
    expect(envValue(prod, 'LOG_LEVEL')).toBe('warning');
    expect(stage.resources.requests).toEqual({ cpu: '100m', memory: '64Mi' });
  });

  it('replace lists as a whole', () => {
    expect(prod.args).toEqual(['--workers', '8']);
    expect(stage.args).toEqual(['--workers', '2', '--log-level', 'info']);
  });

  it('remove an inherited key with null', () => {
    expect(prod.expose).toBeUndefined();
    expect(stage.expose?.host).toBe('web.stage.example.com');
    expect(envValue(prod, 'FEATURE_X')).toBeUndefined();
    expect(envValue(stage, 'FEATURE_X')).toBe('on');
  });

  it('deepMerge itself: maps merge, lists and scalars replace, null removes, the base is not changed', () => {
    const base = { a: { x: 1, y: [1, 2] }, b: 'keep', c: 3 };
    expect(deepMerge(base, { a: { y: [9] }, c: null, d: { e: null, f: 1 } })).toEqual({
      a: { x: 1, y: [9] },
      b: 'keep',
      d: { f: 1 },
    });
    expect(base).toEqual({ a: { x: 1, y: [1, 2] }, b: 'keep', c: 3 });
  });

  it('may give only the keys that change in a nested mapping', () => {
    const r = resolveDir(
      project({
        'apps/web.yaml': `${IMAGE}port: 8080
resources:
  requests: {cpu: 100m}
autoscaling: {minReplicas: 2, maxReplicas: 4, targetCPUUtilization: 70}
probes:
  liveness: {http: /healthz, periodSeconds: 10}
environments:
  prod:
    autoscaling: {maxReplicas: 20}
    probes:
      liveness: {periodSeconds: 30}
`,
      }),
    );
    expect(service(r, 'prod', 'web')!.autoscaling).toEqual({
      minReplicas: 2,
      maxReplicas: 20,
      targetCPUUtilization: 70,
    });
    expect(service(r, 'prod', 'web')!.probes.liveness).toMatchObject({
      http: { path: '/healthz', port: 8080 },
      periodSeconds: 30,
    });
    expect(service(r, 'stage', 'web')!.autoscaling).toMatchObject({ maxReplicas: 4 });
  });

  it('replace a probe whole when they name another kind, and merge timing otherwise', () => {
    const r = resolveDir(
      project({
        'apps/web.yaml': `${IMAGE}port: 8080
probes:
  readiness: {http: /healthz, periodSeconds: 10}
environments:
  prod:
    probes:
      readiness: {tcp: 8080}
`,
      }),
    );
    expect(service(r, 'prod', 'web')!.probes.readiness).toEqual({ tcp: { port: 8080 } });
    expect(service(r, 'stage', 'web')!.probes.readiness).toMatchObject({
      http: { path: '/healthz', port: 8080 },
      periodSeconds: 10,
    });
  });

  it('enabled: false keeps a service out of one environment only', () => {
    const r = resolveDir(
      project({ 'apps/web.yaml': `${IMAGE}port: 8080\nenvironments:\n  prod:\n    enabled: false\n` }),
    );
    expect(service(r, 'stage', 'web')).toBeDefined();
    expect(service(r, 'prod', 'web')).toBeUndefined();
    expect(r.services.get('prod')!.map((s) => s.name)).toEqual(['api', 'db', 'worker']);
  });
});

describe('problems', () => {
  it('are all reported in one run, sorted by file and line', () => {
    const problems = problemsOf(
      project({
        'apps/zeta.yaml': `${IMAGE}port: "80"\nreplicas: -1\n`,
        'apps/alpha.yaml': `${IMAGE}port: 8080\nprobes:\n  readyness: {http: /}\nworkload: daemonset\n`,
        'environments/prod.yaml':
          'namespace: Shop_Prod\ndomain: example.com\ncluster: in-cluster\ningress: {className: nginx}\n' +
          'imagePolicy: {strategy: semver}\n',
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^apps\/alpha\.yaml:4:3: probes\.readyness: unknown key "readyness" \(did you mean "readiness"\?\)/,
      ),
      expect.stringMatching(/^apps\/alpha\.yaml:5:11: workload: got "daemonset"; expected deployment or statefulset$/),
      expect.stringMatching(
        /^apps\/zeta\.yaml:2:7: port: got "80"; expected a port number \(the quotes make it a string: write 80 without them\)$/,
      ),
      expect.stringMatching(/^apps\/zeta\.yaml:3:11: replicas: got number -1; expected a number of at least 0$/),
      expect.stringMatching(/^environments\/prod\.yaml:1:12: namespace: got "Shop_Prod"; expected a DNS-1123 label/),
    ]);
  });

  it('in a base field are reported once, not once per environment', () => {
    const problems = problemsOf(project({ 'apps/web.yaml': `${IMAGE}port: 8080\nenv:\n  DB: \${service:postgres}\n` }));
    expect(problems).toEqual([
      'apps/web.yaml:4:7: env.DB: unknown service "postgres" in ${service:postgres}; ' +
        'expected one of: api, db, web, worker',
    ]);
  });

  it('that occur in some environments only name them', () => {
    const problems = problemsOf(
      project({
        'apps/web.yaml': `${IMAGE}port: 8080\nenv:\n  DB: \${service:db}\n`,
        'apps/db.yaml':
          'image: {repository: postgres, tag: "18.1"}\nport: 5432\n' + 'environments:\n  stage:\n    enabled: false\n',
      }),
    );
    expect(problems).toContain(
      'apps/web.yaml:4:7: env.DB: service "db" is disabled in environment stage; expected a service that runs there',
    );
    const partial = problemsOf(project({ 'apps/web.yaml': `${IMAGE}resources:\n  requests: {memory: 200Mi}\n` }));
    expect(partial).toEqual([
      expect.stringMatching(
        /^apps\/web\.yaml:3:22: resources\.requests\.memory: request 200Mi is greater than the limit 128Mi .*\(environment stage\)$/,
      ),
    ]);
  });

  it('never echo a value written where a secret reference belongs', () => {
    const secretEnv = 'secretEnv:\n  API_TOKEN: hunter2-s3cr3t\n  DB_PASSWORD: {secret: db, key: "hunter2 s3cr3t"}\n';
    const problems = problemsOf(project({ 'apps/web.yaml': `${IMAGE}${secretEnv}` }));
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).not.toMatch(/hunter2/);
  });
});
