import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { toolPath } from '../src/validate/tools.js';
import { copyExample, runCli, tempDir } from './helpers.js';
import { requireTool } from './system-tools.js';

/** The script makes every secret value with openssl rand. */
const openssl = requireTool('openssl');

/**
 * Runs the generated bootstrap script for real (real bash, real openssl)
 * against a stand-in for the cluster: no Kubernetes can run here, so a small
 * `kubectl` on PATH keeps namespaces and secrets in a JSON file, logs every
 * command line, records the mode of every file it reads, and fails on any
 * command it does not know, so a changed script cannot silently skip a step.
 */

interface ClusterState {
  namespaces: string[];
  /** `<namespace>/<name>` → labels and base64 data. */
  secrets: Record<string, { labels: Record<string, string>; data: Record<string, string> }>;
  /** What was applied, in order: `-k <dir>` or `-f <dir>`. */
  applied: string[];
  /** Installed CRDs by name, and External Secrets stores as `<kind>/<namespace or ->/<name>`. */
  crds?: string[];
  stores?: string[];
}

/** The kubectl the project validates with, here parsing the manifests and patches the script writes. */
const REAL_KUBECTL = toolPath('kubectl');
const KEYS_TEMPLATE = 'go-template={{range $key, $value := .data}}{{$key}}{{"\\n"}}{{end}}';
const TOKEN = 'ghp_FAKE0token0that0must0never0leak0000';
const DEX_SECRET = 'dex-client-secret-0000000000';

/** What a kubectl call answers. */
interface Reply {
  code: number;
  stdout: string;
  stderr: string;
}

/** Ends a fake kubectl call with its exit status. */
class Exit {
  constructor(readonly code: number) {}
}

/** Ends the request a client sends: its working folder and arguments, each followed by a NUL. */
const REQUEST_END = '\u0001END\u0001';

/** The stand-in clusters of the current test, stopped after it. */
const clusters: Server[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((s) => new Promise((done) => s.close(done))));
});

/**
 * A stand-in cluster: the `kubectl` on PATH is a small bash client that hands
 * its working folder and arguments to this test process over a local TCP
 * socket (bash's /dev/tcp) and prints the answer. The cluster's state lives
 * in this process's files, as a real cluster's lives elsewhere; a node
 * process per call would cost about 40 ms of start-up, and a run makes some
 * fifty calls.
 */
