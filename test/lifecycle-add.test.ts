import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { copyExample, REPO, runCli, snapshotTree } from './helpers.js';

/** `gitops-synth app add` and the argument checks of every app command, through the real CLI. */

const readYaml = (file: string) => parse(readFileSync(file, 'utf8'));

describe('app add', () => {
  it('writes apps/<name>.yaml with the schema comment, and the new service is rendered into every environment', async () => {
    const project = copyExample();
    const r = await runCli([
      'app',
      'add',
      'cache',
      '--image',
      'ghcr.io/acme-shop/cache:7.4.1',
      '--port',
      '8080',
      '--expose',
      'cache',
      '--run-as-user',
      '10001',
      '--run-as-group',
      '10001',
      '--replicas',
      '1',
      '--env',
      'LOG_LEVEL=info',
      '--env',
      'MAX_MEMORY=256',
      '--secret-env',
      'REDIS_PASSWORD=cache-credentials/password',
      '--volume',
      'data:/data:2Gi',
      '--project',
      project,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('added apps/cache.yaml');
    expect(readFileSync(join(project, 'apps', 'cache.yaml'), 'utf8')).toBe(
      [
        '# yaml-language-server: $schema=../schemas/service.schema.json',
        'image:',
        '  repository: ghcr.io/acme-shop/cache',
        '  tag: 7.4.1',
        'port: 8080',
        'expose: {subdomain: cache}',
        'replicas: 1',
        'env:',
        '  LOG_LEVEL: info',
        '  MAX_MEMORY: "256"',
        'secretEnv:',
        '  REDIS_PASSWORD: {secret: cache-credentials, key: password}',
        'volumes:',
        '  - name: data',
        '    mountPath: /data',
        '    size: 2Gi',
        'securityContext: {runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001}',
        '',
      ].join('\n'),
    );
    // The comment resolves: the project gets the schemas the repository ships.
    for (const f of ['service.schema.json', 'environment.schema.json', 'settings.schema.json'])
      expect(readFileSync(join(project, 'schemas', f), 'utf8')).toBe(readFileSync(join(REPO, 'schemas', f), 'utf8'));

    for (const [env, domain, namespace] of [
      ['stage', 'stage.shop.example.com', 'shop-stage'],
      ['prod', 'shop.example.com', 'shop-prod'],
    ]) {
      const dir = join(project, 'dist', env!, 'cache');
      const deployment = readYaml(join(dir, 'deployment-cache.yaml'));
      expect(deployment.metadata.namespace).toBe(namespace);
      expect(deployment.spec.replicas).toBe(1);
      const container = deployment.spec.template.spec.containers[0];
      expect(container.image).toBe('ghcr.io/acme-shop/cache:7.4.1');
      expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
      expect(container.env).toEqual([
        { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'cache-credentials', key: 'password' } } },
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'MAX_MEMORY', value: '256' },
      ]);
      expect(container.volumeMounts).toEqual([
        { name: 'data', mountPath: '/data' },
        { name: 'synth-tmp', mountPath: '/tmp' },
      ]);
      expect(readYaml(join(dir, 'ingress-cache.yaml')).spec.rules[0].host).toBe(`cache.${domain}`);
      expect(readYaml(join(dir, 'persistentvolumeclaim-cache-data.yaml')).spec.resources.requests.storage).toBe('2Gi');
      expect(readYaml(join(dir, 'kustomization.yaml')).images).toEqual([
        { name: 'ghcr.io/acme-shop/cache', newTag: '7.4.1' },
      ]);
    }
    expect((await runCli(['validate', '--project', project])).code).toBe(0);
  });

  it('refuses to overwrite a service, whether its file or its name exists, and changes nothing', async () => {
    const project = copyExample();
    writeFileSync(
      join(project, 'apps', 'named.yaml'),
      'name: shop-cache\nimage: {repository: redis, tag: "7.4.1"}\nsecurityContext: {runAsUser: 999}\n',
    );
    const before = snapshotTree(project);
    const sameFile = await runCli([
      'app',
      'add',
      'api',
      '--image',
      'ghcr.io/acme-shop/api:9.9.9',
      '--project',
      project,
    ]);
    expect(sameFile.code).toBe(1);
    expect(sameFile.stderr).toContain('apps/api.yaml already exists');
    const sameName = await runCli(['app', 'add', 'shop-cache', '--image', 'redis:7.4.1', '--project', project]);
    expect(sameName.code).toBe(1);
    expect(sameName.stderr).toContain('service "shop-cache" already exists (apps/named.yaml sets name: shop-cache)');
    expect(snapshotTree(project)).toEqual(before);
  });
});

