import { k8s } from 'cdk8s-plus-28';
import { FILES_VOLUME, TMP_VOLUME, type ResolvedProbe, type ResolvedService } from '../resolve/model.js';

export const FILES_HASH_ANNOTATION = 'gitops-synth.io/files-hash';
const WAIT_RESOURCES = {
  requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('16Mi') },
  limits: { memory: k8s.Quantity.fromString('32Mi') },
};

export interface PodTemplateProps {
  /** Labels of the pods (the selector labels plus the common ones). */
  readonly labels: Record<string, string>;
  /**
   * A migration Job's pod: no ports, probes or volumes (its claims and config
   * may not exist yet when a PreSync hook runs), restartPolicy Never, and the
   * namespace's default ServiceAccount (the service's own is created later).
   * @default false
   */
  readonly forMigration?: boolean;
  /** Spread replicas across nodes. @default false */
  readonly spread?: boolean;
  /** Selector labels, required with `spread`. */
  readonly selector?: Record<string, string>;
}

/** The pod template of a service, every security and resource field explicit. */
export function podTemplate(svc: ResolvedService, props: PodTemplateProps): k8s.PodTemplateSpec {
  const migration = props.forMigration ?? false;
  const sc = svc.securityContext;
  const annotations: Record<string, string> = {};
  if (svc.filesHash && !migration) annotations[FILES_HASH_ANNOTATION] = svc.filesHash;

  const main: k8s.Container = {
    name: svc.name,
    image: `${svc.image.repository}:${svc.image.tag}`,
    imagePullPolicy: 'IfNotPresent',
    command: migration ? [...svc.migrations!.command] : svc.command ? [...svc.command] : undefined,
    args: migration
      ? svc.migrations!.args
        ? [...svc.migrations!.args]
        : undefined
      : svc.args
        ? [...svc.args]
        : undefined,
    env: environmentVariables(svc),
    ports: migration
      ? undefined
      : svc.ports.length
        ? svc.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol }))
        : undefined,
    readinessProbe: migration ? undefined : probe(svc.probes.readiness),
    livenessProbe: migration ? undefined : probe(svc.probes.liveness),
    startupProbe: migration ? undefined : probe(svc.probes.startup),
    resources: resources(svc),
    securityContext: containerSecurity(sc.readOnlyRootFilesystem),
    volumeMounts: volumeMounts(svc, migration),
  };

  const volumes: k8s.Volume[] = [];
  if (!migration) {
    for (const v of svc.volumes) {
      // A StatefulSet's own volumes come from its claim templates, not from pod volumes.
      if (svc.workload === 'statefulset' && v.owned) continue;
      volumes.push({
        name: v.name,
        persistentVolumeClaim: { claimName: v.claimName, readOnly: v.readOnly || undefined },
      });
    }
    if (svc.files.length) volumes.push({ name: FILES_VOLUME, configMap: { name: `${svc.name}-files` } });
  }
  if (svc.writableTmp) volumes.push({ name: TMP_VOLUME, emptyDir: {} });

  return {
    metadata: { labels: props.labels, annotations: Object.keys(annotations).length ? annotations : undefined },
    spec: {
      serviceAccountName: migration ? undefined : svc.name,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: migration ? 'Never' : undefined,
      securityContext: {
        runAsNonRoot: sc.runAsNonRoot,
        runAsUser: sc.runAsUser,
        runAsGroup: sc.runAsGroup,
        fsGroup: sc.fsGroup,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      initContainers: svc.dependsOn.length
        ? svc.dependsOn.map((d) => waitContainer(svc, d.service, d.host, d.port))
        : undefined,
      containers: [main],
      volumes: volumes.length ? volumes : undefined,
      topologySpreadConstraints:
        props.spread && props.selector
          ? [
              {
                maxSkew: 1,
                topologyKey: 'kubernetes.io/hostname',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: props.selector },
              },
            ]
          : undefined,
    },
  };
}

