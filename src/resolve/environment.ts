import { createHash } from 'node:crypto';
import type { EnvironmentFile } from '../spec/environment-schema.js';
import { codeUnitOrder } from '../util/order.js';
import type { SpecProblem } from '../spec/errors.js';
import type {
  ResolvedEnvironment,
  ResolvedNetworkSettings,
  ResolvedRouting,
  ResolvedSecretsProvider,
  ResolvedService,
} from './model.js';

/** The namespace ingress-nginx is installed into by its official manifests and chart. */
export const INGRESS_NGINX_NAMESPACE = 'ingress-nginx';
export const DEFAULT_MONITORING_NAMESPACE = 'monitoring';
export const DEFAULT_REFRESH_INTERVAL = '1h';
export const DEFAULT_REMOTE_KEY = '${env:name}/${secret:name}';

/** Most listeners a Gateway may have (Gateway API v1). */
const MAX_LISTENERS = 64;

/** The references a `secrets.remoteKey` template may hold. */
const REMOTE_KEY_REFERENCE = /\$\{([^}]*)\}/g;

/**
 * The traffic and secrets part of an environment: its routing (Ingress or
 * Gateway), its NetworkPolicy settings and its secrets provider, every
 * default applied. What cannot work is reported by checkEnvironmentTraffic.
 */
export function resolveEnvironmentTraffic(
  s: EnvironmentFile,
): Pick<ResolvedEnvironment, 'routing' | 'network' | 'secrets'> {
  let routing: ResolvedRouting;
  if (s.gateway && !s.ingress) {
    const g = s.gateway;
    routing = {
      kind: 'gateway',
      name: g.name,
      namespace: g.namespace,
      sectionName: g.className ? undefined : g.sectionName,
      rendered: g.className ? { className: g.className, clusterIssuer: g.tls?.clusterIssuer } : undefined,
    };
  } else {
    // Without either (a problem checkEnvironmentTraffic reports), an empty class keeps the rest resolvable.
    routing = { kind: 'ingress', className: s.ingress?.className ?? '', clusterIssuer: s.ingress?.tls?.clusterIssuer };
  }
  const n = s.network ?? {};
  const ingressNamespace =
    n.ingressNamespace ??
    (routing.kind === 'gateway'
      ? routing.namespace
      : routing.className === 'nginx'
        ? INGRESS_NGINX_NAMESPACE
        : undefined);
  const network: ResolvedNetworkSettings = {
    policies: n.policies ?? true,
    ingressPeer: ingressNamespace ? { namespace: ingressNamespace } : undefined,
    monitoringNamespace: n.monitoringNamespace ?? DEFAULT_MONITORING_NAMESPACE,
    egress: n.egress ?? 'all',
  };
  const secrets: ResolvedSecretsProvider =
    s.secrets?.provider === 'external-secrets'
      ? {
          provider: 'external-secrets',
          store: { kind: s.secrets.store.kind, name: s.secrets.store.name },
          refreshInterval: s.secrets.refreshInterval ?? DEFAULT_REFRESH_INTERVAL,
          remoteKey: s.secrets.remoteKey ?? DEFAULT_REMOTE_KEY,
        }
      : { provider: 'bootstrap' };
  return { routing, network, secrets };
}

/** The key of a Secret in the secret manager: the environment's remoteKey template filled in. */
export function remoteKeyOf(template: string, env: Pick<ResolvedEnvironment, 'name' | 'namespace'>, secret: string) {
  return template.replace(REMOTE_KEY_REFERENCE, (whole, ref: string) =>
    ref === 'env:name' ? env.name : ref === 'env:namespace' ? env.namespace : ref === 'secret:name' ? secret : whole,
  );
}

/**
 * What cannot work in an environment's routing, NetworkPolicies and secrets,
 * each located in the environment file: neither or both of ingress and
 * gateway; a sectionName or tls that the Gateway's owner decides; an ingress
 * controller whose namespace the policies must admit but nobody named; a
 * namespace to admit that is the environment's own (which would admit every
 * service); a remoteKey that cannot tell Secrets apart.
 */
