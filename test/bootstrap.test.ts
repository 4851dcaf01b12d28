import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { loadProject } from '../src/spec/load.js';
import { resolveProject } from '../src/resolve/resolve.js';
import { toolPath } from '../src/validate/tools.js';
import { copyExample, runCli, snapshotTree } from './helpers.js';
import { requireTool } from './system-tools.js';

const shellcheckTool = requireTool('shellcheck');

/**
 * `gitops-synth bootstrap`: the plan, the files it writes and the script's
 * text, through the real CLI; the script itself is linted with the real
 * shellcheck. (bootstrap-run.test.ts runs the script.)
 */

const REPO_URL = 'https://github.com/acme-shop/devops.git';

/**
 * A copy of the shipped example whose settings carry `changes` (merged in with the yaml document API, comments kept).
 */
function exampleWithSettings(changes: Record<string, unknown> = {}): string {
  const dir = copyExample();
  editSettings(dir, { repository: { url: REPO_URL }, ...changes });
  return dir;
}

function editSettings(dir: string, changes: Record<string, unknown>): void {
  const file = join(dir, 'environments', '_settings.yaml');
  const doc = parseDocument(existsSync(file) ? readFileSync(file, 'utf8') : '{}');
  // Mappings are merged key by key (the example's other settings stay); undefined deletes.
  const set = (path: string[], value: unknown): void => {
    if (value === undefined) doc.deleteIn(path);
    else if (value && typeof value === 'object' && !Array.isArray(value))
      Object.entries(value).forEach(([k, v]) => set([...path, k], v));
    else doc.setIn(path, value);
  };
  set([], changes);
  writeFileSync(file, doc.toString());
}

async function bootstrap(dir: string, ...args: string[]) {
  return await runCli(['bootstrap', '--project', dir, ...args]);
}

/** Secret name → key names, per namespace, from the real loader and resolver. */
/** Per namespace, the Secrets (and their keys) the enabled services reference, of the environments with `provider`. */
function referencedSecrets(
  dir: string,
  provider: 'bootstrap' | 'external-secrets' = 'bootstrap',
): Map<string, Map<string, Set<string>>> {
  const resolved = resolveProject(loadProject(dir));
  const out = new Map<string, Map<string, Set<string>>>();
  for (const env of resolved.environments.filter((e) => e.secrets.provider === provider)) {
    const secrets = new Map<string, Set<string>>();
    for (const svc of resolved.services.get(env.name) ?? []) {
      for (const s of svc.secretEnv) secrets.set(s.secret, new Set([...(secrets.get(s.secret) ?? []), s.key]));
    }
    out.set(env.namespace, secrets);
  }
  return out;
}

function shellcheck(file: string) {
  return spawnSync(shellcheckTool.path!, ['--shell=bash', '--severity=style', file], { encoding: 'utf8' });
}

/** The `ensure_secret` lines of a script: namespace, name, and key=format pairs. */
function ensureSecretCalls(script: string): { namespace: string; name: string; keys: string[] }[] {
  return [...script.matchAll(/^ {2}ensure_secret '([^']+)' '([^']+)'((?: '[^']+')+)$/gm)].map((m) => ({
    namespace: m[1]!,
    name: m[2]!,
    keys: [...m[3]!.matchAll(/'([^']+)'/g)].map((k) => k[1]!),
  }));
}

