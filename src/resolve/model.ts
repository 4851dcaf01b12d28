import type { Resources } from '../spec/fields.js';
import type { SourceFile } from '../spec/source.js';

/**
 * The fully resolved, per-environment view of a service: every default
 * applied, every reference interpolated, every cross-service check passed.
 * Constructs build from this and nothing else, so they never see raw specs.
 */

export interface ResolvedImagePolicy {
  readonly strategy: 'newest-build' | 'semver';
  /** Semver range, only for `semver`. */
  readonly constraint?: string;
  /** `regexp:<re>` or `any`, never empty. */
  readonly allowTags: string;
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
  readonly waitImage: string;
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
  readonly image: { readonly repository: string; readonly tag: string; readonly autoUpdate: boolean };
  readonly workload: 'deployment' | 'statefulset';
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly ports: readonly ResolvedPort[];
  readonly expose?: { readonly host: string; readonly path: string; readonly port: number; readonly tlsSecretName?: string };
  /** Plain variables in the order they are emitted (after secret variables, so `$(VAR)` can use them). */
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly secretEnv: readonly { readonly name: string; readonly secret: string; readonly key: string }[];
  readonly volumes: readonly ResolvedVolume[];
  readonly files: readonly ResolvedFile[];
  /** sha256 of the files' content; changes roll the pods. */
  readonly filesHash?: string;
  /** Absent with autoscaling, so Argo CD and the HPA never fight over it. */
  readonly replicas?: number;
  readonly autoscaling?: { readonly minReplicas: number; readonly maxReplicas: number; readonly targetCPUUtilization?: number; readonly targetMemoryUtilization?: number };
  readonly resources: { readonly requests: QuantityMap; readonly limits: QuantityMap };
  readonly probes: { readonly readiness?: ResolvedProbe; readonly liveness?: ResolvedProbe; readonly startup?: ResolvedProbe };
  readonly migrations?: { readonly command: readonly string[]; readonly args?: readonly string[] };
  readonly dependsOn: readonly ResolvedDependency[];
  readonly securityContext: {
    readonly runAsNonRoot: boolean;
    readonly runAsUser?: number;
    readonly runAsGroup?: number;
    readonly fsGroup?: number;
    readonly readOnlyRootFilesystem: boolean;
  };
  readonly metrics?: { readonly port: number; readonly portName: string; readonly path: string; readonly interval: string };
  /** Bounded wait for each dependency, in seconds. */
  readonly waitTimeoutSeconds: number;
  readonly source: SourceFile;
}