export function checkEnvironmentTraffic(
  env: ResolvedEnvironment,
  spec: EnvironmentFile,
  services: readonly ResolvedService[],
  add: (problem: SpecProblem) => void,
): void {
  const at = (path: (string | number)[], message: string): void => add(env.source.problem(path, message));
  if (spec.ingress && spec.gateway)
    at(
      ['gateway'],
      'ingress and gateway exclude each other (an environment routes through Ingresses or through a Gateway); ' +
        'expected one of them',
    );
  if (!spec.ingress && !spec.gateway)
    at(
      ['ingress'],
      'is required unless the environment routes through a Gateway; expected ingress: {className: <class>} ' +
        'or gateway: {name: <gateway>, namespace: <namespace>}',
    );
  const g = spec.gateway;
  if (g?.className && g.sectionName)
    at(
      ['gateway', 'sectionName'],
      "the Gateway rendered here (className) has a listener per host, and each route attaches to its host's; " +
        'expected no sectionName, or no className to use a Gateway managed elsewhere',
    );
  if (g?.tls && !g.className)
    at(
      ['gateway', 'tls'],
      "TLS belongs to the Gateway's listeners, and without className the Gateway is managed elsewhere; " +
        'expected className to render the Gateway here, or no tls',
    );

  const exposed = services.some((s) => s.expose);
  const routing = env.routing;
  if (routing.kind === 'gateway' && routing.rendered) {
    const hosts = new Set(services.flatMap((s) => (s.expose ? [s.expose.host] : [])));
    const redirect = routing.rendered.clusterIssuer !== undefined;
    const listeners = hosts.size + (redirect ? 1 : 0);
    if (listeners > MAX_LISTENERS)
      at(
        ['gateway', 'className'],
        `the Gateway rendered here would have ${listeners} listeners ` +
          `(one per host${redirect ? ', and one for the redirect to HTTPS' : ''}), ` +
          `more than the ${MAX_LISTENERS} a Gateway may have; expected fewer hosts (share hosts by path), ` +
          'or a Gateway managed elsewhere with a wildcard listener (no className)',
      );
  }
  const n = spec.network ?? {};
  if (n.monitoringNamespace === env.namespace)
    at(
      ['network', 'monitoringNamespace'],
      `${env.namespace} is the environment's own namespace, so every service could read every metrics port; ` +
        'expected the namespace Prometheus runs in, such as monitoring',
    );
  if (!env.network.policies || !exposed) return;
  if (routing.kind === 'ingress' && !env.network.ingressPeer && spec.ingress)
    at(
      ['ingress', 'className'],
      `the NetworkPolicies must let the ${routing.className} ingress controller reach the exposed services, ` +
        'and its namespace is not known (ingress-nginx is assumed only for the nginx class); ' +
        'expected network.ingressNamespace naming the namespace it runs in',
    );
  if (env.network.ingressPeer?.namespace === env.namespace) {
    const viaGateway = routing.kind === 'gateway';
    const expected = !viaGateway
      ? 'the namespace the ingress controller runs in, such as ingress-nginx'
      : n.ingressNamespace
        ? "the namespace the gateway's proxies run in"
        : 'a namespace of its own for the Gateway, such as gateway-system, ' +
          'or network.ingressNamespace naming where its proxies run';
    at(
      n.ingressNamespace ? ['network', 'ingressNamespace'] : ['gateway', 'namespace'],
      `the NetworkPolicies admit the ${viaGateway ? "gateway's proxies" : 'ingress controller'} by namespace, ` +
        `and ${env.namespace} is the environment's own, which would admit every service of it ` +
        `(and its default-deny policy would cut ${viaGateway ? 'the proxies' : 'the controller'} off); ` +
        `expected ${expected}`,
    );
  }
}

/**
 * Problems of the secrets provider that need no services: a remoteKey that
 * cannot tell Secrets apart or holds an unknown reference.
 */
export function checkSecretsProvider(env: ResolvedEnvironment, add: (problem: SpecProblem) => void): void {
  if (env.secrets.provider !== 'external-secrets') return;
  const template = env.secrets.remoteKey;
  const path = ['secrets', 'remoteKey'];
  for (const m of template.matchAll(REMOTE_KEY_REFERENCE)) {
    if (!['env:name', 'env:namespace', 'secret:name'].includes(m[1]!))
      add(
        env.source.problem(
          path,
          `unknown reference ${m[0]}; expected \${env:name}, \${env:namespace} or \${secret:name}`,
        ),
      );
  }
  if (!template.includes('${secret:name}'))
    add(
      env.source.problem(
        path,
        'has no ${secret:name}, so every Secret would read the same remote key; ' +
          'expected a template such as shop/${env:name}/${secret:name}',
      ),
    );
}

/**
 * The TLS Secret of a host when the environment serves it over HTTPS with a
 * certificate it asks cert-manager for: `<host with dashes>-tls`, shared by
 * every service on the host (with a Gateway rendered here, the listener's).
 */
export function tlsSecretNameOf(env: Pick<ResolvedEnvironment, 'routing'>, host: string): string | undefined {
  const issuer = env.routing.kind === 'ingress' ? env.routing.clusterIssuer : env.routing.rendered?.clusterIssuer;
  // A Secret name is a DNS-1123 subdomain of at most 253 characters: the host is cut (never
  // the -tls) at a letter or digit.
  return issuer ? `${host.replace(/\./g, '-').slice(0, 249).replace(/-+$/, '')}-tls` : undefined;
}

/** The listener of `host` on a Gateway rendered here: `https-<host with dashes>` (`http-…` without TLS). */
export function gatewayListenerName(rendered: { readonly clusterIssuer?: string }, host: string): string {
  const name = `${rendered.clusterIssuer ? 'https' : 'http'}-${host.replace(/\./g, '-')}`;
  if (name.length <= 253) return name;
  return `${name.slice(0, 236)}-${createHash('sha256').update(host).digest('hex').slice(0, 16)}`;
}

/**
 * Two environments of one cluster cannot both render the same Gateway: their
 * Applications would fight over it. Reported on the later environment by name.
 */
export function checkRenderedGateways(
  environments: readonly ResolvedEnvironment[],
  add: (problem: SpecProblem) => void,
): void {
  const owners = new Map<string, string>();
  for (const env of [...environments].sort((a, b) => codeUnitOrder(a.name, b.name))) {
    if (env.routing.kind !== 'gateway' || !env.routing.rendered) continue;
    const key = JSON.stringify([env.cluster.server ?? env.cluster.name, env.routing.namespace, env.routing.name]);
    const other = owners.get(key);
    if (other)
      add(
        env.source.problem(
          ['gateway', 'name'],
          `environment ${other} renders the Gateway ${env.routing.namespace}/${env.routing.name} on the same ` +
            'cluster, and two Applications cannot own one object; expected another name or namespace, ' +
            'or no className here to attach to that Gateway',
        ),
      );
    else owners.set(key, env.name);
  }
}
