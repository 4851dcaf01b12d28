import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

/**
 * Generated benchmark stacks: `services` service specs in `apps/` and the
 * environments stage and prod, shaped like real products. Services come in
 * groups of ten (a database, a queue or cache, an API with migrations and a
 * shared uploads volume, its workers, a scheduler, a static frontend with a
 * config file, and four internal services), so every size exercises every
 * construct. The same seed always gives the same files.
 */

export const BENCH_ENVIRONMENTS = ['prod', 'stage'] as const;

/** A small deterministic PRNG (mulberry32), so stacks are reproducible without a dependency. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Spec = Record<string, unknown>;

interface Picker {
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  int(min: number, max: number): number;
  sha(): string;
}

function picker(random: () => number): Picker {
  return {
    chance: (p) => random() < p,
    pick: (items) => items[Math.floor(random() * items.length)]!,
    int: (min, max) => min + Math.floor(random() * (max - min + 1)),
    sha: () => Array.from({ length: 7 }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join(''),
  };
}

const CPU = ['50m', '100m', '250m', '500m'];
const MEMORY = [
  ['128Mi', '256Mi'],
  ['256Mi', '512Mi'],
  ['512Mi', '1Gi'],
  ['1Gi', '2Gi'],
] as const;

function resources(r: Picker): Spec {
  const [request, limit] = r.pick(MEMORY);
  return { requests: { cpu: r.pick(CPU), memory: request }, limits: { memory: limit } };
}

/** An auto-updated image: a short-sha build tag for stage, a release that satisfies prod's ^1.0 policy. */
function autoImage(repository: string, r: Picker): { base: Spec; prod: Spec } {
  return { base: { repository, tag: r.sha(), autoUpdate: true }, prod: { tag: `1.${r.int(0, 20)}.${r.int(0, 9)}` } };
}

