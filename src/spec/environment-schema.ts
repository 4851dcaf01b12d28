import { z } from 'zod';
import { dnsLabel, dnsSubdomain, hostName, nonNegativeInt, resources } from './fields.js';
import semver from 'semver';
import { environmentSyncSchema } from './sync-schema.js';

/** `regexp:<re>` or `any`, as Argo CD Image Updater's allowTags takes it. */
export const allowTags = z
  .string()
  .refine((v) => v === 'any' || v.startsWith('regexp:'), { message: 'expected "any" or "regexp:<regular expression>"' })
  .refine((v) => !v.startsWith('regexp:') || compiles(v.slice('regexp:'.length)), {
    message: 'expected a valid regular expression after "regexp:"',
  })
  .refine(
    (v) => !v.startsWith('regexp:') || !compiles(v.slice('regexp:'.length)) || re2Compatible(v.slice('regexp:'.length)),
    {
      message:
        'Image Updater matches tags with Go (RE2) regular expressions, which have no lookarounds or backreferences; expected a regular expression without (?=, (?!, (?<=, (?<! or \\1',
    },
  );

/** Whether a JavaScript regular expression uses none of the constructs Go's RE2 lacks (lookarounds, backreferences). */
function re2Compatible(re: string): boolean {
  for (let i = 0; i < re.length; i++) {
    if (re[i] === '\\') {
      if (/[1-9k]/.test(re[i + 1] ?? '')) return false;
      i++;
    } else if (
      re.startsWith('(?=', i) ||
      re.startsWith('(?!', i) ||
      re.startsWith('(?<=', i) ||
      re.startsWith('(?<!', i)
    ) {
      return false;
    }
  }
  return true;
}

function compiles(re: string): boolean {
  try {
    new RegExp(re);
    return true;
  } catch {
    return false;
  }
}

/** A semver range as Image Updater's semver strategy takes it (Masterminds' syntax, checked with npm's). */
export const semverConstraint = z.string().refine((v) => semver.validRange(v) !== null, {
  message: 'expected a semver range such as ^1.2 or >=1.0.0 <2.0.0',
});

/** How Image Updater picks a tag: the newest build by creation time, or the highest semantic version. */
export const IMAGE_STRATEGIES = ['newest-build', 'semver'] as const;

export const imagePolicySchema = z.discriminatedUnion(
  'strategy',
  [
    z.strictObject({
      /** Newest image by build time; for stage, with short-sha tags. */
      strategy: z.literal('newest-build'),
      /** @default "regexp:^[0-9a-f]{7}$" */
      allowTags: allowTags.optional(),
    }),
    z.strictObject({
      /** Highest semantic version; for prod, with release tags. */
      strategy: z.literal('semver'),
      /** Semver range the version must satisfy, e.g. `^1.2`. @default any version */
      constraint: semverConstraint.optional(),
      /** @default "regexp:^v?[0-9]+\\.[0-9]+\\.[0-9]+$" */
      allowTags: allowTags.optional(),
    }),
  ],
  { error: 'expected strategy newest-build or semver' },
);
export type ImagePolicy = z.infer<typeof imagePolicySchema>;

/** A label key a ServiceMonitor may get; the `app.kubernetes.io/` ones are the service's own. */
const monitoringLabelKey = z
  .string()
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'expected a label key such as release or example.com/team',
  )
  .refine((k) => !k.startsWith('app.kubernetes.io/'), {
    message: 'app.kubernetes.io/ labels are set by gitops-synth; expected another key, such as release',
  });

/** A Gateway API Gateway the environment's HTTPRoutes attach to; rendered here too when it names its class. */
export const gatewaySchema = z.strictObject({
  /** Name of the Gateway. */
  name: dnsSubdomain,
  /** Namespace of the Gateway (where its proxies run, for the NetworkPolicies). */
  namespace: dnsLabel,
  /** The listener routes attach to, on a Gateway managed elsewhere. @default every listener whose hostname matches */
  sectionName: dnsLabel.optional(),
  /** GatewayClass of a Gateway rendered here (a listener per host); leave out to use a Gateway managed elsewhere. */
  className: dnsSubdomain.optional(),
  /** TLS of the rendered Gateway: an HTTPS listener per host with a cert-manager certificate, HTTP redirected. */
  tls: z.strictObject({ clusterIssuer: dnsSubdomain }).optional(),
});

