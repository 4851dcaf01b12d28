import semver from 'semver';
import { DEX_CLIENT_ID_KEY, DEX_CLIENT_SECRET_KEY } from '../argocd/argocd-cm.js';
import { ARGOCD_DIR } from '../argocd/render.js';
import { referencedSecrets, remoteKey } from '../environment/external-secrets.js';
import type { ResolvedProject } from '../resolve/resolve.js';
import { codeUnitOrder } from '../util/order.js';

/**
 * What `gitops-synth bootstrap` does to a cluster, as data: computed from the
 * specs alone (pure apart from reading the git remote for the default
 * repository URL), printed by `--print` and turned into the script.
 */
export interface BootstrapPlan {
  /** `project` of the settings: names the script's objects. */
  readonly project: string;
  /** Namespace Argo CD and Image Updater are installed into. */
  readonly argocdNamespace: string;
  readonly argocd: InstalledComponent;
  readonly imageUpdater: InstalledComponent & {
    /** v1.x ships the `ImageUpdater` CRD; v0.x reads annotations. */
    readonly crd: boolean;
  };
  /** Every environment, sorted by name. */
  readonly environments: readonly PlannedEnvironment[];
  readonly repository: PlannedRepository;
  /**
   * Set when single sign-on is configured: what goes into argocd-secret (argocd-cm references it), from which variable.
   */
  readonly dex?: {
    readonly secret: 'argocd-secret';
    readonly entries: readonly { readonly key: string; readonly fromVariable: string }[];
    /**
     * argocd-cm disables the local admin (sso.disableAdmin): without these
     * entries nobody could log in, so the script refuses to start without them.
     */
    readonly adminDisabled: boolean;
  };
  /**
   * Secrets the settings reference that only the operator can provide (registry credentials); the script checks them.
   */
  readonly operatorSecrets: readonly {
    readonly namespace: string;
    readonly name: string;
    readonly key?: string;
    readonly purpose: string;
  }[];
  /**
   * Folder under the rendered tree whose manifests the script applies last (the root Application and what it manages).
   */
  readonly argocdFolder: string;
  /**
   * The UI is published through a Gateway, which ends TLS: argocd-server runs
   * with `server.insecure` from argocd-cmd-params-cm, read when it starts, so
   * the script restarts it after applying that ConfigMap.
   */
  readonly argocdServerInsecure: boolean;
}

export interface InstalledComponent {
  readonly version: string;
  /** The official install manifest of that version. */
  readonly manifest: string;
}

export interface PlannedEnvironment {
  readonly name: string;
  readonly namespace: string;
  /**
   * Set when the environment deploys to another cluster than the one Argo CD
   * runs in: the script cannot reach it and says what to create there.
   */
  readonly remoteCluster?: string;
  /** The namespace of the Gateway rendered for the environment, when it is another: created like the environment's. */
  readonly gatewayNamespace?: string;
  /** Secrets the enabled services reference that the script generates, sorted by name (none with a secret manager). */
  readonly secrets: readonly PlannedSecret[];
  /**
   * Set when the environment reads its Secrets from a secret manager
   * (`secrets.provider: external-secrets`): the store, and each Secret with
   * its remote key. The script generates none of them; it checks that the
   * operator and the store are there.
   */
  readonly externalSecrets?: {
    readonly store: { readonly kind: 'SecretStore' | 'ClusterSecretStore'; readonly name: string };
    readonly secrets: readonly (PlannedSecret & { readonly remoteKey: string })[];
  };
}

export interface PlannedSecret {
  readonly name: string;
  /** Keys sorted by name. */
  readonly keys: readonly PlannedSecretKey[];
}

/**
 * How a generated value looks: `hex` is 32 random bytes as 64 hex digits
 * (safe inside URLs such as amqp://user:$(PASSWORD)@host); `basic-auth` is
 * `admin:<48 hex digits>`, the "user:password" form HTTP basic auth settings
 * such as Flower's take.
 */
export type SecretValueFormat = 'hex' | 'basic-auth';

export interface PlannedSecretKey {
  readonly key: string;
  readonly format: SecretValueFormat;
  /** Services (and their variables) that read this key, e.g. `api (DATABASE_PASSWORD)`. */
  readonly usedBy: readonly string[];
}

export interface PlannedRepository {
  /** The URL Argo CD reads, exactly as the rendered Applications spell it. */
  readonly url: string;
  /**
   * The Secret in the Argo CD namespace holding the credentials: labelled as an
   * Argo CD repository (so Argo CD reads with it) and named as the settings'
   * `repository.writeSecret` (so Image Updater pushes its write-back with it).
   */
  readonly secretName: string;
  /** Which credentials the script reads from the operator's environment. */
  readonly credentials: 'token' | 'ssh-key' | 'none';
}

/** Environment variables the script reads the operator's credentials from (never written anywhere but the cluster). */
export const CREDENTIAL_VARIABLES = {
  token: 'DEVOPS_REPO_TOKEN',
  username: 'DEVOPS_REPO_USERNAME',
  sshKeyFile: 'DEVOPS_REPO_SSH_KEY_FILE',
  dexClientSecret: 'DEX_GITHUB_CLIENT_SECRET',
  dexClientId: 'DEX_GITHUB_CLIENT_ID',
} as const;