describe('gitops-synth bootstrap', () => {
  it('writes dist/bootstrap/ with an executable script and the two pinned install kustomizations', async () => {
    const dir = exampleWithSettings();
    const r = await bootstrap(dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/run it against the cluster kubectl points at: bash \S*dist\/bootstrap\/bootstrap\.sh\n/);
    const files = Object.keys(snapshotTree(join(dir, 'dist', 'bootstrap')));
    expect(files).toEqual([
      'README.md',
      'argo-cd/kustomization.yaml',
      'bootstrap.sh',
      'image-updater/kustomization.yaml',
    ]);
    expect(statSync(join(dir, 'dist', 'bootstrap', 'bootstrap.sh')).mode & 0o111).toBe(0o111);
  });

  shellcheckTool.it(
    'passes shellcheck (every severity) for the example and for SSH, SSO, registry credentials and a remote cluster',
    async () => {
      const plain = exampleWithSettings();
      const full = exampleWithSettings({
        repository: { url: 'git@github.com:acme-shop/devops.git' },
        sso: { github: { organization: 'acme-shop', clientId: 'abc' } },
        registries: [
          { prefix: 'ghcr.io', credentials: 'pullsecret:argocd/ghcr-pull' },
          { prefix: 'quay.io', credentials: 'secret:argocd/quay#token' },
        ],
        argocd: { namespace: 'gitops' },
      });
      const prod = join(full, 'environments', 'prod.yaml');
      writeFileSync(
        prod,
        readFileSync(prod, 'utf8').replace('cluster: https://kubernetes.default.svc', 'cluster: prod-cluster'),
      );
      for (const dir of [plain, full]) {
        expect((await bootstrap(dir)).code).toBe(0);
        const r = shellcheck(join(dir, 'dist', 'bootstrap', 'bootstrap.sh'));
        expect(r.stdout + r.stderr).toBe('');
        expect(r.status).toBe(0);
      }
      const script = readFileSync(join(full, 'dist', 'bootstrap', 'bootstrap.sh'), 'utf8');
      expect(script).toContain('DEVOPS_REPO_SSH_KEY_FILE');
      expect(script).not.toContain('DEVOPS_REPO_TOKEN');
      expect(script).toContain(
        "add_key_from_environment 'argocd-secret' 'dex.github.clientSecret' 'DEX_GITHUB_CLIENT_SECRET'",
      );
      expect(script).not.toContain('DEX_GITHUB_CLIENT_ID');
      expect(script).toContain("kubectl -n 'argocd' get secret 'ghcr-pull'");
      expect(script).toContain('environment prod deploys to cluster prod-cluster, which this script does not touch');
      expect(ensureSecretCalls(script).every((c) => c.namespace === 'shop-stage')).toBe(true);
      expect(script).toContain("readonly ARGOCD_NAMESPACE='gitops'");
      expect(
        parse(readFileSync(join(full, 'dist', 'bootstrap', 'argo-cd', 'kustomization.yaml'), 'utf8')).namespace,
      ).toBe('gitops');
    },
  );

  it('is strict bash: set -euo pipefail before any command', async () => {
    const dir = exampleWithSettings();
    await bootstrap(dir);
    const script = readFileSync(join(dir, 'dist', 'bootstrap', 'bootstrap.sh'), 'utf8');
    const firstCode = script.split('\n').findIndex((l) => l.trim() && !l.startsWith('#'));
    expect(script.split('\n')[firstCode]).toBe('set -euo pipefail');
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
  });

  it('creates every secret and key the enabled services reference, in its environment namespace, and nothing else', async () => {
    const dir = exampleWithSettings();
    // A service disabled in prod: its secret must not be created there.
    const flower = join(dir, 'apps', 'flower.yaml');
    writeFileSync(flower, `${readFileSync(flower, 'utf8')}environments:\n  prod: {enabled: false}\n`);
    await bootstrap(dir);
    const script = readFileSync(join(dir, 'dist', 'bootstrap', 'bootstrap.sh'), 'utf8');
    const calls = ensureSecretCalls(script);
    const expected = referencedSecrets(dir);
    const got = new Map<string, Map<string, Set<string>>>();
    for (const c of calls) {
      const byName = got.get(c.namespace) ?? new Map<string, Set<string>>();
      got.set(c.namespace, byName);
      expect(byName.has(c.name), `${c.namespace}/${c.name} is created twice`).toBe(false);
      byName.set(c.name, new Set(c.keys.map((k) => k.split('=')[0]!)));
    }
    expect(got).toEqual(expected);
    expect(got.get('shop-stage')!.get('flower-auth')).toEqual(new Set(['basic-auth']));
    // Prod reads its Secrets from the secret manager: no value is generated there, the store is checked instead.
    expect(got.has('shop-prod')).toBe(false);
    expect(script).toContain("  check_secret_store 'shop-prod' 'ClusterSecretStore' 'vault'");
    const fromStore = referencedSecrets(dir, 'external-secrets').get('shop-prod')!;
    expect([...fromStore.keys()].sort()).toEqual(['api-secrets', 'postgres-credentials', 'rabbitmq-credentials']);
    for (const [name, keys] of fromStore)
      expect(script).toContain(
        `  # ${name} (${[...keys].sort().join(', ')}): from ClusterSecretStore vault, key shop/prod/${name}\n`,
      );
    // Each namespace is created before its secrets.
    for (const ns of expected.keys()) {
      expect(script.indexOf(`ensure_namespace '${ns}'`)).toBeGreaterThan(-1);
      expect(script.indexOf(`ensure_namespace '${ns}'`)).toBeLessThan(script.indexOf(`ensure_secret '${ns}'`));
    }
  });

  it('guards every write: secrets only when missing, keys only when absent, the repository only when unregistered', async () => {
    const dir = exampleWithSettings();
    await bootstrap(dir);
    const script = readFileSync(join(dir, 'dist', 'bootstrap', 'bootstrap.sh'), 'utf8');
    const body = (fn: string) =>
      script.slice(script.indexOf(`${fn}() {`), script.indexOf('\n}\n', script.indexOf(`${fn}() {`)));
    const ensure = body('ensure_secret');
    // Create only in the branch where `get secret` failed; otherwise patch only the missing keys.
    expect(ensure).toMatch(
      /if ! kubectl -n "\$namespace" get secret "\$name" >\/dev\/null 2>&1; then[\s\S]*kubectl create -f[\s\S]*return 0\n {2}fi/,
    );
    expect(ensure).toMatch(/grep -qxF -- "\$\{pair%=\*\}" <<<"\$existing" \|\| missing\+=\("\$pair"\)/);
    expect(ensure).toMatch(/for pair in "\$\{missing\[@\]\}"; do/);
    const repo = body('register_repository');
    expect(repo.indexOf('get secret "$REPO_SECRET"')).toBeLessThan(repo.indexOf('kubectl create -f'));
    expect(repo).toContain('argocd.argoproj.io/secret-type: repository');
    // Never anything that replaces or deletes an object holding data.
    expect(script).not.toMatch(/kubectl[^\n]*\b(delete|replace)\b/);
    expect(script).not.toMatch(/apply[^\n]*secret/i);
    expect(script).not.toMatch(/--from-literal|--type=json/);
  });

  it('holds no secret value: values come from openssl rand at run time and reach kubectl only through 0600 files', async () => {
    const dir = exampleWithSettings();
    await bootstrap(dir);
    const script = readFileSync(join(dir, 'dist', 'bootstrap', 'bootstrap.sh'), 'utf8');
    expect(script).not.toMatch(/[0-9a-f]{32}/);
    expect(script).not.toMatch(/[A-Za-z0-9+/]{40,}={0,2}/);
    expect(script).toContain('openssl rand -hex 32');
    expect(script).toContain('umask 077');
    expect(script).toContain(`trap 'rm -rf "$WORK"' EXIT`);
    // The values are printed only into files (printf is a shell builtin, so no process shows them).
    for (const line of script.split('\n').filter((l) => l.includes('$ENCODED') || l.includes('_data"'))) {
      expect(line).not.toMatch(/^\s*(kubectl|openssl|echo)\b/);
    }
  });

  it('pins the versions from the settings into the install kustomizations and the script', async () => {
    const dir = exampleWithSettings({ versions: { argocd: 'v3.4.2', imageUpdater: 'v1.2.0' } });
    expect((await bootstrap(dir)).code).toBe(0);
    const out = join(dir, 'dist', 'bootstrap');
    const argocd = parse(readFileSync(join(out, 'argo-cd', 'kustomization.yaml'), 'utf8'));
    const updater = parse(readFileSync(join(out, 'image-updater', 'kustomization.yaml'), 'utf8'));
    expect(argocd).toMatchObject({
      namespace: 'argocd',
      resources: ['https://raw.githubusercontent.com/argoproj/argo-cd/v3.4.2/manifests/install.yaml'],
    });
    expect(updater).toMatchObject({
      namespace: 'argocd',
      resources: ['https://raw.githubusercontent.com/argoproj-labs/argocd-image-updater/v1.2.0/config/install.yaml'],
    });
    const script = readFileSync(join(out, 'bootstrap.sh'), 'utf8');
    expect(script).toContain("readonly ARGOCD_VERSION='v3.4.2'");
    expect(script).toContain("readonly IMAGE_UPDATER_VERSION='v1.2.0'");
    expect(script).not.toMatch(/v3\.5\.1|v1\.3\.0/);
    expect(script).toMatch(/kubectl apply --server-side --force-conflicts -k "\$HERE\/argo-cd"/);
    expect(script).toMatch(/kubectl apply --server-side --force-conflicts -k "\$HERE\/image-updater"/);
  });

  it('installs the default versions into the Argo CD namespace, moving Image Updater out of its own namespace', async () => {
    const dir = exampleWithSettings();
    const r = await bootstrap(dir);
    expect(r.stderr).toBe('');
    const out = join(dir, 'dist', 'bootstrap');
    const updaterDir = join(out, 'image-updater');
    // Build the kustomization with the real kubectl against a local stand-in of the upstream manifest's shape.
    const upstream = [
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: argocd-image-updater-system}',
      'apiVersion: v1\nkind: ServiceAccount\n' +
        'metadata: {name: argocd-image-updater-controller, namespace: argocd-image-updater-system}',
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: manager}\n' +
        'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: manager}\n' +
        'subjects: [{kind: ServiceAccount, name: argocd-image-updater-controller, ' +
        'namespace: argocd-image-updater-system}]',
    ].join('\n---\n');
    writeFileSync(join(updaterDir, 'upstream.yaml'), upstream);
    const kustomization = readFileSync(join(updaterDir, 'kustomization.yaml'), 'utf8');
    expect(kustomization).toContain(
      'https://raw.githubusercontent.com/argoproj-labs/argocd-image-updater/v1.3.0/config/install.yaml',
    );
    writeFileSync(
      join(updaterDir, 'kustomization.yaml'),
      kustomization.replace(/https:\/\/\S+install\.yaml/, 'upstream.yaml'),
    );
    const built = spawnSync(toolPath('kubectl'), ['kustomize', updaterDir], { encoding: 'utf8' });
    expect(built.stderr).toBe('');
    const docs = built.stdout.split(/^---$/m).map((d) => parse(d));
    expect(docs.map((d) => d.kind)).toEqual(['ServiceAccount', 'ClusterRoleBinding']);
    expect(docs[0].metadata.namespace).toBe('argocd');
    expect(docs[1].subjects[0].namespace).toBe('argocd');
    expect(readFileSync(join(out, 'argo-cd', 'kustomization.yaml'), 'utf8')).toContain(
      'https://raw.githubusercontent.com/argoproj/argo-cd/v3.5.1/manifests/install.yaml',
    );
  });

  it('reads the devops repository token from the environment into the Secret Argo CD reads and Image Updater pushes with', async () => {
    const dir = exampleWithSettings();
    await bootstrap(dir);
    const script = readFileSync(join(dir, 'dist', 'bootstrap', 'bootstrap.sh'), 'utf8');
    expect(script).toContain(`readonly REPO_URL='${REPO_URL}'`);
    expect(script).toContain('if [ -z "${DEVOPS_REPO_TOKEN:-}" ]; then');
    expect(script).toContain('encode "$DEVOPS_REPO_TOKEN"');
    expect(script).toContain('encode "${DEVOPS_REPO_USERNAME:-git}"');
    expect(script).toContain("readonly REPO_SECRET='devops-repo-creds'");
    expect(script).toContain('argocd.argoproj.io/secret-type: repository');
  });

  it('renders byte-identical files on every run', async () => {
    const dir = exampleWithSettings();
    await bootstrap(dir);
    const first = snapshotTree(join(dir, 'dist', 'bootstrap'));
    await bootstrap(dir);
    expect(snapshotTree(join(dir, 'dist', 'bootstrap'))).toEqual(first);
  });

  it('survives synth, which carries dist/bootstrap/ over as it is', async () => {
    const dir = exampleWithSettings();
    expect((await bootstrap(dir)).code).toBe(0);
    const before = snapshotTree(join(dir, 'dist', 'bootstrap'));
    const s = await runCli(['synth', '--project', dir]);
    expect(s.stderr).toBe('');
    expect(snapshotTree(join(dir, 'dist', 'bootstrap'))).toEqual(before);
    expect(statSync(join(dir, 'dist', 'bootstrap', 'bootstrap.sh')).mode & 0o111).toBe(0o111);
  });
});