/** The ten services of group `g`, in dependency order (a service only depends on earlier ones). */
function group(g: number, r: Picker): [string, Spec][] {
  const p = `g${String(g).padStart(3, '0')}`;
  const db = `${p}-db`;
  const queue = `${p}-queue`;
  const api = `${p}-api`;
  const registry = `registry.example.com/bench/${p}`;
  const out: [string, Spec][] = [];

  out.push([
    db,
    {
      component: 'database',
      description: `PostgreSQL of product ${p}`,
      image: { repository: 'postgres', tag: '18.1' },
      workload: 'statefulset',
      ports: [{ name: 'postgres', port: 5432 }],
      env: { POSTGRES_DB: p, POSTGRES_USER: p },
      secretEnv: { POSTGRES_PASSWORD: { secret: `${db}-credentials`, key: 'password' } },
      volumes: [{ name: 'data', mountPath: '/var/lib/postgresql', size: `${r.int(5, 20)}Gi` }],
      probes: {
        readiness: { exec: ['pg_isready', '--username', p], periodSeconds: 10 },
        liveness: { tcp: 'postgres', periodSeconds: 20 },
      },
      securityContext: { runAsUser: 999, runAsGroup: 999, fsGroup: 999 },
      resources: { requests: { memory: '256Mi' }, limits: { memory: '512Mi' } },
      environments: {
        prod: {
          volumes: [{ name: 'data', mountPath: '/var/lib/postgresql', size: `${r.int(50, 200)}Gi` }],
          resources: resources(r),
        },
      },
    },
  ]);

  const rabbit = r.chance(0.5);
  out.push([
    queue,
    rabbit
      ? {
          component: 'queue',
          image: { repository: 'rabbitmq', tag: '4.2.0' },
          workload: 'statefulset',
          ports: [{ name: 'amqp', port: 5672 }],
          env: { RABBITMQ_DEFAULT_USER: p, RABBITMQ_DEFAULT_VHOST: p },
          secretEnv: { RABBITMQ_DEFAULT_PASS: { secret: `${queue}-credentials`, key: 'password' } },
          volumes: [{ name: 'data', mountPath: '/var/lib/rabbitmq', size: '5Gi' }],
          probes: {
            readiness: { tcp: 'amqp', periodSeconds: 10 },
            liveness: { exec: ['rabbitmq-diagnostics', '--quiet', 'ping'], periodSeconds: 30, timeoutSeconds: 15 },
          },
          securityContext: { runAsUser: 999, runAsGroup: 999, fsGroup: 999 },
          resources: { requests: { memory: '256Mi' }, limits: { memory: '512Mi' } },
        }
      : {
          component: 'cache',
          image: { repository: 'redis', tag: '8.2.1' },
          workload: 'statefulset',
          ports: [{ name: 'redis', port: 6379 }],
          args: ['--appendonly', 'yes'],
          volumes: [{ name: 'data', mountPath: '/data', size: '2Gi' }],
          probes: { readiness: { tcp: 'redis' }, liveness: { exec: ['redis-cli', 'ping'], periodSeconds: 30 } },
          securityContext: { runAsUser: 999, runAsGroup: 999, fsGroup: 999 },
        },
  ]);
  const brokerUrl = rabbit
    ? `amqp://${p}:$(BROKER_PASSWORD)@\${service:${queue}}:5672/${p}`
    : `redis://\${service:${queue}}:6379/0`;
  const brokerSecret = rabbit ? { BROKER_PASSWORD: { secret: `${queue}-credentials`, key: 'password' } } : {};
  const dbEnv = { DATABASE_HOST: `\${service:${db}}`, DATABASE_NAME: p, DATABASE_USER: p, BROKER_URL: brokerUrl };
  const dbSecret = { DATABASE_PASSWORD: { secret: `${db}-credentials`, key: 'password' }, ...brokerSecret };

  const apiImage = autoImage(`${registry}/api`, r);
  out.push([
    api,
    {
      component: 'api',
      description: `HTTP API of product ${p}`,
      image: apiImage.base,
      port: 8000,
      expose: { subdomain: api },
      command: ['gunicorn'],
      args: ['app.wsgi', '--bind', '0.0.0.0:8000', '--workers', String(r.int(2, 8))],
      env: {
        ...dbEnv,
        ALLOWED_HOSTS: `${api}.\${env:domain}`,
        PUBLIC_URL: `https://${api}.\${env:domain}`,
        ENVIRONMENT: '${env:name}',
        UPLOADS_DIR: '/srv/uploads',
      },
      secretEnv: { ...dbSecret, APP_SECRET_KEY: { secret: `${api}-secrets`, key: 'secret-key' } },
      volumes: [
        { name: 'uploads', mountPath: '/srv/uploads', size: `${r.int(10, 50)}Gi`, accessMode: 'ReadWriteMany' },
      ],
      probes: { readiness: { http: '/healthz/ready' }, liveness: { http: '/healthz/live', periodSeconds: 20 } },
      migrations: { command: ['python', 'manage.py', 'migrate', '--noinput'] },
      dependsOn: [db, queue],
      securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
      environments: {
        prod: {
          image: apiImage.prod,
          autoscaling: { minReplicas: 2, maxReplicas: r.int(4, 20), targetCPUUtilization: 70 },
          resources: resources(r),
        },
      },
    },
  ]);

  out.push([
    `${p}-worker`,
    {
      component: 'worker',
      image: { ...apiImage.base },
      command: ['celery'],
      args: ['--app', 'app', 'worker', '--loglevel', 'INFO', '--concurrency', String(r.int(2, 8))],
      env: { ...dbEnv, UPLOADS_DIR: '/srv/uploads' },
      secretEnv: { ...dbSecret },
      volumes: [{ name: 'uploads', mountPath: '/srv/uploads', from: api }],
      probes: {
        liveness: { exec: ['celery', '--app', 'app', 'inspect', 'ping'], periodSeconds: 60, timeoutSeconds: 15 },
      },
      dependsOn: [db, queue],
      securityContext: { runAsUser: 1000, runAsGroup: 1000 },
      environments: { prod: { image: apiImage.prod, replicas: r.int(2, 6) } },
    },
  ]);

  out.push([
    `${p}-scheduler`,
    {
      component: 'scheduler',
      image: { ...apiImage.base },
      command: ['celery'],
      args: ['--app', 'app', 'beat', '--loglevel', 'INFO'],
      env: { BROKER_URL: brokerUrl, TZ: 'UTC' },
      secretEnv: { ...brokerSecret },
      dependsOn: [queue],
      securityContext: { runAsUser: 1000, runAsGroup: 1000, readOnlyRootFilesystem: true },
      environments: { prod: { image: apiImage.prod } },
    },
  ]);

  const webImage = autoImage(`${registry}/web`, r);
  out.push([
    `${p}-web`,
    {
      component: 'frontend',
      image: webImage.base,
      port: 8080,
      expose: { subdomain: p },
      env: { API_URL: `https://${api}.\${env:domain}` },
      files: {
        '/etc/nginx/conf.d/default.conf': `server {\n  listen 8080;\n  root /usr/share/nginx/html;\n  location /api/ { proxy_pass http://\${service:${api}}:8000/; }\n  location / { try_files $uri /index.html; }\n}\n`,
      },
      probes: { readiness: { http: '/' }, liveness: { http: '/', periodSeconds: 30 } },
      securityContext: { runAsUser: 101, runAsGroup: 101 },
      environments: { prod: { image: webImage.prod, replicas: 2 } },
    },
  ]);

  for (let i = 0; i < 4; i++) {
    const name = `${p}-svc${i}`;
    const image = autoImage(`${registry}/svc${i}`, r);
    const withMetrics = r.chance(0.5);
    const spec: Spec = {
      component: r.pick(['backend', 'search', 'billing', 'notifications', 'reports']),
      image: image.base,
      ...(withMetrics
        ? {
            ports: [
              { name: 'http', port: 8080 },
              { name: 'metrics', port: 9090 },
            ],
          }
        : { port: 8080 }),
      env: {
        LOG_LEVEL: r.pick(['info', 'debug', 'warning']),
        API_BASE: `http://\${service:${api}}:8000`,
        DATABASE_HOST: `\${service:${db}}`,
        DATABASE_NAME: p,
        WORKERS: r.int(1, 16),
        FEATURE_FLAGS: r.pick(['', 'beta', 'beta,new-ui']),
      },
      secretEnv: {
        DATABASE_PASSWORD: { secret: `${db}-credentials`, key: 'password' },
        [`SVC${i}_API_TOKEN`]: { secret: `${name}-secrets`, key: 'api-token' },
      },
      probes: {
        readiness: { http: '/ready' },
        liveness: { http: '/live', periodSeconds: r.pick([10, 20, 30]) },
        ...(r.chance(0.3) ? { startup: { http: '/ready', failureThreshold: 30 } } : {}),
      },
      dependsOn: r.chance(0.5) ? [db, api] : [db],
      resources: resources(r),
      securityContext: { runAsUser: 1000, runAsGroup: 1000 },
      environments: {
        prod: {
          image: image.prod,
          ...(r.chance(0.4)
            ? { autoscaling: { minReplicas: 2, maxReplicas: r.int(3, 12), targetCPUUtilization: r.pick([60, 70, 80]) } }
            : { replicas: r.int(1, 3) }),
        },
      },
    };
    if (r.chance(0.3)) spec.expose = { subdomain: name, path: '/' };
    if (r.chance(0.3)) spec.migrations = { command: ['./migrate'], args: ['--to', 'latest'] };
    out.push([name, spec]);
  }
  return out;
}

