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
        'Image Updater matches tags with Go (RE2) regular expressions, which have no lookarounds or ' +
        'backreferences; expected a regular expression without (?=, (?!, (?<=, (?<! or \\1',
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

/** The image of the init containers that wait for `dependsOn` when `waitImage` says nothing. */
export const DEFAULT_WAIT_IMAGE = 'busybox:1.37.0';

const ALLOW_TAGS_FORMAT = '"regexp:<regular expression>" (Go RE2: no lookarounds or backreferences) or "any"';

export const imagePolicySchema = z
  .discriminatedUnion(
    'strategy',
    [
      z
        .strictObject({
          strategy: z.literal('newest-build').describe('Image Updater picks the newest image by build time.'),
          allowTags: allowTags
            .optional()
            .describe(
              `The tags Image Updater may pick: ${ALLOW_TAGS_FORMAT}; it must accept the build tags the image ` +
                'pipeline produces. Default: exactly those, from imageTags.shaLength in _settings.yaml ' +
                '(regexp:^[0-9a-f]{7}$ unless set).',
            ),
        })
        .describe('newest-build: the newest build, for short-sha build tags (e.g. stage).'),
      z
        .strictObject({
          strategy: z.literal('semver').describe('Image Updater picks the highest semantic version.'),
          constraint: semverConstraint
            .optional()
            .describe('Semver range the version must satisfy, e.g. ^1.2 or >=1.0.0 <2.0.0. Default: any version.'),
          allowTags: allowTags
            .optional()
            .describe(
              `The tags Image Updater may pick: ${ALLOW_TAGS_FORMAT}; it must accept the release tags the image ` +
                'pipeline produces and reject an all-digit short sha (which would read as a huge version). ' +
                'Default: regexp:^v?[0-9]+\\.[0-9]+\\.[0-9]+$ (X.Y.Z, with or without a leading v).',
            ),
        })
        .describe('semver: the highest release, for semantic-version release tags (e.g. prod).'),
    ],
    { error: 'expected strategy newest-build or semver' },
  )
  .describe(
    "How Argo CD Image Updater moves the tags of this environment's auto-updated images (image.autoUpdate); " +
      'a service may have a policy of its own (image.policy). Required.',
  );
export type ImagePolicy = z.infer<typeof imagePolicySchema>;

/** A Kubernetes label key: an optional DNS subdomain and `/`, then a name of at most 63 characters. */
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** A label key a ServiceMonitor may get; the `app.kubernetes.io/` ones are the service's own. */
const monitoringLabelKey = z
  .string()
  .regex(LABEL_KEY, 'expected a label key such as release or example.com/team')
  .refine((k) => !k.startsWith('app.kubernetes.io/'), {
    message: 'app.kubernetes.io/ labels are set by gitops-synth; expected another key, such as release',
  });

const clusterIssuer = dnsSubdomain.describe('The cert-manager ClusterIssuer that issues the certificates.');

export const gatewaySchema = z
  .strictObject({
    name: dnsSubdomain.describe('Name of the Gateway.'),
    namespace: dnsLabel.describe(
      'Namespace of the Gateway, where its proxies run (the NetworkPolicies admit them from there); not the ' +
        "environment's own.",
    ),
    sectionName: dnsLabel
      .optional()
      .describe(
        'The listener the routes attach to, on a Gateway managed elsewhere (not with className). ' +
          'Default: every listener whose hostname matches.',
      ),
    className: dnsSubdomain
      .optional()
      .describe(
        'GatewayClass of a Gateway rendered here, with a listener per host. Default: none, the Gateway is ' +
          'managed elsewhere.',
      ),
    tls: z
      .strictObject({ clusterIssuer })
      .optional()
      .describe(
        'HTTPS on the Gateway rendered here (with className): an HTTPS listener per host with a cert-manager ' +
          'certificate, and HTTP redirected to it. Default: plain HTTP.',
      ),
  })
  .describe(
    'Route exposed services through a Gateway API Gateway: an HTTPRoute each. Exactly one of ingress and gateway.',
  );

export const networkSchema = z
  .strictObject({
    policies: z
      .boolean({ error: 'expected true or false' })
      .optional()
      .describe('A default-deny NetworkPolicy for the namespace and a policy per service. Default: true.'),
    ingressNamespace: dnsLabel
      .optional()
      .describe(
        'Namespace of the ingress controller or gateway proxies that reach exposed services; required for an ' +
          'ingress class other than nginx when services are exposed. Default: ingress-nginx for the nginx class; ' +
          "the gateway's namespace.",
      ),
    monitoringNamespace: dnsLabel
      .optional()
      .describe('Namespace of the Prometheus that scrapes the metrics ports. Default: monitoring.'),
    egress: z
      .enum(['all', 'declared'], { error: 'expected all or declared' })
      .optional()
      .describe(
        'declared: pods reach only DNS and their declared destinations (references, dependsOn, network.allowTo); ' +
          'all: egress is not restricted. Default: all.',
      ),
  })
  .describe('The NetworkPolicies derived from the specs: who may reach each service, and where it may connect.');

const DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$|^0$/;