describe('gitops-synth bootstrap --print', () => {
  it('shows the versions, steps, namespaces and every secret name and key, and writes nothing', async () => {
    const dir = exampleWithSettings();
    const r = await bootstrap(dir, '--print');
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    expect(r.stdout).toContain(
      'Argo CD        v3.5.1  https://raw.githubusercontent.com/argoproj/argo-cd/v3.5.1/manifests/install.yaml',
    );
    expect(r.stdout).toContain(
      'Image Updater  v1.3.0  ' +
        'https://raw.githubusercontent.com/argoproj-labs/argocd-image-updater/v1.3.0/config/install.yaml',
    );
    expect(r.stdout).toContain('Create namespaces if missing: shop-prod, shop-stage.');
    for (const [ns, secrets] of referencedSecrets(dir)) {
      for (const [name, keys] of secrets) {
        expect(r.stdout).toContain(`       ${ns}/${name}\n`);
        for (const key of keys)
          expect(r.stdout).toMatch(new RegExp(`${ns}/${name}\\n(?: {9}.*\\n)*? {9}${key.replace(/[.]/g, '\\.')} \\(`));
      }
    }
    expect(r.stdout).toContain(
      '       shop-prod: none generated; ' +
        'read from ClusterSecretStore vault by the External Secrets Operator (checked to exist):\n',
    );
    for (const [name, keys] of referencedSecrets(dir, 'external-secrets').get('shop-prod')!)
      expect(r.stdout).toContain(
        `         ${name} (${[...keys].sort().join(', ')}) from remote key shop/prod/${name}\n`,
      );
    expect(r.stdout).toContain(`Register the devops repository ${REPO_URL} with the token in $DEVOPS_REPO_TOKEN`);
    expect(r.stdout).toMatch(
      /1\. Check[\s\S]*2\. Install[\s\S]*3\. Create namespaces[\s\S]*4\. Create secrets[\s\S]*5\. Register[\s\S]*6\. Apply argocd\//,
    );
  });
});