const HEADER = '# Generated by bench/stack.ts for `npm run bench`.\n';

/** Writes a stack of `services` services × stage and prod into `dir` (apps/ and environments/). */
export function generateStack(dir: string, services: number, seed = 20_240_601): void {
  const r = picker(seededRandom(seed + services));
  const apps = join(dir, 'apps');
  const envs = join(dir, 'environments');
  mkdirSync(apps, { recursive: true });
  mkdirSync(envs, { recursive: true });
  let written = 0;
  for (let g = 0; written < services; g++) {
    for (const [name, spec] of group(g, r)) {
      if (written === services) break;
      writeFileSync(join(apps, `${name}.yaml`), HEADER + stringify(spec, { lineWidth: 0 }));
      written++;
    }
  }
  // An explicit repository, so the Argo CD layer renders without a git remote.
  writeFileSync(
    join(envs, '_settings.yaml'),
    `${HEADER}project: bench\nrepository:\n  url: https://github.com/bench/bench-deploy.git\n`,
  );
  const env = (name: string, domain: string, policy: Spec, defaults: Spec): Spec => ({
    namespace: `bench-${name}`,
    domain,
    cluster: 'https://kubernetes.default.svc',
    storageClass: 'longhorn',
    ingress: { className: 'nginx', tls: { clusterIssuer: 'letsencrypt' } },
    defaults,
    imagePolicy: policy,
  });
  writeFileSync(
    join(envs, 'stage.yaml'),
    HEADER +
      stringify(
        env(
          'stage',
          'stage.bench.example.com',
          { strategy: 'newest-build' },
          { replicas: 1, resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } } },
        ),
      ),
  );
  writeFileSync(
    join(envs, 'prod.yaml'),
    HEADER +
      stringify(
        env(
          'prod',
          'bench.example.com',
          { strategy: 'semver', constraint: '^1.0' },
          { replicas: 1, resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } } },
        ),
      ),
  );
}

/** The service that `changeOneService` edits: the first group's database (a StatefulSet in both environments). */
export const CHANGED_SERVICE = 'g000-db';

/**
 * Gives CHANGED_SERVICE of the stack in `dir` the environment variable
 * BENCH_CHANGE=`mark`, as a developer's edit of one service would, so its
 * folder in every environment changes. Returns a function that puts the spec
 * back as it was.
 */
export function changeOneService(dir: string, mark: string): () => void {
  const file = join(dir, 'apps', `${CHANGED_SERVICE}.yaml`);
  const original = readFileSync(file, 'utf8');
  const spec = parse(original) as Spec & { env: Record<string, string> };
  spec.env = { ...spec.env, BENCH_CHANGE: mark };
  writeFileSync(file, HEADER + stringify(spec, { lineWidth: 0 }));
  return () => writeFileSync(file, original);
}