describe('bad arguments of every app command', () => {
  // [arguments, a part of the message, exit code]: argument checks use the spec field types, so the messages are
  // the specs' own. A malformed command line is a usage error (2); one the project refuses is a failure (1).
  const cases: [string[], string, number?][] = [
    [['app', 'add', 'Cache_1', '--image', 'redis:7.4.1'], '<name> "Cache_1": expected a DNS-1035 label'],
    [['app', 'add', '9lives', '--image', 'redis:7.4.1'], '<name> "9lives": expected a DNS-1035 label'],
    [
      ['app', 'add', 'cache', '--image', 'redis:7.4.1', '--port', '6379', '--expose', 'cache'],
      '--expose "cache": needs an HTTP port: the Ingress routes HTTP, and --port 6379 is named for another protocol',
    ],
    [
      ['app', 'add', 'cache', '--image', 'redis:7.4.1', '--run-as-user', '0'],
      '--run-as-user "0": expected a non-zero uid',
    ],
    [['app', 'add', 'web', '--image', 'nginx:1.29.0'], 'such as nginxinc/nginx-unprivileged'],
    [['app', 'add', 'cache', '--image', 'redis'], '--image "redis": expected <repository>:<tag>'],
    [['app', 'add', 'cache', '--image', 'Redis:7.4.1'], 'expected an image repository without tag'],
    [
      ['app', 'add', 'cache', '--image', 'redis:7.4.1', '--port', '70000'],
      '--port "70000": expected a port from 1 to 65535',
    ],
    [['app', 'add', 'cache', '--image', 'redis:7.4.1', '--port', 'http'], '--port "http": expected a port number'],
    [
      ['app', 'add', 'cache', '--image', 'redis:7.4.1', '--replicas=-1'],
      '--replicas "-1": expected a number of at least 0',
    ],
    [
      ['app', 'add', 'cache', '--image', 'redis:7.4.1', '--port', '80', '--expose', 'Cache.Shop'],
      '--expose "Cache.Shop": expected a DNS-1123 label',
    ],
    [['app', 'add', 'cache', '--image', 'redis:7.4.1', '--expose', 'cache'], '--expose "cache": needs --port'],
    [
      ['app', 'add', 'cache', '--image', 'redis:7.4.1', '--env', '1ST=x'],
      '--env "1ST=x": expected an environment variable name',
    ],
    [['app', 'add', 'cache', '--image', 'redis:7.4.1', '--env', 'NOVALUE'], '--env "NOVALUE": expected KEY=VALUE'],
    [
      ['app', 'add', 'cache', '--image', 'redis:7.4.1', '--secret-env', 'PASSWORD=credentials'],
      '--secret-env "PASSWORD=credentials": expected VAR=<secret>/<key>',
    ],
    [
      ['app', 'add', 'cache', '--image', 'redis:7.4.1', '--secret-env', 'PASSWORD=Creds/password'],
      'expected a DNS-1123 subdomain',
    ],
    [
      ['app', 'add', 'cache', '--image', 'redis:7.4.1', '--volume', 'data:/data:1m'],
      'a lower-case "m" means milli-bytes',
    ],
    [
      ['app', 'add', 'cache', '--image', 'redis:7.4.1', '--volume', 'data:data:1Gi'],
      'expected an absolute path starting with "/"',
    ],
    [['app', 'add', 'cache', '--image', 'redis:7.4.1', '--volume', 'data'], 'expected <name>:<mount path>:<size>'],
    [['app', 'add', 'cache', '--port', '80'], 'Missing required argument: image'],
    [['app', 'add', 'cache', '--image', 'redis:7.4.1', '--replica', '2'], 'Unknown argument'],
    // Valid arguments that make an invalid spec: caught by validating the written spec, which is then taken back.
    [['app', 'add', 'cache', '--image', 'redis:7.4.1', '--env', 'REDIS_PASSWORD=hunter2'], 'apps/cache.yaml', 1],
    [
      ['app', 'add', 'shop', '--image', 'redis:7.4.1', '--port', '80', '--expose', 'api'],
      'host api.shop.example.com with path / is already routed to service "api"',
      1,
    ],
    [
      ['app', 'add', 'cache', '--image', 'redis:7.4.1', '--replicas', '2', '--volume', 'data:/data:1Gi'],
      'ReadWriteOnce',
      1,
    ],
    [['app', 'list', '--env', 'qa'], '--env "qa": unknown environment "qa"; expected one of: prod, stage', 1],
    [
      ['app', 'suspend', 'nginx'],
      'unknown service "nginx"; expected one of: api, flower, frontend, postgres, rabbitmq, worker',
      1,
    ],
    [['app', 'suspend', 'api', '--env', 'qa'], 'unknown environment "qa"', 1],
    [['app', 'resume', 'nginx'], 'unknown service "nginx"', 1],
    [['app', 'remove', 'nginx'], 'unknown service "nginx"', 1],
    [['app', 'remove'], 'Not enough non-option arguments'],
  ];

  it('each is reported with what was wrong and what was expected, exits 2 or 1, and leaves every file byte-identical', async () => {
    const project = copyExample();
    const before = snapshotTree(project);
    for (const [args, message, code = 2] of cases) {
      const r = await runCli([...args, '--project', project]);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toContain(message);
      expect(snapshotTree(project), args.join(' ')).toEqual(before);
    }
  });

  it('every problem of one command line is reported at once', async () => {
    const project = copyExample();
    const r = await runCli([
      'app',
      'add',
      'Cache',
      '--image',
      'redis',
      '--port',
      '0',
      '--env',
      'A-B=1',
      '--project',
      project,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('  '))).toHaveLength(4);
    expect(existsSync(join(project, 'apps', 'Cache.yaml'))).toBe(false);
  });
});