describe('gitops-synth bootstrap --print --json', () => {
  it('gives the same plan as one JSON document with stable keys, and writes nothing', async () => {
    const dir = exampleWithSettings();
    const r = await bootstrap(dir, '--print', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      version: 1,
      command: 'bootstrap',
      written: null,
      plan: {
        project: 'shop',
        argocdNamespace: 'argocd',
        argocd: { version: 'v3.5.1' },
        imageUpdater: { version: 'v1.3.0', crd: true },
        repository: { url: REPO_URL, credentials: 'token' },
        dex: {
          secret: 'argocd-secret',
          entries: [
            { key: 'dex.github.clientID', fromVariable: 'DEX_GITHUB_CLIENT_ID' },
            { key: 'dex.github.clientSecret', fromVariable: 'DEX_GITHUB_CLIENT_SECRET' },
          ],
        },
        argocdFolder: 'argocd',
      },
    });
    type Secret = { name: string; keys: { key: string }[] };
    type Env = {
      namespace: string;
      remoteCluster: null;
      secrets: Secret[];
      externalSecrets: { store: { kind: string; name: string }; secrets: (Secret & { remoteKey: string })[] } | null;
    };
    const envs = doc.plan.environments as Env[];
    const byNamespace = (list: Env[], secrets: (e: Env) => Secret[]) =>
      new Map(
        list.map((e) => [e.namespace, new Map(secrets(e).map((s) => [s.name, new Set(s.keys.map((k) => k.key))]))]),
      );
    // Generated by the script, or (secrets.provider: external-secrets) read from the store, never both.
    const generated = envs.filter((e) => e.externalSecrets === null);
    const external = envs.filter((e) => e.externalSecrets !== null);
    expect(byNamespace(generated, (e) => e.secrets)).toEqual(referencedSecrets(dir));
    expect(byNamespace(external, (e) => e.externalSecrets!.secrets)).toEqual(
      referencedSecrets(dir, 'external-secrets'),
    );
    for (const e of external) {
      expect(e.secrets).toEqual([]);
      for (const s of e.externalSecrets!.secrets) expect(s.remoteKey).toEqual(expect.any(String));
    }
    for (const e of envs) expect(e.remoteCluster).toBeNull();
    expect(typeof doc.plan.argocdServerInsecure).toBe('boolean');
  });
});