export const secretsSchema = z
  .discriminatedUnion(
    'provider',
    [
      z
        .strictObject({
          provider: z
            .literal('bootstrap')
            .describe('The cluster bootstrap script creates each missing Secret with random values.'),
        })
        .describe('bootstrap: Secrets with random values, made by the bootstrap script.'),
      z
        .strictObject({
          provider: z
            .literal('external-secrets')
            .describe('The External Secrets Operator makes each Secret from a secret manager: an ExternalSecret each.'),
          store: z
            .strictObject({
              kind: z
                .enum(['SecretStore', 'ClusterSecretStore'], { error: 'expected SecretStore or ClusterSecretStore' })
                .describe("SecretStore (in the environment's namespace) or ClusterSecretStore."),
              name: dnsSubdomain.describe('Name of the store.'),
            })
            .describe('The store the ExternalSecrets read from.'),
          refreshInterval: z
            .string()
            .regex(DURATION, 'expected a duration such as 1h, 15m or 0 (never)')
            .optional()
            .describe('How often the operator reads the store again, e.g. 1h or 15m; 0 never. Default: 1h.'),
          remoteKey: z
            .string()
            .min(1, 'expected a template such as shop/${env:name}/${secret:name}')
            .regex(/^[^\s]+$/, 'expected a template without spaces, such as shop/${env:name}/${secret:name}')
            .optional()
            .describe(
              'The key of each Secret in the store, from ${env:name}, ${env:namespace} and ${secret:name} ' +
                '(required in it); each referenced key of the Secret is read as a property of it. ' +
                'Default: ${env:name}/${secret:name}.',
            ),
        })
        .describe('external-secrets: Secrets read from a secret manager by the External Secrets Operator.'),
    ],
    { error: 'expected provider bootstrap or external-secrets' },
  )
  .describe(
    'Where the Secrets that services read through secretEnv come from: bootstrap or external-secrets. ' +
      'Default: {provider: bootstrap}.',
  );
export type SecretsSpec = z.infer<typeof secretsSchema>;

export const environmentFileSchema = z.strictObject({
  name: dnsLabel
    .optional()
    .describe(
      'The environment name (a DNS label; not default, argocd-config, argocd or bootstrap): its folder in dist/ ' +
        'and the suffix of its Applications. Default: the file name without .yaml.',
    ),
  namespace: dnsLabel.describe(
    'Namespace every service of this environment is deployed to (Argo CD creates it). Its own: never ' +
      "Argo CD's, a kube-* system namespace or another environment's on the same cluster. Required.",
  ),
  domain: hostName.describe(
    'Public domain: exposed services get <subdomain>.<domain>, or the domain itself; ${env:domain} in specs. ' +
      'Required.',
  ),
  cluster: z
    .string()
    .min(1, 'expected a cluster server URL or cluster name')
    .describe(
      'The Argo CD destination: a server URL (https://..., e.g. https://kubernetes.default.svc) or a cluster ' +
        'name. Required.',
    ),
  storageClass: dnsSubdomain
    .optional()
    .describe("Storage class of every claim. Default: the cluster's default storage class."),
  ingress: z
    .strictObject({
      className: dnsSubdomain.describe('IngressClass of every Ingress, e.g. nginx.'),
      tls: z
        .strictObject({ clusterIssuer })
        .optional()
        .describe('HTTPS: a cert-manager certificate and a TLS Secret per host. Default: plain HTTP.'),
    })
    .optional()
    .describe('Route exposed services through Ingresses, one each. Exactly one of ingress and gateway.'),
  gateway: gatewaySchema.optional(),
  network: networkSchema.optional(),
  secrets: secretsSchema.optional(),
  defaults: z
    .strictObject({
      replicas: nonNegativeInt
        .optional()
        .describe('Replicas of a service whose spec sets neither replicas nor autoscaling. Default: 1.'),
      resources: resources
        .optional()
        .describe(
          "Requests and limits every service gets; a service's own resources merge key by key over these. " +
            'Default: none.',
        ),
    })
    .optional()
    .describe('What a service of this environment gets when its spec says nothing.'),
  imagePolicy: imagePolicySchema,
  waitImage: z
    .string()
    .regex(/^[^\s:@]+(:[A-Za-z0-9_.-]+)?(@sha256:[a-f0-9]{64})?$/, 'expected an image reference such as busybox:1.37.0')
    .optional()
    .describe(`Image of the init containers that wait for dependsOn services. Default: ${DEFAULT_WAIT_IMAGE}.`),
  sync: environmentSyncSchema
    .optional()
    .describe(
      "How Argo CD syncs the environment's Applications. Default: automated, with prune and self-heal, in every " +
        'environment.',
    ),
  monitoring: z
    .strictObject({
      serviceMonitors: z
        .boolean({ error: 'expected true or false' })
        .optional()
        .describe('A ServiceMonitor for every service with metrics. Default: false.'),
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
        .optional()
        .describe(
          'Labels every ServiceMonitor gets, for a Prometheus whose serviceMonitorSelector needs them (e.g. ' +
            'release: kube-prometheus-stack); not app.kubernetes.io/ ones. Default: none.',
        ),
    })
    .optional()
    .describe('Prometheus Operator integration; turn it on only where its CRDs are installed.'),
});
export type EnvironmentFile = z.infer<typeof environmentFileSchema>;
