import { isIP } from 'node:net';
import { z } from 'zod';
import {
  absolutePath,
  dnsLabel,
  dnsSubdomain,
  envVarName,
  nonNegativeInt,
  port,
  portName,
  portRef,
  positiveInt,
  resources,
  serviceName,
  storageQuantity,
  stringList,
} from './fields.js';
import { allowTags, IMAGE_STRATEGIES, semverConstraint } from './environment-schema.js';
import { serviceSyncSchema } from './sync-schema.js';

/**
 * The service spec, `apps/<name>.yaml`. Every key is optional here because
 * the same fields can be overridden per environment; what must be present
 * after the environment override is merged (image, image.tag, ...) is checked
 * in `resolve/`.
 */

const IMAGE_REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

// Field descriptions are zod metadata (`.describe`): `npm run schemas` writes them into the JSON Schemas
// editors show. Each says what the field is, its default ("Default: ...", as resolve/ applies it) and the
// allowed values where the type does not say them.

export const serviceImagePolicySpec = z
  .strictObject({
    strategy: z
      .enum(IMAGE_STRATEGIES, { error: 'expected newest-build or semver' })
      .optional()
      .describe(
        'newest-build: the newest image by build time (short-sha build tags); semver: the highest version ' +
          "(release tags). Default: the environment's strategy.",
      ),
    constraint: semverConstraint
      .optional()
      .describe(
        'Semver range the version must satisfy, e.g. ^0.9; with strategy semver only. ' +
          "Default: the environment's, while the strategy is the same.",
      ),
    allowTags: allowTags
      .optional()
      .describe(
        'The tags Image Updater may pick: "regexp:<regular expression>" (Go RE2: no lookarounds or ' +
          'backreferences) or "any"; it must accept the tags the image pipeline builds for the strategy. ' +
          "Default: the environment's, while the strategy is the same; else the tags the pipeline builds for " +
          'the strategy (imageTags in _settings.yaml).',
      ),
  })
  .describe(
    "This service's own image policy over the environment's imagePolicy, e.g. its own semver line; usually " +
      'per environment (environments.<env>.image.policy). A key left out comes from the environment while the ' +
      'strategy is the same.',
  );

export const imageSpec = z
  .strictObject({
    repository: z
      .string()
      .regex(IMAGE_REPOSITORY, 'expected an image repository without tag, e.g. ghcr.io/acme/api')
      .optional()
      .describe('Registry and repository without tag, e.g. ghcr.io/acme/api. Required (here or per environment).'),
    tag: z
      .union([z.string(), z.number()])
      .transform(String)
      .refine((v) => IMAGE_TAG.test(v), {
        message: 'expected an image tag: letters, digits, "_", "." and "-", at most 128 characters',
      })
      .optional()
      .describe(
        'The tag that runs (pinned), or the initial tag the image policy moves on from (autoUpdate: true; then ' +
          'a tag the policy could pick). Letters, digits, "_", "." and "-", at most 128 characters; "latest" is ' +
          'refused where the policy is semver. Required (here or per environment).',
      ),
    autoUpdate: z
      .boolean({ error: 'expected true or false' })
      .optional()
      .describe(
        "Argo CD Image Updater moves the tag by the image policy (image.policy, else the environment's " +
          "imagePolicy); false pins the tag: the spec's tag is what runs. Default: false.",
      ),
    policy: serviceImagePolicySpec.optional(),
  })
  .describe('The container image. repository and tag are required, here or per environment.');

export const portSpec = z
  .strictObject({
    name: portName
      .optional()
      .describe(
        'Port name, which meshes read the protocol from (http, grpc, redis, tcp-postgres, ...): an IANA ' +
          'service name of at most 15 lower-case letters, digits and "-", with a letter and no "--". ' +
          'Default: http for the only port; required when there are several.',
      ),
    port: port.describe('Port number the container listens on, 1 to 65535.'),
    protocol: z
      .enum(['TCP', 'UDP', 'SCTP'], { error: 'expected TCP, UDP or SCTP' })
      .optional()
      .describe('Protocol of the port: TCP, UDP or SCTP. Default: TCP.'),
  })
  .describe('A container port, also a port of the Service.');

