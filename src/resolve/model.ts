import type { Resources } from '../spec/fields.js';
import type { SourceFile } from '../spec/source.js';
import type { DevopsRepository } from './repository.js';

/**
 * The fully resolved, per-environment view of a service: every default
 * applied, every reference interpolated, every cross-service check passed.
 * Constructs build from this and nothing else, so they never see raw specs.
 */

/** Name of the pod volume that carries a service's `files:`; reserved, so no spec volume may use it. */
export const FILES_VOLUME = 'synth-files';
/** Name of the emptyDir mounted at /tmp when the root filesystem is read-only; reserved like FILES_VOLUME. */
export const TMP_VOLUME = 'synth-tmp';

export interface ResolvedImagePolicy {
  readonly strategy: 'newest-build' | 'semver';
  /** Semver range, only for `semver`. */
  readonly constraint?: string;
  /** `regexp:<re>` or `any`, never empty. */
  readonly allowTags: string;
}

/** Argo CD's automated sync of an Application: on or off (a manual sync is the release gate), and how. */
export interface ResolvedSyncPolicy {
  readonly automated: boolean;
  /** Delete objects that are no longer rendered (automated syncs). */
  readonly prune: boolean;
  /** Undo changes made in the cluster by hand (automated syncs). */
  readonly selfHeal: boolean;
}

/** A sync window of the environment's AppProject. */
export interface ResolvedSyncWindow {
  readonly kind: 'allow' | 'deny';
  readonly schedule: string;
  readonly duration: string;
  readonly timeZone?: string;
  readonly manualSync: boolean;
}

export interface ResolvedEnvironment {
  readonly name: string;
  readonly namespace: string;
  readonly domain: string;
  /** Argo CD destination: exactly one of server or name. */
  readonly cluster: { readonly server?: string; readonly name?: string };
  readonly storageClass?: string;
  readonly ingressClassName: string;
  readonly clusterIssuer?: string;
  readonly imagePolicy: ResolvedImagePolicy;
  /** Sync policy of the environment's Applications (services may override it) and its AppProject's sync windows. */
  readonly sync: ResolvedSyncPolicy & { readonly windows: readonly ResolvedSyncWindow[] };
  readonly waitImage: string;
  /** Prometheus Operator integration: ServiceMonitors on or off, and the labels they carry. */
  readonly monitoring: { readonly serviceMonitors: boolean; readonly labels: Readonly<Record<string, string>> };
  /** Replica count and container resources of services whose spec sets none. */
  readonly defaults: { readonly replicas?: number; readonly resources?: Resources };
  /** `app.kubernetes.io/part-of` of every object. */
  readonly partOf: string;
  readonly source: SourceFile;
}

export interface ResolvedPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface ResolvedProbe {
  readonly http?: { readonly path: string; readonly port: number };
  readonly tcp?: { readonly port: number };
  readonly exec?: readonly string[];
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly failureThreshold?: number;
}

export interface ResolvedVolume {
  /** Volume name inside the pod. */
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly: boolean;
  /** Name of the PersistentVolumeClaim the pod mounts (for StatefulSets: the claim template's name). */
  readonly claimName: string;
  /** Set when this service owns the claim. */
  readonly owned?: { readonly size: string; readonly accessMode: string; readonly storageClass?: string };
  /** Set when the claim belongs to another service. */
  readonly fromService?: string;
}

export interface ResolvedFile {
  readonly path: string;
  /** ConfigMap key holding the content. */
  readonly key: string;
  readonly content: string;
}

export interface ResolvedDependency {
  readonly service: string;
  readonly host: string;
  readonly port: number;
}

export type QuantityMap = Readonly<Record<string, string>>;