/** Argo CD destinations that mean "the cluster Argo CD runs in". */
const IN_CLUSTER = { server: 'https://kubernetes.default.svc', name: 'in-cluster' };

export function argocdManifest(version: string): string {
  return `https://raw.githubusercontent.com/argoproj/argo-cd/${version}/manifests/install.yaml`;
}

/** v1.x moved the manifests to `config/` (kubebuilder layout); v0.x keeps them in `manifests/`. */
export function imageUpdaterManifest(version: string): string {
  const folder = semver.major(version) >= 1 ? 'config' : 'manifests';
  return `https://raw.githubusercontent.com/argoproj-labs/argocd-image-updater/${version}/${folder}/install.yaml`;
}

export function secretValueFormat(key: string): SecretValueFormat {
  return /basic-?auth$/i.test(key) ? 'basic-auth' : 'hex';
}

/**
 * The bootstrap plan of a resolved project. The settings come with their
 * defaults from the Argo CD layer (one source for versions, namespace and
 * repository), which throws a SpecError naming the settings field when one
 * cannot work.
 */
export function bootstrapPlan(resolved: ResolvedProject): BootstrapPlan {
  const { settings } = resolved;
  const environments: PlannedEnvironment[] = [];
  for (const env of [...resolved.environments].sort((a, b) => codeUnitOrder(a.name, b.name))) {
    const inCluster = env.cluster.server === IN_CLUSTER.server || env.cluster.name === IN_CLUSTER.name;
    const secrets: PlannedSecret[] = referencedSecrets(resolved.services.get(env.name) ?? []).map((s) => ({
      name: s.name,
      keys: s.keys.map((k) => ({ key: k.key, format: secretValueFormat(k.key), usedBy: k.usedBy })),
    }));
    const provider = env.secrets;
    environments.push({
      name: env.name,
      namespace: env.namespace,
      remoteCluster: inCluster ? undefined : (env.cluster.server ?? env.cluster.name),
      // Argo CD creates only the Application's own namespace (CreateNamespace=true).
      gatewayNamespace:
        env.routing.kind === 'gateway' && env.routing.rendered && env.routing.namespace !== env.namespace
          ? env.routing.namespace
          : undefined,
      // From a secret manager, no value is generated: the ExternalSecrets (environment folder) make the Secrets.
      secrets: provider.provider === 'external-secrets' ? [] : secrets,
      externalSecrets:
        provider.provider === 'external-secrets'
          ? {
              store: provider.store,
              secrets: secrets.map((s) => ({ ...s, remoteKey: remoteKey(env, s.name) })),
            }
          : undefined,
    });
  }

  const operatorSecrets: BootstrapPlan['operatorSecrets'][number][] = [];
  for (const registry of settings.registries) {
    const ref = registry.credentials;
    const pull = ref && /^pullsecret:([^/]+)\/(.+)$/.exec(ref);
    const secret = ref && /^secret:([^/]+)\/([^#]+)#(.+)$/.exec(ref);
    if (pull)
      operatorSecrets.push({
        namespace: pull[1]!,
        name: pull[2]!,
        purpose: `pull secret Image Updater uses for ${registry.prefix}`,
      });
    else if (secret)
      operatorSecrets.push({
        namespace: secret[1]!,
        name: secret[2]!,
        key: secret[3]!,
        purpose: `credentials Image Updater uses for ${registry.prefix}`,
      });
  }

  const dexEntries = settings.sso
    ? [
        ...(settings.sso.clientId ? [] : [{ key: DEX_CLIENT_ID_KEY, fromVariable: CREDENTIAL_VARIABLES.dexClientId }]),
        { key: DEX_CLIENT_SECRET_KEY, fromVariable: CREDENTIAL_VARIABLES.dexClientSecret },
      ]
    : [];
  const { argocdVersion, imageUpdater } = settings;
  return {
    project: settings.partOf,
    argocdNamespace: settings.namespace,
    argocd: { version: argocdVersion, manifest: argocdManifest(argocdVersion) },
    // v1.x ships the ImageUpdater CRD (also when it reads annotations through useAnnotations).
    imageUpdater: {
      version: imageUpdater.version,
      manifest: imageUpdaterManifest(imageUpdater.version),
      crd: semver.major(imageUpdater.version) >= 1,
    },
    environments,
    repository: {
      url: settings.repository.url,
      secretName: settings.repository.writeSecret,
      credentials: credentialKind(settings.repository.url),
    },
    dex: dexEntries.length
      ? { secret: 'argocd-secret', entries: dexEntries, adminDisabled: settings.sso?.disableAdmin ?? false }
      : undefined,
    operatorSecrets,
    argocdFolder: ARGOCD_DIR,
    argocdServerInsecure: settings.ui.routing.kind === 'gateway',
  };
}

/** HTTPS repositories take a token, SSH ones a private key; local paths and file:// need nothing. */
function credentialKind(url: string): PlannedRepository['credentials'] {
  if (/^https?:\/\//i.test(url)) return 'token';
  if (/^ssh:\/\//i.test(url) || /^[^@/:]+@[^:/]+:/.test(url)) return 'ssh-key';
  return 'none';
}
