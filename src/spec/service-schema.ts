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

/**
 * A service's own image policy, over the environment's `imagePolicy`: any
 * key left out comes from the environment while the strategy is the same;
 * with another strategy, allowTags defaults from the tag formats the image
 * pipeline builds (imageTags in the settings).
 */
export const serviceImagePolicySpec = z.strictObject({
  /** @default the environment's strategy */
  strategy: z.enum(IMAGE_STRATEGIES, { error: 'expected newest-build or semver' }).optional(),
  /** Semver range, with strategy semver only, e.g. `^0.9`. @default the environment's, while the strategy is the same */
  constraint: semverConstraint.optional(),
  /** `regexp:<re>` or `any`. @default the environment's, while the strategy is the same; else from imageTags */
  allowTags: allowTags.optional(),
});

export const imageSpec = z.strictObject({
  /** Registry and repository without tag, e.g. `ghcr.io/acme/api`. */
  repository: z
    .string()
    .regex(IMAGE_REPOSITORY, 'expected an image repository without tag, e.g. ghcr.io/acme/api')
    .optional(),
  /** The pinned (or initial) tag. */
  tag: z
    .union([z.string(), z.number()])
    .transform(String)
    .refine((v) => IMAGE_TAG.test(v), {
      message: 'expected an image tag: letters, digits, "_", "." and "-", at most 128 characters',
    })
    .optional(),
  /** Let the image policy move the tag. @default false */
  autoUpdate: z.boolean({ error: 'expected true or false' }).optional(),
  /** This service's image policy, overriding the environment's `imagePolicy` (e.g. its own semver line). */
  policy: serviceImagePolicySpec.optional(),
});

export const portSpec = z.strictObject({
  name: portName.optional(),
  port,
  protocol: z.enum(['TCP', 'UDP', 'SCTP'], { error: 'expected TCP, UDP or SCTP' }).optional(),
});

export const exposeSpec = z.strictObject({
  /** Host prefix before the environment domain; none means the apex domain. */
  subdomain: dnsLabel.optional(),
  /** @default "/" */
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9\-._~/%]*$/, 'expected a URL path starting with "/"')
    .refine((v) => !/\/\/|\/\.\.?(\/|$)|%2f|%5c/i.test(v), {
      message: 'expected a plain path prefix such as /api: no "//", "/./", "/../" or encoded slashes',
    })
    .optional(),
  /** @default the service's first port */
  port: portRef.optional(),
});

const probeTiming = {
  initialDelaySeconds: nonNegativeInt.optional(),
  periodSeconds: positiveInt.optional(),
  timeoutSeconds: positiveInt.optional(),
  failureThreshold: positiveInt.optional(),
};