async function fakeKubectl(dir: string) {
  const stateFile = join(dir, 'state.json');
  const logFile = join(dir, 'calls.jsonl');
  const modesFile = join(dir, 'modes.jsonl');
  const currentFile = join(dir, 'current.json');
  const s = JSON.stringify;
  // The External Secrets Operator and the ClusterSecretStore the example's prod reads from are installed.
  writeFileSync(
    stateFile,
    s({
      namespaces: [],
      secrets: {},
      applied: [],
      crds: ['externalsecrets.external-secrets.io'],
      stores: ['ClusterSecretStore/-/vault'],
    } satisfies ClusterState),
  );

  const kubectl = (argv: string[], cwd: string): Reply => {
    let stdout = '';
    let stderr = '';
    const exit = (code = 0): never => {
      throw new Exit(code);
    };
    const write = (text: string) => {
      stdout += text;
    };
    try {
      appendFileSync(logFile, `${s(argv)}\n`);
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterState;
      const save = () => writeFileSync(stateFile, s(state));
      const die = (msg: string, code = 1): never => {
        stderr += `${msg}\n`;
        return exit(code);
      };
      const unknown = () => die(`fake kubectl: unsupported command ${s(argv)}`, 99);
      const readInput = (f: string) => {
        const file = resolve(cwd, f);
        appendFileSync(modesFile, `${(statSync(file).mode & 0o777).toString(8)}\n`);
        return readFileSync(file, 'utf8');
      };
      const args = [...argv];
      let ns: string | undefined;
      if (args.indexOf('-n') >= 0) ns = args.splice(args.indexOf('-n'), 2)[1];
      const flag = (name: string) => args.find((x) => x.startsWith(`${name}=`))?.slice(name.length + 1);
      const [verb, kind, name = ''] = args;
      if (verb === 'config' && kind === 'current-context') {
        write('fake-cluster\n');
        exit(0);
      }
      if (verb === 'get' && kind === '--raw=/readyz') {
        write('ok');
        exit(0);
      }
      if (verb === 'auth' && kind === 'can-i') {
        write('yes\n');
        exit(0);
      }
      if (verb === 'wait' || (verb === 'rollout' && kind === 'status')) exit(0);
      if (verb === 'apply') {
        if (!args.includes('--server-side') || !args.includes('--force-conflicts'))
          die('fake kubectl: apply without --server-side --force-conflicts', 98);
        const k = args.indexOf('-k');
        const f = args.indexOf('-f');
        if (k >= 0) {
          if (!existsSync(`${resolve(cwd, args[k + 1]!)}/kustomization.yaml`))
            die(`no kustomization in ${args[k + 1]}`);
          state.applied.push(`-k ${args[k + 1]}`);
          // Like the real install manifest: Argo CD comes with an argocd-secret that holds no SSO keys.
          if (args[k + 1]!.endsWith('/argo-cd') && !state.secrets['argocd/argocd-secret'])
            state.secrets['argocd/argocd-secret'] = { labels: {}, data: {} };
        } else if (f >= 0) state.applied.push(`-f ${args[f + 1]}`);
        else unknown();
        save();
        exit(0);
      }
      if (verb === 'get' && kind === 'namespace') exit(state.namespaces.includes(name) ? 0 : 1);
      if (verb === 'get' && kind === 'crd') exit((state.crds ?? []).includes(name) ? 0 : 1);
      const stores = state.stores ?? [];
      if (verb === 'get' && kind === 'clustersecretstores.external-secrets.io')
        exit(stores.includes(`ClusterSecretStore/-/${name}`) ? 0 : 1);
      if (verb === 'get' && kind === 'secretstores.external-secrets.io')
        exit(stores.includes(`SecretStore/${ns}/${name}`) ? 0 : 1);
      if (verb === 'create' && kind === 'namespace') {
        if (state.namespaces.includes(name)) die('AlreadyExists');
        state.namespaces.push(name);
        save();
        exit(0);
      }
      if (verb === 'get' && kind === 'secret') {
        const secret = state.secrets[`${ns}/${name}`];
        if (!secret) die(`Error from server (NotFound): secrets "${name}" not found`);
        const o = args.indexOf('-o');
        if (o < 0) {
          write(`secret/${name}\n`);
          exit(0);
        }
        if (args[o + 1] !== KEYS_TEMPLATE) die(`fake kubectl: unexpected output format ${args[o + 1]}`, 97);
        write(
          Object.keys(secret!.data)
            .sort()
            .map((k) => `${k}\n`)
            .join(''),
        );
        exit(0);
      }
      // Manifests and patches are read by the real kubectl (offline, --local), so their format is kubectl's business.
      const realKubectl = (...a: string[]) => {
        const r = spawnSync(REAL_KUBECTL, a, {
          cwd,
          encoding: 'utf8',
          env: { PATH: process.env.PATH, KUBECONFIG: '/nonexistent' },
        });
        if (r.status !== 0) die(`real kubectl ${a.join(' ')} failed: ${r.stderr}`, 96);
        return JSON.parse(r.stdout) as {
          kind: string;
          metadata: { name: string; namespace: string; labels?: Record<string, string> };
          data?: Record<string, string>;
        };
      };
      if (verb === 'create' && kind === '-f') {
        readInput(name);
        const o = realKubectl('patch', '--local', '-f', name, '--type=merge', '-p', '{}', '-o', 'json');
        if (o.kind !== 'Secret') die('fake kubectl: only Secrets are created from files');
        const key = `${o.metadata.namespace}/${o.metadata.name}`;
        if (state.secrets[key]) die(`Error from server (AlreadyExists): secrets "${o.metadata.name}" already exists`);
        if (!state.namespaces.includes(o.metadata.namespace)) die(`namespace ${o.metadata.namespace} not found`);
        for (const v of Object.values(o.data ?? {}))
          if (typeof v !== 'string' || Buffer.from(v, 'base64').toString('base64') !== v)
            die('fake kubectl: data values must be base64');
        state.secrets[key] = { labels: o.metadata.labels ?? {}, data: o.data ?? {} };
        save();
        exit(0);
      }
      if (verb === 'patch' && kind === 'secret') {
        const secret = state.secrets[`${ns}/${name}`];
        if (!secret) die('NotFound');
        if (flag('--type') !== 'merge') unknown();
        readInput(flag('--patch-file') ?? '');
        const current = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, data: secret!.data };
        writeFileSync(currentFile, s(current));
        const patch = `--patch-file=${flag('--patch-file')}`;
        secret!.data =
          realKubectl('patch', '--local', '-f', currentFile, '--type=merge', patch, '-o', 'json').data ?? {};
        save();
        exit(0);
      }
      unknown();
      return { code: 0, stdout, stderr };
    } catch (err) {
      if (err instanceof Exit) return { code: err.code, stdout, stderr };
      return { code: 95, stdout, stderr: `${stderr}fake kubectl: ${err instanceof Error ? err.stack : String(err)}\n` };
    }
  };

  const server = createServer((socket) => {
    let request = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      request = Buffer.concat([request, chunk]);
      const end = request.indexOf(REQUEST_END);
      if (end < 0) return;
      // The working folder, then the arguments, each followed by a NUL.
      const [cwd = '/', ...argv] = request.subarray(0, end).toString('utf8').split('\0').slice(0, -1);
      const reply = kubectl(argv, cwd);
      const b64 = (text: string) => Buffer.from(text).toString('base64');
      socket.end(`${reply.code}\n${b64(reply.stdout)}\n${b64(reply.stderr)}\n`);
    });
  });
  clusters.push(server);
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  const client = [
    '#!/usr/bin/env bash',
    '# The stand-in cluster answers in the test process: exit status, then stdout and stderr in base64.',
    `exec 3<>/dev/tcp/127.0.0.1/${port}`,
    `printf '%s\\0' "$PWD" "$@" >&3`,
    `printf '\\001END\\001' >&3`,
    'IFS= read -r code <&3; IFS= read -r out <&3; IFS= read -r err <&3',
    'exec 3<&-',
    '[ -z "$out" ] || printf %s "$out" | base64 -d',
    '[ -z "$err" ] || printf %s "$err" | base64 -d >&2',
    'exit "$code"',
    '',
  ].join('\n');
  const binDir = join(dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  writeFileSync(join(binDir, 'kubectl'), client);
  chmodSync(join(binDir, 'kubectl'), 0o755);
  const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
  return {
    binDir,
    state: (): ClusterState => JSON.parse(readFileSync(stateFile, 'utf8')),
    setState: (state: ClusterState) => writeFileSync(stateFile, s(state)),
    calls: (): string[][] => lines(logFile).map((l) => JSON.parse(l)),
    fileModes: () => lines(modesFile),
  };
}