describe('gitops-synth bootstrap: bad input', () => {
  it('rejects an Image Updater version that cannot serve the configured mode, naming the file and field, and writes nothing', async () => {
    const dir = exampleWithSettings({ imageUpdater: 'crd', versions: { imageUpdater: 'v0.18.0' } });
    const r = await bootstrap(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /environments\/_settings\.yaml:\d+:\d+: versions\.imageUpdater: .*Image Updater v0\.18\.0 cannot read; expected versions\.imageUpdater v1\.2\.0 or later/,
    );
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });

  it('rejects a malformed pinned version with the settings message', async () => {
    const dir = exampleWithSettings({ versions: { argocd: '3.5' } });
    const r = await bootstrap(dir, '--print');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/_settings\.yaml:\d+:\d+: versions\.argocd: .*expected a version such as v3\.5\.1/);
    expect(r.stdout).toBe('');
  });

  it('needs a repository URL', async () => {
    const dir = copyExample();
    editSettings(dir, { repository: { url: undefined } });
    const r = await bootstrap(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/_settings\.yaml:\d+:\d+: repository\.url: is required; expected the URL of the devops/);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });

  it('leaves an existing dist/bootstrap/ exactly as it was when the specs are bad', async () => {
    const dir = exampleWithSettings();
    await bootstrap(dir);
    const before = snapshotTree(join(dir, 'dist'));
    writeFileSync(
      join(dir, 'apps', 'api.yaml'),
      'image: {repository: ghcr.io/acme/api, tag: 1.0.0}\nsecretEnv:\n  X: {secret: Bad_Name, key: k}\n',
    );
    const r = await bootstrap(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apps/api.yaml');
    expect(snapshotTree(join(dir, 'dist'))).toEqual(before);
  });

  it('rejects unknown options', async () => {
    const dir = exampleWithSettings();
    const r = await bootstrap(dir, '--force');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown argument: force/i);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });

  it('documents the command and its options in --help', async () => {
    const r = await runCli(['bootstrap', '--help']);
    expect(r.code).toBe(0);
    for (const text of [
      '--print',
      '--out',
      '--project',
      'DEVOPS_REPO_TOKEN',
      'DEVOPS_REPO_SSH_KEY_FILE',
      'cluster-admin',
      'openssl',
    ])
      expect(r.stdout).toContain(text);
    expect((await runCli(['--help'])).stdout).toMatch(
      /bootstrap\s+Write only dist\/bootstrap\/ \(synth writes it too\)/,
    );
  });
});