export interface ResolvedService {
  readonly name: string;
  readonly environment: ResolvedEnvironment;
  readonly component?: string;
  readonly description?: string;
  readonly image: {
    readonly repository: string;
    readonly tag: string;
    readonly autoUpdate: boolean;
    /** How Image Updater picks the tag: the environment's imagePolicy with the service's image.policy over it. */
    readonly policy: ResolvedImagePolicy;
  };
  /** The environment's sync policy with the service's override applied. */
  readonly sync: ResolvedSyncPolicy;
  readonly workload: 'deployment' | 'statefulset';
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly ports: readonly ResolvedPort[];
  readonly expose?: {
    readonly host: string;
    readonly path: string;
    readonly port: number;
    readonly tlsSecretName?: string;
  };
  /** Plain variables in the order they are emitted (after secret variables, so `$(VAR)` can use them). */
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly secretEnv: readonly { readonly name: string; readonly secret: string; readonly key: string }[];
  readonly volumes: readonly ResolvedVolume[];
  readonly files: readonly ResolvedFile[];
  /** sha256 of the files' content; changes roll the pods. */
  readonly filesHash?: string;
  /** Absent with autoscaling, so Argo CD and the HPA never fight over it. */
  readonly replicas?: number;
  readonly autoscaling?: {
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly targetCPUUtilization?: number;
    readonly targetMemoryUtilization?: number;
  };
  readonly resources: { readonly requests: QuantityMap; readonly limits: QuantityMap };
  readonly probes: {
    readonly readiness?: ResolvedProbe;
    readonly liveness?: ResolvedProbe;
    readonly startup?: ResolvedProbe;
  };
  readonly migrations?: { readonly command: readonly string[]; readonly args?: readonly string[] };
  /**
   * Scaled to zero (`suspended: true`): replicas is 0, and autoscaling and
   * migrations are left out, so no HPA, PodDisruptionBudget or migration Job.
   * @default false
   */
  readonly suspended?: boolean;
  readonly dependsOn: readonly ResolvedDependency[];
  readonly securityContext: {
    readonly runAsNonRoot: boolean;
    readonly runAsUser?: number;
    readonly runAsGroup?: number;
    readonly fsGroup?: number;
    readonly readOnlyRootFilesystem: boolean;
  };
  /**
   * Mount an emptyDir at /tmp: the root filesystem is read-only and nothing
   * else is mounted there, and nearly every program needs a writable /tmp.
   */
  readonly writableTmp: boolean;
  readonly metrics?: {
    readonly port: number;
    readonly portName: string;
    readonly path: string;
    readonly interval: string;
  };
  /** Bounded wait for each dependency, in seconds. */
  readonly waitTimeoutSeconds: number;
  readonly source: SourceFile;
}

export type ImageUpdaterMode = 'crd' | 'annotations';

export interface RegistrySettings {
  readonly name: string;
  readonly prefix: string;
  readonly apiUrl: string;
  /** Image Updater credential reference (never a value). */
  readonly credentials?: string;
}

/** The project settings (`environments/_settings.yaml`) with every default applied (resolve/settings.ts). */
export interface ResolvedSettings {
  /** `app.kubernetes.io/part-of` of every object. */
  readonly partOf: string;
  /** Namespace of Argo CD, Image Updater, the Applications and everything under `argocd/`. */
  readonly namespace: string;
  /** The devops repository Argo CD reads the rendered tree from and Image Updater writes back to. */
  readonly repository: DevopsRepository & {
    /** Secret (in `namespace`) with the credentials Image Updater pushes with. */
    readonly writeSecret: string;
  };
  /** The Argo CD UI's Ingress. */
  readonly ui: {
    readonly host: string;
    readonly ingressClassName: string;
    readonly clusterIssuer?: string;
    /** The web terminal into pods (argocd-cm exec.enabled), for the admin team. */
    readonly webTerminal: boolean;
  };
  readonly sso?: {
    readonly organization: string;
    readonly adminTeam: string;
    readonly clientId?: string;
    readonly disableAdmin: boolean;
  };
  readonly registries: readonly RegistrySettings[];
  readonly imageUpdater: { readonly mode: ImageUpdaterMode; readonly version: string };
  readonly argocdVersion: string;
  /** The settings file, relative to the project (whether or not it exists), for messages. */
  readonly settingsFile: string;
}