/** Namespaces the NetworkPolicies admit, and whether egress is restricted too. */
export const networkSchema = z.strictObject({
  /** A default-deny policy for the namespace and a policy per service. @default true */
  policies: z.boolean({ error: 'expected true or false' }).optional(),
  /**
   * Namespace of the ingress controller or gateway proxies that reach exposed services.
   * @default ingress-nginx for the nginx ingress class; the gateway's namespace
   */
  ingressNamespace: dnsLabel.optional(),
  /** Namespace of the Prometheus that scrapes `metrics:` ports. @default monitoring */
  monitoringNamespace: dnsLabel.optional(),
  /** `declared`: pods reach only DNS and the declared destinations; `all`: egress is not restricted. @default all */
  egress: z.enum(['all', 'declared'], { error: 'expected all or declared' }).optional(),
});

const DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$|^0$/;

/** Secrets bootstrap-generated (the default) or read from a secret manager through the External Secrets Operator. */
export const secretsSchema = z.discriminatedUnion(
  'provider',
  [
    z.strictObject({ provider: z.literal('bootstrap') }),
    z.strictObject({
      provider: z.literal('external-secrets'),
      /** The SecretStore (in the environment's namespace) or ClusterSecretStore the ExternalSecrets read from. */
      store: z.strictObject({
        kind: z.enum(['SecretStore', 'ClusterSecretStore'], { error: 'expected SecretStore or ClusterSecretStore' }),
        name: dnsSubdomain,
      }),
      /** How often the operator reads the store again. @default "1h" */
      refreshInterval: z.string().regex(DURATION, 'expected a duration such as 1h, 15m or 0 (never)').optional(),
      /**
       * The key of each Secret in the store, from `${env:name}`, `${env:namespace}` and `${secret:name}`;
       * each referenced key of the Secret is read as a property of it. @default "${env:name}/${secret:name}"
       */
      remoteKey: z
        .string()
        .min(1, 'expected a template such as shop/${env:name}/${secret:name}')
        .regex(/^[^\s]+$/, 'expected a template without spaces, such as shop/${env:name}/${secret:name}')
        .optional(),
    }),
  ],
  { error: 'expected provider bootstrap or external-secrets' },
);
export type SecretsSpec = z.infer<typeof secretsSchema>;

export const environmentFileSchema = z.strictObject({
  /** @default the file name without `.yaml` */
  name: dnsLabel.optional(),
  /** Namespace every service of this environment is deployed to. */
  namespace: dnsLabel,
  /** Public domain; services are exposed at `<subdomain>.<domain>`. */
  domain: hostName,
  /** Argo CD destination: a server URL (https://...) or a cluster name. */
  cluster: z.string().min(1, 'expected a cluster server URL or cluster name'),
  /** Storage class of claims. @default the cluster's default storage class */
  storageClass: dnsSubdomain.optional(),
  /** Route exposed services through Ingresses of this class (exactly one of `ingress` and `gateway`). */
  ingress: z
    .strictObject({
      /** IngressClass of every Ingress. */
      className: dnsSubdomain,
      tls: z.strictObject({ clusterIssuer: dnsSubdomain }).optional(),
    })
    .optional(),
  /** Route exposed services through a Gateway API Gateway, an HTTPRoute each (exactly one of ingress and gateway). */
  gateway: gatewaySchema.optional(),
  /** NetworkPolicies derived from the specs: who may reach each service. */
  network: networkSchema.optional(),
  /** Where the Secrets that services read through `secretEnv` come from. @default {provider: bootstrap} */
  secrets: secretsSchema.optional(),
  defaults: z
    .strictObject({
      /** @default 1 */
      replicas: nonNegativeInt.optional(),
      /** Requests and limits of containers whose spec sets none. */
      resources: resources.optional(),
    })
    .optional(),
  imagePolicy: imagePolicySchema,
  /** Image of the init container that waits for `dependsOn` services. @default busybox:1.37.0 */
  waitImage: z
    .string()
    .regex(/^[^\s:@]+(:[A-Za-z0-9_.-]+)?(@sha256:[a-f0-9]{64})?$/, 'expected an image reference such as busybox:1.37.0')
    .optional(),
  /** How Argo CD syncs the environment's Applications. @default automated, with prune and self-heal */
  sync: environmentSyncSchema.optional(),
  /** Prometheus Operator integration; turn it on only where its CRDs are installed. */
  monitoring: z
    .strictObject({
      /** A ServiceMonitor for every service with `metrics:`. @default false */
      serviceMonitors: z.boolean({ error: 'expected true or false' }).optional(),
      /** Labels every ServiceMonitor gets, for a Prometheus whose serviceMonitorSelector needs them (e.g. release: kube-prometheus-stack). @default {} */
      labels: z
        .record(
          monitoringLabelKey,
          z
            .string()
            .regex(
              /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/,
              'expected a label value: at most 63 letters, digits, "-", "_" and "."',
            ),
        )
        .optional(),
    })
    .optional(),
});
export type EnvironmentFile = z.infer<typeof environmentFileSchema>;