export const probeSpec = z
  .strictObject({
    http: z.string().regex(/^\//, 'expected an HTTP path starting with "/"').optional(),
    tcp: portRef.optional(),
    exec: z
      .array(z.string(), { error: 'expected a command as a list of strings' })
      .min(1, 'expected a non-empty command')
      .optional(),
    /** Port for `http`. @default the service's first port */
    port: portRef.optional(),
    ...probeTiming,
  })
  .refine((p) => [p.http, p.tcp, p.exec].filter((v) => v !== undefined).length === 1, {
    message: 'expected exactly one of http, tcp or exec',
  })
  .refine((p) => p.port === undefined || p.http !== undefined, {
    message: 'port goes with http only; expected `tcp: <port>` for a TCP probe',
    path: ['port'],
  });

export const volumeSpec = z.strictObject({
  name: dnsLabel,
  mountPath: absolutePath,
  /** Size of a volume this service owns; not allowed with `from`. */
  size: storageQuantity.optional(),
  /** @default ReadWriteOnce */
  accessMode: z
    .enum(['ReadWriteOnce', 'ReadWriteMany', 'ReadOnlyMany', 'ReadWriteOncePod'], {
      error: 'expected ReadWriteOnce, ReadWriteMany, ReadOnlyMany or ReadWriteOncePod',
    })
    .optional(),
  /** Mount the claim of the same name owned by another service. */
  from: dnsLabel.optional(),
  /** @default false */
  readOnly: z.boolean({ error: 'expected true or false' }).optional(),
  /**
   * The volume of this service whose claim this one takes over (a rename, or
   * a new claim for a change the API server refuses on a claim): the old claim
   * stays in the cluster and the steps that copy its data are printed.
   */
  replaces: dnsLabel.optional(),
});

/** An object a service renders, as kubectl names it: `<Kind>/<name>`. */
export const objectRef = z
  .string({ error: 'expected <Kind>/<name> of an object this service renders, e.g. StatefulSet/postgres' })
  .regex(
    /^[A-Za-z][A-Za-z0-9]*\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    'expected <Kind>/<name> of an object this service renders, e.g. StatefulSet/postgres',
  );

export const autoscalingSpec = z.strictObject({
  minReplicas: positiveInt,
  maxReplicas: positiveInt,
  targetCPUUtilization: z.number().int().min(1).max(1000, 'expected a percentage from 1 to 1000').optional(),
  targetMemoryUtilization: z.number().int().min(1).max(1000, 'expected a percentage from 1 to 1000').optional(),
});

export const securityContextSpec = z.strictObject({
  runAsUser: nonNegativeInt.optional(),
  runAsGroup: nonNegativeInt.optional(),
  fsGroup: nonNegativeInt.optional(),
  runAsNonRoot: z.boolean({ error: 'expected true or false' }).optional(),
  readOnlyRootFilesystem: z.boolean({ error: 'expected true or false' }).optional(),
});

export const secretRefSpec = z.strictObject(
  {
    secret: dnsSubdomain,
    key: z
      .string()
      .max(253, 'expected a secret key of at most 253 characters')
      .regex(/^[-._a-zA-Z0-9]+$/, 'expected a secret key: letters, digits, "-", "_" and "."'),
  },
  { error: 'expected a Secret reference {secret: <name>, key: <key>}; the value itself never goes in a spec' },
);

export const metricsSpec = z.strictObject({
  /** @default the service's first port */
  port: portRef.optional(),
  /** @default "/metrics" */
  path: z.string().regex(/^\//, 'expected an HTTP path starting with "/"').optional(),
  /** @default true */
  enabled: z.boolean({ error: 'expected true or false' }).optional(),
  /** @default "30s" */
  interval: z
    .string()
    .regex(/^[0-9]+(ms|s|m|h)$/, 'expected a duration such as 30s or 1m')
    .optional(),
});

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

export const networkSpec = z.strictObject({
  /** Who else may reach this service, beyond the services that reference it: services or namespaces. */
  allowFrom: z
    .array(
      z
        .strictObject({
          service: dnsLabel.optional(),
          namespace: dnsLabel.optional(),
          /** This service's ports they may reach. @default every port but a dedicated metrics port */
          ports: z.array(portRef, { error: 'expected a list of port names or numbers' }).min(1).optional(),
        })
        .refine(oneTarget(['service', 'namespace']), { message: 'expected exactly one of service or namespace' }),
      { error: 'expected a list of {service: <name>} or {namespace: <name>}' },
    )
    .optional(),
  /** Where else this service connects to, where the environment restricts egress (`network.egress: declared`). */
  allowTo: z
    .array(
      z
        .strictObject({
          service: dnsLabel.optional(),
          namespace: dnsLabel.optional(),
          cidr: cidr.optional(),
          /** @default every port of the service but a dedicated metrics port; any port of a namespace or IP block */
          ports: z.array(port, { error: 'expected a list of port numbers' }).min(1).optional(),
          /** Protocol of `ports`. @default TCP */
          protocol: z.enum(['TCP', 'UDP', 'SCTP'], { error: 'expected TCP, UDP or SCTP' }).optional(),
        })
        .refine(oneTarget(['service', 'namespace', 'cidr']), {
          message: 'expected exactly one of service, namespace or cidr',
        }),
      { error: 'expected a list of {service: <name>}, {namespace: <name>} or {cidr: <block>}' },
    )
    .optional(),
});

/** Keys that may appear both at the top level and under `environments.<env>`. */
export const serviceFieldShape = {
  component: z
    .string()
    .max(63)
    .regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'expected a label value: letters, digits, "-", "_" and "."')
    .optional(),
  description: z.string().optional(),
  image: imageSpec.optional(),
  /** @default deployment */
  workload: z.enum(['deployment', 'statefulset'], { error: 'expected deployment or statefulset' }).optional(),
  command: stringList.optional(),
  args: stringList.optional(),
  port: port.optional(),
  ports: z.array(portSpec, { error: 'expected a list of {name, port, protocol}' }).optional(),
  expose: exposeSpec.optional(),
  env: z
    .record(
      envVarName,
      z.union([z.string(), z.number(), z.boolean()], {
        error: 'expected a plain value (string, number or boolean); secrets go in secretEnv',
      }),
    )
    .optional(),
  secretEnv: z.record(envVarName, secretRefSpec).optional(),
  volumes: z.array(volumeSpec, { error: 'expected a list of volumes' }).optional(),
  files: z.record(absolutePath, z.string({ error: 'expected the file content as a string' })).optional(),
  replicas: nonNegativeInt.optional(),
  autoscaling: autoscalingSpec.optional(),
  resources: resources.optional(),
  probes: z
    .strictObject({ readiness: probeSpec.optional(), liveness: probeSpec.optional(), startup: probeSpec.optional() })
    .optional(),
  migrations: z
    .strictObject({ command: stringList.min(1, 'expected a non-empty command'), args: stringList.optional() })
    .optional(),
  dependsOn: z.array(dnsLabel, { error: 'expected a list of service names' }).optional(),
  securityContext: securityContextSpec.optional(),
  metrics: metricsSpec.optional(),
  /** NetworkPolicy additions: extra sources, and extra destinations where egress is restricted. */
  network: networkSpec.optional(),
  /** Override of the environment's Argo CD sync policy for this service, e.g. `{automated: false}`. @default the environment's */
  sync: serviceSyncSchema.optional(),
  /**
   * Scaled to zero: replicas 0 and no autoscaler, disruption budget or
   * migration Job, while volumes, config and image stay. Written by
   * `gitops-synth app suspend`, removed by `app resume`. @default false
   */
  suspended: z.boolean({ error: 'expected true or false' }).optional(),
  /**
   * Objects Argo CD deletes and creates again at the next sync instead of
   * updating them (`Force=true,Replace=true`), for a change the API server
   * refuses as an update, e.g. `[StatefulSet/postgres]`. Every sync recreates
   * them while listed: remove the entry once Argo CD has synced. Never a
   * claim. @default none
   */
  recreate: z.array(objectRef, { error: 'expected a list of <Kind>/<name>, e.g. [StatefulSet/postgres]' }).optional(),
};

/** Every service field, checked in full: the base of a spec, and the base with an environment's override merged over it. */
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
      return overridable(def.innerType!).optional();
    case 'object':
      return z.strictObject(
        Object.fromEntries(Object.entries(def.shape!).map(([k, v]) => [k, overridable(v).nullable().optional()])),
      );
    case 'record':
      return z.record(def.keyType as z.ZodString, overridable(def.valueType!).nullable());
    default:
      return schema;
  }
}