function environmentVariables(svc: ResolvedService): k8s.EnvVar[] | undefined {
  // Secret variables first, so plain values can use them as $(VAR).
  const out: k8s.EnvVar[] = [
    ...svc.secretEnv.map((s) => ({ name: s.name, valueFrom: { secretKeyRef: { name: s.secret, key: s.key } } })),
    ...svc.env.map((e) => ({ name: e.name, value: e.value })),
  ];
  return out.length ? out : undefined;
}

/** The service's mounts; a migration Job gets only /tmp (its claims and config may not exist yet). */
function volumeMounts(svc: ResolvedService, migration: boolean): k8s.VolumeMount[] | undefined {
  const mounts: k8s.VolumeMount[] = [];
  if (!migration) {
    mounts.push(
      ...svc.volumes.map((v) => ({ name: v.name, mountPath: v.mountPath, readOnly: v.readOnly || undefined })),
    );
    for (const f of svc.files) mounts.push({ name: FILES_VOLUME, mountPath: f.path, subPath: f.key, readOnly: true });
  }
  if (svc.writableTmp) {
    const tmp = { name: TMP_VOLUME, mountPath: '/tmp' };
    // Files inside /tmp are mounted into the emptyDir, so it comes before them.
    if (!migration && svc.files.some((f) => f.path.startsWith('/tmp/'))) mounts.unshift(tmp);
    else mounts.push(tmp);
  }
  return mounts.length ? mounts : undefined;
}

function resources(svc: ResolvedService): k8s.ResourceRequirements | undefined {
  const q = (m: Readonly<Record<string, string>>) =>
    Object.keys(m).length
      ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, k8s.Quantity.fromString(v)]))
      : undefined;
  const requests = q(svc.resources.requests);
  const limits = q(svc.resources.limits);
  return requests || limits ? { requests, limits } : undefined;
}

function containerSecurity(readOnlyRootFilesystem: boolean): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem,
    capabilities: { drop: ['ALL'] },
  };
}

function probe(p: ResolvedProbe | undefined): k8s.Probe | undefined {
  if (!p) return undefined;
  const timing = {
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
  };
  if (p.http) return { httpGet: { path: p.http.path, port: k8s.IntOrString.fromNumber(p.http.port) }, ...timing };
  if (p.tcp) return { tcpSocket: { port: k8s.IntOrString.fromNumber(p.tcp.port) }, ...timing };
  return { exec: { command: [...p.exec!] }, ...timing };
}

/**
 * An init container that waits, for a bounded time, until a dependency's
 * Service accepts TCP connections, logging each attempt.
 */
function waitContainer(svc: ResolvedService, dependency: string, host: string, port: number): k8s.Container {
  const timeout = svc.waitTimeoutSeconds;
  const script = [
    'deadline=$(( $(date +%s) + WAIT_TIMEOUT ))',
    'until nc -z -w 2 "$WAIT_HOST" "$WAIT_PORT"; do',
    '  if [ "$(date +%s)" -ge "$deadline" ]; then',
    '    echo "gitops-synth: gave up waiting for $WAIT_SERVICE ($WAIT_HOST:$WAIT_PORT) after ${WAIT_TIMEOUT}s"; exit 1',
    '  fi',
    '  echo "gitops-synth: waiting for $WAIT_SERVICE ($WAIT_HOST:$WAIT_PORT) to accept connections"; sleep 2',
    'done',
    'echo "gitops-synth: $WAIT_SERVICE ($WAIT_HOST:$WAIT_PORT) accepts connections"',
  ].join('\n');
  return {
    name: `wait-for-${dependency}`,
    image: svc.environment.waitImage,
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', '-c', script],
    env: [
      { name: 'WAIT_SERVICE', value: dependency },
      { name: 'WAIT_HOST', value: host },
      { name: 'WAIT_PORT', value: String(port) },
      { name: 'WAIT_TIMEOUT', value: String(timeout) },
    ],
    resources: WAIT_RESOURCES,
    securityContext: { ...containerSecurity(true), runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534 },
  };
}
