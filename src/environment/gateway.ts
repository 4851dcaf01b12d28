import { GATEWAY_API_VERSION, gatewayParentRef, NAMESPACE_NAME_LABEL } from '../constructs/labels.js';
import { gatewayListenerName, tlsSecretNameOf } from '../resolve/environment.js';
import { codeUnitOrder } from '../util/order.js';
import type { EnvironmentBuilder } from './model.js';
import { ENVIRONMENT_WAVE, environmentMetadata } from './model.js';

/** The plain-HTTP listener of a Gateway with TLS: it only redirects to HTTPS (and serves ACME HTTP-01 challenges). */
export const HTTP_LISTENER = 'http';

/**
 * The environment's Gateway, when it names its class (`gateway.className`):
 * a listener per exposed host, accepting HTTPRoutes from the environment's
 * namespace only. With `gateway.tls`, each listener is HTTPS on 443 with the
 * host's certificate Secret, which cert-manager issues through its Gateway
 * support (the `cert-manager.io/cluster-issuer` annotation on the Gateway:
 * a Certificate per listener hostname and Secret), and a plain-HTTP listener
 * on 80 answers every request with a redirect to HTTPS (an HTTPRoute of the
 * Gateway's own namespace). Without TLS, each listener is HTTP on 80.
 * When the Argo CD UI is published through this environment, its host has
 * a listener too, taking routes from Argo CD's namespace.
 */
export const gateway: EnvironmentBuilder = {
  describes: 'the Gateway, with a listener per host (gateway.className)',
  build: ({ env, services, argocdUi }) => {
    const routing = env.routing;
    if (routing.kind !== 'gateway' || !routing.rendered) return [];
    const rendered = routing.rendered;
    const tls = rendered.clusterIssuer !== undefined;
    const hosts = [...new Set(services.flatMap((s) => (s.expose ? [s.expose.host] : [])))].sort(codeUnitOrder);
    const namespaceSelector = (namespace: string) => ({ matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } });
    const fromEnvironment = {
      namespaces: { from: 'Selector', selector: namespaceSelector(env.namespace) },
      kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
    };
    const listener = (host: string, routesFrom: string) => ({
      name: gatewayListenerName(rendered, host),
      hostname: host,
      port: tls ? 443 : 80,
      protocol: tls ? 'HTTPS' : 'HTTP',
      tls: tls
        ? { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: tlsSecretNameOf(env, host)! }] }
        : undefined,
      allowedRoutes: { ...fromEnvironment, namespaces: { from: 'Selector', selector: namespaceSelector(routesFrom) } },
    });
    const listeners: Record<string, unknown>[] = hosts.map((host) => listener(host, env.namespace));
    // The Argo CD UI's route, from Argo CD's namespace, when it is published through this Gateway.
    if (argocdUi && !hosts.includes(argocdUi.host)) listeners.push(listener(argocdUi.host, argocdUi.namespace));
    if (tls)
      listeners.unshift({
        name: HTTP_LISTENER,
        port: 80,
        protocol: 'HTTP',
        allowedRoutes: {
          namespaces: { from: 'Same' },
          kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
        },
      });
    // A Gateway must have a listener; with no exposed service yet, the redirect (or a catch-all HTTP one) stands alone.
    if (!listeners.length)
      listeners.push({ name: HTTP_LISTENER, port: 80, protocol: 'HTTP', allowedRoutes: fromEnvironment });
    const annotations: Record<string, string> = tls
      ? { 'cert-manager.io/cluster-issuer': rendered.clusterIssuer! }
      : {};
    const objects: ReturnType<EnvironmentBuilder['build']> = [
      {
        apiVersion: GATEWAY_API_VERSION,
        kind: 'Gateway',
        metadata: environmentMetadata(env, routing.name, ENVIRONMENT_WAVE.gateway, routing.namespace, annotations),
        spec: { gatewayClassName: rendered.className, listeners },
      },
    ];
    if (tls)
      objects.push({
        apiVersion: GATEWAY_API_VERSION,
        kind: 'HTTPRoute',
        // A dot, which no service name has: never the name of a service's own route.
        metadata: environmentMetadata(
          env,
          `${routing.name}.https-redirect`,
          ENVIRONMENT_WAVE.gateway,
          routing.namespace,
        ),
        spec: {
          parentRefs: [gatewayParentRef(routing, HTTP_LISTENER)],
          rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }],
        },
      });
    return objects;
  },
};