/**
 * An environment override: any service field, `null` to remove an inherited
 * one, and `enabled`. Typed like the base for readers of single fields; nested
 * mappings may in fact be partial or hold `null`, so only `deepMerge` combines
 * them with the base.
 */
const overrideShape = Object.fromEntries(
  Object.entries(serviceFieldShape).map(([k, v]) => [k, overridable(v.unwrap()).nullable().optional()]),
) as unknown as {
  [K in keyof typeof serviceFieldShape]: z.ZodOptional<
    z.ZodNullable<ReturnType<(typeof serviceFieldShape)[K]['unwrap']>>
  >;
};

export const serviceOverrideSchema = z.strictObject({
  /** @default true */
  enabled: z.boolean({ error: 'expected true or false' }).optional(),
  ...overrideShape,
});

export const serviceFileSchema = z.strictObject({
  /** @default the file name without `.yaml` */
  name: serviceName.optional(),
  ...serviceFieldShape,
  environments: z.record(z.string(), serviceOverrideSchema).optional(),
});

export type ServiceFile = z.infer<typeof serviceFileSchema>;
export type ServiceOverride = z.infer<typeof serviceOverrideSchema>;
export type ServiceFields = Omit<ServiceFile, 'name' | 'environments'>;
export type ProbeSpec = z.infer<typeof probeSpec>;
export type VolumeSpec = z.infer<typeof volumeSpec>;
export type PortSpec = z.infer<typeof portSpec>;
