import { CREDENTIAL_VARIABLES, type BootstrapPlan, type PlannedEnvironment, type PlannedSecret } from './plan.js';

/** The plan as `bootstrap --print` shows it: steps, versions, namespaces, secret names and keys (never values). */
export function formatPlan(plan: BootstrapPlan): string {
  const v = CREDENTIAL_VARIABLES;
  const local = plan.environments.filter((e) => !e.remoteCluster);
  const lines: string[] = [];
  const out = (...l: string[]) => lines.push(...l);
  out(
    `Bootstrap plan of project ${plan.project}, for the cluster of kubectl's current context:`,
    '',
    'Versions (settings: versions):',
    `  Argo CD        ${plan.argocd.version}  ${plan.argocd.manifest}`,
    `  Image Updater  ${plan.imageUpdater.version}  ${plan.imageUpdater.manifest}`,
    '',
    'Steps:',
    '  1. Check kubectl, openssl, that the cluster answers and that the context is cluster-admin; ask to confirm.',
    `  2. Install Argo CD and Image Updater into namespace ${plan.argocdNamespace} (kubectl apply ` +
      '--server-side --force-conflicts), wait until available.',
    `  3. Create namespaces if missing: ${local.flatMap(namespacesOf).join(', ') || 'none'}.`,
    '  4. Create secrets if missing, with random values from openssl rand (never printed; ' +
      'an existing secret keeps its values and only gets missing keys):',
  );
  for (const env of local) secretLines(env).forEach((l) => out(l));
  const repo = plan.repository;
  const from =
    repo.credentials === 'token'
      ? `with the token in $${v.token}`
      : repo.credentials === 'ssh-key'
        ? `with the SSH key in $${v.sshKeyFile}`
        : 'without credentials';
  out(
    `  5. Register the devops repository ${repo.url} ${from} (secret ` +
      `${plan.argocdNamespace}/${repo.secretName}, if missing).`,
  );
  for (const e of plan.dex?.entries ?? [])
    out(`     Add ${e.key} to ${plan.argocdNamespace}/${plan.dex!.secret} from $${e.fromVariable}, if missing.`);
  for (const s of plan.operatorSecrets)
    out(
      `     Check that ${s.namespace}/${s.name}${s.key ? ` (key ${s.key})` : ''}, the ${s.purpose}, ` +
        'exists (you create it).',
    );
  out(
    `  6. Apply ${plan.argocdFolder}/ of the rendered tree (server-side); ` +
      'its root Application keeps Argo CD in sync with git.',
  );
  if (plan.argocdServerInsecure)
    out(
      '     Restart argocd-server, which then serves plain HTTP behind the Gateway that publishes the UI ' +
        '(server.insecure).',
    );
  for (const env of plan.environments.filter((e) => e.remoteCluster)) {
    out(
      '',
      `Not done by the script: environment ${env.name} deploys to cluster ${env.remoteCluster}; ` +
        `create namespace ${namespacesOf(env).join(' and ')} and these secrets there:`,
      ...secretLines(env),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The namespaces the script creates for an environment: its own and its rendered Gateway's. */
export function namespacesOf(env: PlannedEnvironment): string[] {
  return env.gatewayNamespace ? [env.namespace, env.gatewayNamespace] : [env.namespace];
}

function secretLines(env: PlannedEnvironment): string[] {
  if (env.externalSecrets) {
    const { store, secrets } = env.externalSecrets;
    return [
      `       ${env.namespace}: none generated; read from ${store.kind} ${store.name} ` +
        'by the External Secrets Operator (checked to exist):',
      ...secrets.map(
        (s) => `         ${s.name} (${s.keys.map((k) => k.key).join(', ')}) from remote key ${s.remoteKey}`,
      ),
    ];
  }
  if (!env.secrets.length) return [`       ${env.namespace}: none`];
  return env.secrets.flatMap((s) => [
    `       ${env.namespace}/${s.name}`,
    ...s.keys.map(
      (k) =>
        `         ${k.key} (${k.format === 'hex' ? '64 hex digits' : 'admin:<48 hex digits>'}) ` +
        `used by ${k.usedBy.join(', ')}`,
    ),
  ]);
}

/**
 * The plan as `bootstrap --json` gives it: every fact of BootstrapPlan under
 * stable keys, an absent one as null (never left out). Secret values are
 * never part of a plan.
 */
export function planJson(plan: BootstrapPlan): Record<string, unknown> {
  return {
    project: plan.project,
    argocdNamespace: plan.argocdNamespace,
    argocd: { version: plan.argocd.version, manifest: plan.argocd.manifest },
    imageUpdater: {
      version: plan.imageUpdater.version,
      manifest: plan.imageUpdater.manifest,
      crd: plan.imageUpdater.crd,
    },
    environments: plan.environments.map((e) => ({
      name: e.name,
      namespace: e.namespace,
      remoteCluster: e.remoteCluster ?? null,
      gatewayNamespace: e.gatewayNamespace ?? null,
      secrets: e.secrets.map(secretJson),
      externalSecrets: e.externalSecrets
        ? {
            store: { kind: e.externalSecrets.store.kind, name: e.externalSecrets.store.name },
            secrets: e.externalSecrets.secrets.map((s) => ({ ...secretJson(s), remoteKey: s.remoteKey })),
          }
        : null,
    })),
    repository: {
      url: plan.repository.url,
      secretName: plan.repository.secretName,
      credentials: plan.repository.credentials,
    },
    dex: plan.dex
      ? {
          secret: plan.dex.secret,
          entries: plan.dex.entries.map((e) => ({ key: e.key, fromVariable: e.fromVariable })),
        }
      : null,
    operatorSecrets: plan.operatorSecrets.map((s) => ({
      namespace: s.namespace,
      name: s.name,
      key: s.key ?? null,
      purpose: s.purpose,
    })),
    argocdFolder: plan.argocdFolder,
    argocdServerInsecure: plan.argocdServerInsecure,
  };
}

function secretJson(s: PlannedSecret): Record<string, unknown> {
  return { name: s.name, keys: s.keys.map((k) => ({ key: k.key, format: k.format, usedBy: k.usedBy })) };
}