/** The shipped example with a repository URL, rendered by `gitops-synth bootstrap`, plus a fake cluster. */
async function setUp(settings: Record<string, unknown> = {}) {
  const project = copyExample();
  const file = join(project, 'environments', '_settings.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const set = (path: string[], value: unknown): void => {
    if (value && typeof value === 'object' && !Array.isArray(value))
      Object.entries(value).forEach(([k, v]) => set([...path, k], v));
    else doc.setIn(path, value);
  };
  set([], { repository: { url: 'https://github.com/acme-shop/devops.git' }, ...settings });
  writeFileSync(file, doc.toString());
  const r = await runCli(['bootstrap', '--project', project]);
  expect(r.code, r.stderr).toBe(0);
  // The script applies the rendered dist/argocd/ last; its content is another test's business.
  mkdirSync(join(project, 'dist', 'argocd'), { recursive: true });
  const cluster = await fakeKubectl(tempDir('gitops-synth-fake-cluster-'));
  const tmp = tempDir('gitops-synth-bootstrap-tmp-');
  // Asynchronous: the stand-in cluster answers in this process while the script runs.
  const run = (args: string[] = ['--yes'], env: Record<string, string> = {}): Promise<Reply> =>
    new Promise((done, fail) => {
      const child = spawn(BASH, [join(project, 'dist', 'bootstrap', 'bootstrap.sh'), ...args], {
        env: {
          PATH: `${cluster.binDir}:${process.env.PATH}`,
          HOME: tmp,
          TMPDIR: tmp,
          DEX_GITHUB_CLIENT_ID: 'dex-client-id',
          DEX_GITHUB_CLIENT_SECRET: DEX_SECRET,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => {
        stdout += b.toString();
      });
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      child.on('error', fail);
      child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
    });
  return { project, cluster, tmp, run };
}

const BASH = execFileSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();
const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
/** The kubectl verb of a logged call, past any `-n <namespace>`. */
const verbOf = (call: string[]) => (call[0] === '-n' ? call[2]! : call[0]!);

openssl.describe('the bootstrap script against a stand-in cluster', () => {
  it('installs, creates namespaces, every secret with random values, the repository credentials, then applies dist/argocd/', async () => {
    const { project, cluster, run } = await setUp();
    const r = await run(['--yes'], { DEVOPS_REPO_TOKEN: TOKEN });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const state = cluster.state();
    expect(state.namespaces).toEqual(['argocd', 'shop-prod', 'shop-stage']);
    const bootstrapDir = join(project, 'dist', 'bootstrap');
    expect(state.applied).toEqual([
      `-k ${bootstrapDir}/argo-cd`,
      `-k ${bootstrapDir}/image-updater`,
      `-f ${bootstrapDir}/../argocd`,
    ]);
    // Prod reads its Secrets from the secret manager (ExternalSecrets): none is generated there.
    expect(Object.keys(state.secrets).sort()).toEqual([
      'argocd/argocd-secret',
      'argocd/devops-repo-creds',
      ...['api-secrets', 'flower-auth', 'postgres-credentials', 'rabbitmq-credentials'].map((n) => `shop-stage/${n}`),
    ]);
    expect(r.stdout).toContain(
      'namespace shop-prod reads its secrets from ClusterSecretStore vault (External Secrets Operator): none generated',
    );
    expect(decode(state.secrets['shop-stage/postgres-credentials']!.data.password!)).toMatch(/^[0-9a-f]{64}$/);
    expect(decode(state.secrets['shop-stage/flower-auth']!.data['basic-auth']!)).toMatch(/^admin:[0-9a-f]{48}$/);
    expect(state.secrets['shop-stage/api-secrets']!.labels).toEqual({
      'app.kubernetes.io/managed-by': 'gitops-synth-bootstrap',
      'app.kubernetes.io/part-of': 'shop',
    });
    // Every value is fresh: no two keys anywhere share one.
    const values = Object.entries(state.secrets)
      .filter(([k]) => !k.startsWith('argocd/'))
      .flatMap(([, secret]) => Object.values(secret.data));
    expect(new Set(values).size).toBe(values.length);
    const repo = state.secrets['argocd/devops-repo-creds']!;
    expect(repo.labels['argocd.argoproj.io/secret-type']).toBe('repository');
    expect(Object.fromEntries(Object.entries(repo.data).map(([k, v]) => [k, decode(v)]))).toEqual({
      type: 'git',
      url: 'https://github.com/acme-shop/devops.git',
      username: 'git',
      password: TOKEN,
    });
    // Single sign-on: the GitHub OAuth app's client ID and secret, which argocd-cm references.
    expect(
      Object.fromEntries(Object.entries(state.secrets['argocd/argocd-secret']!.data).map(([k, v]) => [k, decode(v)])),
    ).toEqual({ 'dex.github.clientID': 'dex-client-id', 'dex.github.clientSecret': DEX_SECRET });
  });

  it('never shows a secret value: not on any command line, not in the output, and files holding values are 0600 and gone afterwards', async () => {
    const { cluster, tmp, run } = await setUp();
    const r = await run(['--yes'], { DEVOPS_REPO_TOKEN: TOKEN });
    expect(r.code).toBe(0);
    const state = cluster.state();
    const secrets = Object.values(state.secrets).flatMap((s) => Object.values(s.data).flatMap((v) => [v, decode(v)]));
    const sensitive = [
      ...secrets.filter(
        (v) =>
          v.length >= 16 &&
          !v.startsWith('https://') &&
          !/^aHR0cHM6/.test(v) &&
          !v.includes('client-id') &&
          !/^ZGV4LWNsaWVudC1pZA/.test(v),
      ),
      TOKEN,
      DEX_SECRET,
    ];
    expect(sensitive.length).toBeGreaterThan(8);
    const commandLines = cluster.calls().map((c) => c.join(' '));
    for (const value of sensitive) {
      for (const line of commandLines) expect(line).not.toContain(value);
      expect(r.stdout + r.stderr).not.toContain(value);
    }
    expect(cluster.fileModes().length).toBeGreaterThan(0);
    expect(new Set(cluster.fileModes())).toEqual(new Set(['600']));
    expect(readdirSync(tmp).filter((f) => f.startsWith('tmp.'))).toEqual([]);
  });

  it('is idempotent: a second run changes nothing and keeps every value', async () => {
    const { cluster, run } = await setUp();
    expect((await run(['--yes'], { DEVOPS_REPO_TOKEN: TOKEN })).code).toBe(0);
    const first = cluster.state();
    const callsBefore = cluster.calls().length;
    const again = await run(['--yes'], { DEVOPS_REPO_TOKEN: 'another-token-value-000000000000' });
    expect(again.code).toBe(0);
    const second = cluster.state();
    expect(second.secrets).toEqual(first.secrets);
    expect(second.namespaces).toEqual(first.namespaces);
    expect(again.stdout).toContain('secret shop-stage/postgres-credentials exists: kept as it is');
    expect(again.stdout).toContain('repository credentials argocd/devops-repo-creds exist: kept as they are');
    expect(again.stdout).toContain('argocd/argocd-secret has dex.github.clientSecret: kept as it is');
    // The second run only reads (and re-applies the pinned installs
    // and dist/argocd/, which server-side apply makes idempotent).
    const mutations = cluster
      .calls()
      .slice(callsBefore)
      .filter((c) => c.includes('create') || c.includes('patch'));
    expect(mutations).toEqual([]);
  });

  it("keeps the values of a rebuilt cluster's restored secrets and only adds the keys they lack", async () => {
    const { cluster, run } = await setUp();
    const restored = Buffer.from('restored-from-backup').toString('base64');
    cluster.setState({
      ...cluster.state(),
      namespaces: ['shop-stage'],
      secrets: {
        'shop-stage/postgres-credentials': { labels: {}, data: { password: restored } },
        // An older secret without the key a newer spec references, plus a key nobody references.
        'shop-stage/api-secrets': { labels: {}, data: { legacy: restored } },
      },
    });
    const r = await run();
    expect(r.stderr).toContain('DEVOPS_REPO_TOKEN is not set');
    expect(r.code).toBe(0);
    const state = cluster.state();
    expect(state.secrets['shop-stage/postgres-credentials']!.data).toEqual({ password: restored });
    expect(state.secrets['shop-stage/api-secrets']!.data.legacy).toBe(restored);
    expect(decode(state.secrets['shop-stage/api-secrets']!.data['django-secret-key']!)).toMatch(/^[0-9a-f]{64}$/);
    expect(r.stdout).toContain(
      'secret shop-stage/api-secrets exists: kept its values, ' +
        'added random values for the missing keys: django-secret-key',
    );
    expect(state.secrets['shop-stage/rabbitmq-credentials']).toBeDefined();
  });

  it('warns, and generates nothing, when the External Secrets Operator or the secret store is missing', async () => {
    const { cluster, run } = await setUp();
    cluster.setState({ ...cluster.state(), stores: [] });
    const noStore = await run(['--yes'], { DEVOPS_REPO_TOKEN: TOKEN });
    expect(noStore.code).toBe(0);
    expect(noStore.stderr).toBe(
      'bootstrap: warning: ClusterSecretStore vault is missing: ' +
        'the secrets of namespace shop-prod are read from it; create it\n',
    );
    cluster.setState({ ...cluster.state(), crds: [] });
    const noOperator = await run(['--yes'], { DEVOPS_REPO_TOKEN: TOKEN });
    expect(noOperator.code).toBe(0);
    expect(noOperator.stderr).toContain(
      'warning: the External Secrets Operator is not installed, ' +
        'and namespace shop-prod reads its secrets through it from ClusterSecretStore vault: install it',
    );
    expect(Object.keys(cluster.state().secrets).filter((k) => k.startsWith('shop-prod/'))).toEqual([]);
  });

  it('with the local admin disabled, refuses to start without the single sign-on credentials, changing nothing', async () => {
    const { cluster, run } = await setUp();
    const before = cluster.state();
    const r = await run(['--yes'], { DEX_GITHUB_CLIENT_SECRET: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'bootstrap: error: DEX_GITHUB_CLIENT_SECRET is not set and argocd/argocd-secret has no ' +
        "dex.github.clientSecret: the settings disable Argo CD's local admin (sso.disableAdmin), " +
        'so nobody could log in; set DEX_GITHUB_CLIENT_SECRET and run again, ' +
        'or set sso.disableAdmin: false in the settings; nothing was changed',
    );
    expect(cluster.state()).toEqual(before);
    // Only questions were asked of the cluster.
    for (const c of cluster.calls()) expect(['config', 'get', 'auth']).toContain(verbOf(c));
    // A secret that already holds the key is enough: the variable is not needed again.
    const state = cluster.state();
    state.namespaces.push('argocd');
    state.secrets['argocd/argocd-secret'] = {
      labels: {},
      data: { 'dex.github.clientSecret': Buffer.from('kept').toString('base64') },
    };
    cluster.setState(state);
    const again = await run(['--yes'], { DEX_GITHUB_CLIENT_SECRET: '' });
    expect(again.code, again.stderr).toBe(0);
  });

  it('registers no credentials it is not given, and says so', async () => {
    const { cluster, run } = await setUp({ sso: { disableAdmin: false } });
    const r = await run(['--yes'], { DEX_GITHUB_CLIENT_SECRET: '' });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: DEVOPS_REPO_TOKEN is not set');
    expect(r.stderr).toContain(
      'warning: DEX_GITHUB_CLIENT_SECRET is not set, so argocd/argocd-secret has no dex.github.clientSecret',
    );
    expect(cluster.state().secrets['argocd/argocd-secret']!.data).toEqual({
      'dex.github.clientID': Buffer.from('dex-client-id').toString('base64'),
    });
    expect(cluster.state().secrets['argocd/devops-repo-creds']).toBeUndefined();
  });

  it('registers an SSH deploy key for an SSH repository URL, and adds the Dex client secret when single sign-on is on', async () => {
    const { cluster, tmp, run } = await setUp({
      repository: { url: 'git@github.com:acme-shop/devops.git' },
      sso: { github: { organization: 'acme-shop', clientId: 'public-client-id' } },
    });
    const keyFile = join(tmp, 'deploy-key');
    writeFileSync(
      keyFile,
      '-----BEGIN OPENSSH PRIVATE KEY-----\nfake0key0material0000000000000000\n-----END OPENSSH PRIVATE KEY-----\n',
    );
    const state = cluster.state();
    state.namespaces.push('argocd');
    state.secrets['argocd/argocd-secret'] = {
      labels: {},
      data: { 'server.secretkey': Buffer.from('kept').toString('base64') },
    };
    cluster.setState(state);
    const r = await run(['--yes'], { DEVOPS_REPO_SSH_KEY_FILE: keyFile });
    expect(r.stderr).toBe('');
    const after = cluster.state();
    const repo = after.secrets['argocd/devops-repo-creds']!;
    expect(decode(repo.data.sshPrivateKey!)).toBe(readFileSync(keyFile, 'utf8'));
    expect(decode(repo.data.url!)).toBe('git@github.com:acme-shop/devops.git');
    // The client ID is in the settings, so only the client secret goes into argocd-secret, beside what is there.
    expect(Object.keys(after.secrets['argocd/argocd-secret']!.data).sort()).toEqual([
      'dex.github.clientSecret',
      'server.secretkey',
    ]);
    expect(decode(after.secrets['argocd/argocd-secret']!.data['dex.github.clientSecret']!)).toBe(DEX_SECRET);
    expect(after.secrets['argocd/argocd-secret']!.data['server.secretkey']).toBe(
      Buffer.from('kept').toString('base64'),
    );
    for (const c of cluster.calls()) expect(c.join(' ')).not.toContain(DEX_SECRET);
  });

  it('refuses to run unattended without --yes, before touching the cluster', async () => {
    const { cluster, run } = await setUp();
    const before = cluster.state();
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pass --yes to bootstrap the cluster of context fake-cluster');
    expect(cluster.state()).toEqual(before);
    expect(before).toMatchObject({ namespaces: [], secrets: {}, applied: [] });
    expect(cluster.calls().every((c) => ['config', 'get', 'auth'].includes(verbOf(c)))).toBe(true);
  });

  it('stops with a clear message when kubectl is missing', async () => {
    const { cluster, tmp, run } = await setUp();
    // A PATH with everything the script uses except kubectl.
    const bin = join(tmp, 'bin-without-kubectl');
    mkdirSync(bin);
    for (const tool of ['dirname', 'openssl', 'mktemp', 'grep', 'rm'])
      symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    const r = await run(['--yes'], { PATH: bin });
    expect(r.stderr).toBe('bootstrap: error: kubectl is not installed; this script needs kubectl and openssl\n');
    expect(r.code).toBe(1);
    expect(cluster.calls()).toEqual([]);
  });
});