export const exposeSpec = z
  .strictObject({
    subdomain: dnsLabel
      .optional()
      .describe(
        "Host prefix before the environment's domain (a DNS label): the host is <subdomain>.<domain>. " +
          'Default: none, the domain itself.',
      ),
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9\-._~/%]*$/, 'expected a URL path starting with "/"')
      .refine((v) => !/\/\/|\/\.\.?(\/|$)|%2f|%5c/i.test(v), {
        message: 'expected a plain path prefix such as /api: no "//", "/./", "/../" or encoded slashes',
      })
      .optional()
      .describe(
        'URL path prefix routed to this service, e.g. /api: no "//", "/./", "/../" or encoded slashes. ' +
          'Services may share a host with different paths; the longest prefix wins. Default: /.',
      ),
    port: portRef
      .optional()
      .describe("The HTTP port requests go to, by name or number. Default: the service's first port."),
  })
  .describe(
    "Publishes the service: an Ingress at <subdomain>.<domain> with the environment's class and TLS, or an " +
      'HTTPRoute where the environment routes through a Gateway.',
  );

const probeTiming = {
  initialDelaySeconds: nonNegativeInt
    .optional()
    .describe("Seconds after the container starts before the first check. Default: 0 (Kubernetes')."),
  periodSeconds: positiveInt.optional().describe("Seconds between checks. Default: 10 (Kubernetes')."),
  timeoutSeconds: positiveInt.optional().describe("Seconds a check may take. Default: 1 (Kubernetes')."),
  failureThreshold: positiveInt
    .optional()
    .describe("Failures in a row after which the probe has failed. Default: 3 (Kubernetes')."),
};

export const probeSpec = z
  .strictObject({
    http: z
      .string()
      .regex(/^\//, 'expected an HTTP path starting with "/"')
      .optional()
      .describe('Path of an HTTP GET, starting with "/": passes on a 2xx or 3xx answer.'),
    tcp: portRef.optional().describe('A port, by name or number, that must accept a TCP connection.'),
    exec: z
      .array(z.string(), { error: 'expected a command as a list of strings' })
      .min(1, 'expected a non-empty command')
      .optional()
      .describe('A command run in the container, as a list of strings: passes when it exits with 0.'),
    port: portRef
      .optional()
      .describe("Port of the http check, by name or number; with http only. Default: the service's first port."),
    ...probeTiming,
  })
  .refine((p) => [p.http, p.tcp, p.exec].filter((v) => v !== undefined).length === 1, {
    message: 'expected exactly one of http, tcp or exec',
  })
  .refine((p) => p.port === undefined || p.http !== undefined, {
    message: 'port goes with http only; expected `tcp: <port>` for a TCP probe',
    path: ['port'],
  });

export const volumeSpec = z
  .strictObject({
    name: dnsLabel.describe(
      'Volume name (a DNS label). The claim is <service>-<name> (a StatefulSet: the claim template <name>); ' +
        "with from, the name of the other service's volume.",
    ),
    mountPath: absolutePath.describe(
      'Where the volume is mounted: an absolute path in normal form (no "//", "." or ".." segment, no ' +
        'trailing "/"), not inside another mount.',
    ),
    size: storageQuantity
      .optional()
      .describe('Size of the claim, e.g. 10Gi. Required for a volume this service owns; not allowed with from.'),
    accessMode: z
      .enum(['ReadWriteOnce', 'ReadWriteMany', 'ReadOnlyMany', 'ReadWriteOncePod'], {
        error: 'expected ReadWriteOnce, ReadWriteMany, ReadOnlyMany or ReadWriteOncePod',
      })
      .optional()
      .describe(
        'ReadWriteOnce, ReadWriteMany (to share the volume with from, or for a Deployment with several ' +
          'replicas), ReadOnlyMany or ReadWriteOncePod. Not allowed with from. Default: ReadWriteOnce.',
      ),
    from: dnsLabel
      .optional()
      .describe(
        'Mount the claim of the volume of the same name that this other service owns (a ReadWriteMany ' +
          'volume of a Deployment) instead of a claim of its own.',
      ),
    readOnly: z
      .boolean({ error: 'expected true or false' })
      .optional()
      .describe("Mount read-only. Default: false (with from: true when the owner's volume is ReadOnlyMany)."),
    replaces: dnsLabel
      .optional()
      .describe(
        'The volume of this service whose claim this one takes over (a rename, or a new claim for a change ' +
          'the API server refuses on a claim): the old claim stays in the cluster and the steps that copy its ' +
          'data are printed. The service must be suspended in that change; not with from.',
      ),
  })
  .describe("A persistent volume: a claim this service owns, or with from, another service's claim.");

/** An object a service renders, as kubectl names it: `<Kind>/<name>`. */
export const objectRef = z
  .string({ error: 'expected <Kind>/<name> of an object this service renders, e.g. StatefulSet/postgres' })
  .regex(
    /^[A-Za-z][A-Za-z0-9]*\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    'expected <Kind>/<name> of an object this service renders, e.g. StatefulSet/postgres',
  );

export const autoscalingSpec = z
  .strictObject({
    minReplicas: positiveInt.describe('Fewest pods, at least 1 and at most maxReplicas.'),
    maxReplicas: positiveInt.describe('Most pods.'),
    targetCPUUtilization: z
      .number()
      .int()
      .min(1)
      .max(1000, 'expected a percentage from 1 to 1000')
      .optional()
      .describe(
        'Average CPU use to scale at, in percent of the CPU request (1 to 1000). Default: none (with neither ' +
          'target, Kubernetes scales at 80% CPU).',
      ),
    targetMemoryUtilization: z
      .number()
      .int()
      .min(1)
      .max(1000, 'expected a percentage from 1 to 1000')
      .optional()
      .describe('Average memory use to scale at, in percent of the memory request (1 to 1000). Default: none.'),
  })
  .describe(
    'A HorizontalPodAutoscaler between minReplicas and maxReplicas; the workload then has no replica count, ' +
      'so Argo CD and the autoscaler never fight. Excludes replicas.',
  );

export const securityContextSpec = z
  .strictObject({
    runAsUser: nonNegativeInt
      .optional()
      .describe(
        'Numeric user id the container runs as; required for an official image that starts as root ' +
          "(postgres, redis, rabbitmq, ...). Default: the image's user.",
      ),
    runAsGroup: nonNegativeInt.optional().describe("Numeric primary group id. Default: the image's group."),
    fsGroup: nonNegativeInt
      .optional()
      .describe('Group id that owns the mounted volumes, so the user can write to them. Default: none.'),
    runAsNonRoot: z
      .boolean({ error: 'expected true or false' })
      .optional()
      .describe(
        'Kubernetes refuses to start the container as root (it can check only a numeric user). ' +
          'Default: true, unless runAsUser is 0.',
      ),
    readOnlyRootFilesystem: z
      .boolean({ error: 'expected true or false' })
      .optional()
      .describe(
        'The container writes only to its volumes and an emptyDir at /tmp; false for an image that writes ' +
          'elsewhere. Default: true.',
      ),
  })
  .describe(
    'Overrides of the secure defaults (non-root, read-only root filesystem, no privilege escalation, every ' +
      'capability dropped).',
  );

export const secretRefSpec = z
  .strictObject(
    {
      secret: dnsSubdomain.describe("Name of the Secret, in the environment's namespace."),
      key: z
        .string()
        .max(253, 'expected a secret key of at most 253 characters')
        .regex(/^[-._a-zA-Z0-9]+$/, 'expected a secret key: letters, digits, "-", "_" and "."')
        .describe('Key in the Secret: letters, digits, "-", "_" and ".", at most 253 characters.'),
    },
    { error: 'expected a Secret reference {secret: <name>, key: <key>}; the value itself never goes in a spec' },
  )
  .describe('A reference to a key of a Secret; the value itself never goes in a spec.');

export const metricsSpec = z
  .strictObject({
    port: portRef
      .optional()
      .describe("The port Prometheus scrapes, by name or number. Default: the service's first port."),
    path: z
      .string()
      .regex(/^\//, 'expected an HTTP path starting with "/"')
      .optional()
      .describe('HTTP path of the metrics, starting with "/". Default: /metrics.'),
    enabled: z
      .boolean({ error: 'expected true or false' })
      .optional()
      .describe('false turns the metrics off, e.g. in one environment. Default: true.'),
    interval: z
      .string()
      .regex(/^[0-9]+(ms|s|m|h)$/, 'expected a duration such as 30s or 1m')
      .optional()
      .describe('How often Prometheus scrapes: a whole number and ms, s, m or h, e.g. 30s or 1m. Default: 30s.'),
  })
  .describe(
    'Prometheus metrics: a ServiceMonitor where the environment enables them (monitoring.serviceMonitors), ' +
      'and the monitoring namespace may reach the port.',
  );

/** An IPv4 or IPv6 block in CIDR notation, e.g. 10.0.0.0/8 or 2001:db8::/32. */
const cidr = z
  .string()
  .refine((v) => isCidr(v), { message: 'expected an IP block such as 10.0.0.0/8 or 2001:db8::/32' });

function isCidr(v: string): boolean {
  const slash = v.lastIndexOf('/');
  if (slash < 0) return false;
  const version = isIP(v.slice(0, slash));
  const bits = v.slice(slash + 1);
  return version !== 0 && /^[0-9]{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
}

const oneTarget = (keys: readonly string[]) => (e: Record<string, unknown>) =>
  keys.filter((k) => e[k] !== undefined).length === 1;

export const networkSpec = z
  .strictObject({
    allowFrom: z
      .array(
        z
          .strictObject({
            service: dnsLabel.optional().describe('Another service of the environment: its pods.'),
            namespace: dnsLabel.optional().describe('A namespace: every pod in it.'),
            ports: z
              .array(portRef, { error: 'expected a list of port names or numbers' })
              .min(1)
              .optional()
              .describe(
                "This service's ports they may reach, by name or number. Default: every port but a dedicated " +
                  'metrics port.',
              ),
          })
          .refine(oneTarget(['service', 'namespace']), { message: 'expected exactly one of service or namespace' })
          .describe('One source: exactly one of service and namespace.'),
        { error: 'expected a list of {service: <name>} or {namespace: <name>}' },
      )
      .optional()
      .describe('Who else may reach this service, beyond the services that reference it or depend on it.'),
    allowTo: z
      .array(
        z
          .strictObject({
            service: dnsLabel.optional().describe('Another service of the environment.'),
            namespace: dnsLabel.optional().describe('A namespace: every pod in it.'),
            cidr: cidr.optional().describe('An IP block in CIDR notation, e.g. 10.0.0.0/8 or 2001:db8::/32.'),
            ports: z
              .array(port, { error: 'expected a list of port numbers' })
              .min(1)
              .optional()
              .describe(
                'Port numbers to connect to. Default: every port of the service but a dedicated metrics port; ' +
                  'any port of a namespace or IP block.',
              ),
            protocol: z
              .enum(['TCP', 'UDP', 'SCTP'], { error: 'expected TCP, UDP or SCTP' })
              .optional()
              .describe('Protocol of ports: TCP, UDP or SCTP. Default: TCP.'),
          })
          .refine(oneTarget(['service', 'namespace', 'cidr']), {
            message: 'expected exactly one of service, namespace or cidr',
          })
          .describe('One destination: exactly one of service, namespace and cidr.'),
        { error: 'expected a list of {service: <name>}, {namespace: <name>} or {cidr: <block>}' },
      )
      .optional()
      .describe(
        'Where else this service connects to, where the environment restricts egress (network.egress: ' +
          'declared in the environment).',
      ),
  })
  .describe('Additions to the NetworkPolicy: extra sources, and extra destinations where egress is restricted.');

/** Keys that may appear both at the top level and under `environments.<env>`. */
export const serviceFieldShape = {
  component: z
    .string()
    .max(63)
    .regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'expected a label value: letters, digits, "-", "_" and "."')
    .optional()
    .describe(
      'The app.kubernetes.io/component label of every object of the service: letters, digits, "-", "_" and ' +
        '".", at most 63 characters. Default: no such label.',
    ),
  description: z
    .string()
    .optional()
    .describe('What the service is, for the people who read the spec; nothing is rendered from it.'),
  image: imageSpec.optional(),
  workload: z
    .enum(['deployment', 'statefulset'], { error: 'expected deployment or statefulset' })
    .optional()
    .describe(
      'deployment, or statefulset: a StatefulSet with a headless Service <name>-headless and a claim per ' +
        'replica for each volume, kept on delete and scale-down. Default: deployment.',
    ),
  command: stringList
    .optional()
    .describe("The container's command, one entry per argument. Default: the image's ENTRYPOINT."),
  args: stringList
    .optional()
    .describe("The container's arguments. Default: the image's CMD, unless command is set (then none)."),
  port: port
    .optional()
    .describe(
      'Shorthand for one HTTP port: ports: [{name: http, port: N}]. A port of another protocol needs ports, ' +
        'with a name that says it (redis, tcp-postgres, ...). Excludes ports.',
    ),
  ports: z
    .array(portSpec, { error: 'expected a list of {name, port, protocol}' })
    .optional()
    .describe('The container ports, and the ClusterIP Service named after the service. Excludes port.'),
  expose: exposeSpec.optional(),
  env: z
    .record(
      envVarName,
      z.union([z.string(), z.number(), z.boolean()], {
        error: 'expected a plain value (string, number or boolean); secrets go in secretEnv',
      }),
    )
    .optional()
    .describe(
      "Environment variables with plain values. ${service:<name>} is that service's DNS name in the same " +
        "environment; ${env:domain}, ${env:name} and ${env:namespace} the environment's; $(VAR) is " +
        "Kubernetes' expansion of an earlier variable. Secrets go in secretEnv: a credential-looking name " +
        '(*PASSWORD*, *SECRET*, *TOKEN*, *_KEY) with a literal value is refused.',
    ),
  secretEnv: z
    .record(envVarName, secretRefSpec)
    .optional()
    .describe(
      'Environment variables read from Secrets, by reference {secret, key}. Missing Secrets are created with ' +
        "random values by the bootstrap script, or come from the environment's secret manager (secrets).",
    ),
  volumes: z
    .array(volumeSpec, { error: 'expected a list of volumes' })
    .optional()
    .describe(
      'Persistent volumes: claims this service owns, or with from, the claim of another service. Every claim ' +
        'is kept when Argo CD prunes or deletes.',
    ),
  files: z
    .record(absolutePath, z.string({ error: 'expected the file content as a string' }))
    .optional()
    .describe(
      'Files mounted into the container, absolute path to content, from a ConfigMap <service>-files. ' +
        'References (${service:<name>}, ${env:domain}, ...) are resolved in the content, and a change rolls ' +
        'the pods. Paths in normal form; at most 1,000,000 bytes in all.',
    ),
  replicas: nonNegativeInt
    .optional()
    .describe("Number of pods. Default: the environment's defaults.replicas, else 1. Excludes autoscaling."),
  autoscaling: autoscalingSpec.optional(),
  resources: resources
    .optional()
    .describe(
      "CPU and memory requests and limits, merged key by key over the environment's defaults.resources; " +
        "requests may not exceed limits. Default: the environment's defaults.resources.",
    ),
  probes: z
    .strictObject({
      readiness: probeSpec
        .optional()
        .describe('Whether a pod gets traffic: the Service sends it none until the probe passes.'),
      liveness: probeSpec
        .optional()
        .describe('Whether the container still works: the kubelet restarts it once the probe fails.'),
      startup: probeSpec
        .optional()
        .describe('Holds the other probes back until it passes, for a program that starts slowly.'),
    })
    .optional()
    .describe('Health checks of the container, each exactly one of http, tcp and exec, with timing. Default: none.'),
  migrations: z
    .strictObject({
      command: stringList
        .min(1, 'expected a non-empty command')
        .describe('The command of the migration, e.g. [python, manage.py, migrate].'),
      args: stringList.optional().describe('Its arguments.'),
    })
    .optional()
    .describe(
      "A Job <service>-migrate with the service's image and environment, run as an Argo CD PreSync hook " +
        'once per sync, before the new pods start.',
    ),
  dependsOn: z
    .array(dnsLabel, { error: 'expected a list of service names' })
    .optional()
    .describe(
      "Services this one waits for: init containers (in its pods and its migration Job) wait until each one's " +
        'Service accepts TCP connections, for at most 300 s. Unknown services and cycles are errors.',
    ),
  securityContext: securityContextSpec.optional(),
  metrics: metricsSpec.optional(),
  network: networkSpec.optional(),
  sync: serviceSyncSchema
    .optional()
    .describe(
      "This service's Argo CD sync policy over its environment's (sync in environments/<env>.yaml), e.g. " +
        '{automated: false}; a key left out follows the environment.',
    ),
  suspended: z
    .boolean({ error: 'expected true or false' })
    .optional()
    .describe(
      'Scaled to zero: replicas 0 and no autoscaler, disruption budget or migration Job, while volumes, ' +
        'config and image stay. Written by gitops-synth app suspend, removed by app resume. Default: false.',
    ),
  recreate: z
    .array(objectRef, { error: 'expected a list of <Kind>/<name>, e.g. [StatefulSet/postgres]' })
    .optional()
    .describe(
      'Objects Argo CD deletes and creates again at the next sync instead of updating them ' +
        '(Force=true,Replace=true), for a change the API server refuses as an update: <Kind>/<name> of the ' +
        'workload or a Service, e.g. [StatefulSet/postgres]. Every sync recreates them while listed: remove ' +
        'the entry once Argo CD has synced. Never a claim. Default: none.',
    ),
};

/**
 * Every service field, checked in full: the base of a spec, and the base with an environment's override merged over it.
 */
export const serviceFieldsSchema = z.strictObject(serviceFieldShape);

type SchemaDef = {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
};

/**
 * The form a field takes under `environments.<env>`. Mappings are deep-merged
 * over the base, so they may be partial and any key may be `null` (removing
 * the inherited one); lists and scalars replace the base and are checked as
 * written. Whether the merged result is complete (a probe with exactly one
 * kind, autoscaling with both bounds) is checked in resolve/ against
 * `serviceFieldsSchema`.
 */
function overridable(schema: z.ZodType): z.ZodType {
  const def = (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
  switch (def.type) {
    case 'optional':
      return withMetaOf(schema, overridable(def.innerType!).optional());
    case 'object':
      return withMetaOf(
        schema,
        z.strictObject(
          Object.fromEntries(Object.entries(def.shape!).map(([k, v]) => [k, overridable(v).nullable().optional()])),
        ),
      );
    case 'record':
      return withMetaOf(schema, z.record(def.keyType as z.ZodString, overridable(def.valueType!).nullable()));
    default:
      return schema;
  }
}

/** `rebuilt` with the metadata (the description) of `original`, which building a new schema leaves behind. */
function withMetaOf(original: z.ZodType, rebuilt: z.ZodType): z.ZodType {
  const meta = z.globalRegistry.get(original);
  return meta ? rebuilt.meta(meta) : rebuilt;
}

/**
 * An environment override: any service field, `null` to remove an inherited
 * one, and `enabled`. Typed like the base for readers of single fields; nested
 * mappings may in fact be partial or hold `null`, so only `deepMerge` combines
 * them with the base.
 */
const overrideShape = Object.fromEntries(
  Object.entries(serviceFieldShape).map(([k, v]) => [k, withMetaOf(v, overridable(v.unwrap()).nullable()).optional()]),
) as unknown as {
  [K in keyof typeof serviceFieldShape]: z.ZodOptional<
    z.ZodNullable<ReturnType<(typeof serviceFieldShape)[K]['unwrap']>>
  >;
};

export const serviceOverrideSchema = z
  .strictObject({
    enabled: z
      .boolean({ error: 'expected true or false' })
      .optional()
      .describe('false keeps the service out of this environment. Default: true.'),
    ...overrideShape,
  })
  .describe(
    "The service's keys in this environment, over the base: mappings merge key by key, lists and scalars " +
      'replace, null removes an inherited value.',
  );

export const serviceFileSchema = z.strictObject({
  name: serviceName
    .optional()
    .describe(
      'The service name, which names its workload, Service, claims and Argo CD Application <name>-<env>: a ' +
        'DNS-1035 label (lower-case letters, digits and "-", starting with a letter). Default: the file name ' +
        'without .yaml.',
    ),
  ...serviceFieldShape,
  environments: z
    .record(z.string(), serviceOverrideSchema)
    .optional()
    .describe(
      'Overrides per environment, by the name of an environment of environments/: every key but name, and ' +
        'enabled.',
    ),
});

export type ServiceFile = z.infer<typeof serviceFileSchema>;
export type ServiceOverride = z.infer<typeof serviceOverrideSchema>;
export type ServiceFields = Omit<ServiceFile, 'name' | 'environments'>;
export type ProbeSpec = z.infer<typeof probeSpec>;
export type VolumeSpec = z.infer<typeof volumeSpec>;
export type PortSpec = z.infer<typeof portSpec>;
