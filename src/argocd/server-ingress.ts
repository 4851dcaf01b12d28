import { GATEWAY_API_VERSION, gatewayParentRef } from '../constructs/labels.js';
import { gatewayListenerName } from '../resolve/environment.js';
import type { ResolvedGatewayRouting } from '../resolve/model.js';
import { installedConfigMapMetadata } from './argocd-cm.js';
import type { ArgoCdBuilder, ArgoCdContext, ArgoCdObject } from './model.js';
import { argoMetadata, argoObject, WAVE } from './names.js';

/** The TLS secret of the UI's host; argocd-server serves the same certificate from it. */
export const SERVER_TLS_SECRET = 'argocd-server-tls';
/** Argo CD's ConfigMap of command-line parameters, read by argocd-server when it starts. */
export const CMD_PARAMS_CM = 'argocd-cmd-params-cm';

/**
 * How the Argo CD UI (and API) is published: the routing of its ingress
 * environment (settings `argocd.ingressEnvironment`).
 *
 * - Ingress: an Ingress on `argo.<domain>` with TLS (a cert-manager
 *   certificate when the environment names a cluster issuer). argocd-server
 *   speaks HTTPS itself, so ingress-nginx is told to proxy HTTPS; with another
 *   ingress class, configure the equivalent for that controller.
 * - Gateway: an HTTPRoute on the environment's Gateway (the listener of the
 *   UI's host on a Gateway rendered here, which takes routes from Argo CD's
 *   namespace and ends TLS), to argocd-server's plain-HTTP port; argocd-server
 *   then runs with `server.insecure` (argocd-cmd-params-cm), since the
 *   Gateway ends TLS and Gateway API v1 has no standard way to speak HTTPS to
 *   a backend without a BackendTLSPolicy. The CLI reaches the API through it
 *   with `--grpc-web`.
 */
export const serverIngress: ArgoCdBuilder = {
  describes: 'the Ingress (or HTTPRoute) of the Argo CD UI',
  build: (ctx) => {
    const ui = ctx.settings.ui;
    if (ui.routing.kind === 'gateway') return serverRoute(ctx, ui.routing);
    const annotations: Record<string, string> = {};
    if (ui.routing.clusterIssuer) annotations['cert-manager.io/cluster-issuer'] = ui.routing.clusterIssuer;
    if (ui.routing.className === 'nginx') {
      annotations['nginx.ingress.kubernetes.io/backend-protocol'] = 'HTTPS';
      annotations['nginx.ingress.kubernetes.io/force-ssl-redirect'] = 'true';
    }
    return [
      argoObject({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: argoMetadata(ctx, 'argocd-server', WAVE.apps, { annotations }),
        spec: {
          ingressClassName: ui.routing.className,
          rules: [
            {
              host: ui.host,
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'argocd-server', port: { name: 'https' } } },
                  },
                ],
              },
            },
          ],
          tls: [{ hosts: [ui.host], secretName: SERVER_TLS_SECRET }],
        },
      }),
    ];
  },
};

function serverRoute(ctx: ArgoCdContext, gateway: ResolvedGatewayRouting): ArgoCdObject[] {
  const ui = ctx.settings.ui;
  const sectionName = gateway.rendered ? gatewayListenerName(gateway.rendered, ui.host) : gateway.sectionName;
  return [
    argoObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: installedConfigMapMetadata(ctx, CMD_PARAMS_CM, 'argocd'),
      data: { 'server.insecure': 'true' },
    }),
    argoObject({
      apiVersion: GATEWAY_API_VERSION,
      kind: 'HTTPRoute',
      metadata: argoMetadata(ctx, 'argocd-server', WAVE.apps),
      spec: {
        parentRefs: [gatewayParentRef(gateway, sectionName)],
        hostnames: [ui.host],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/' } }],
            backendRefs: [{ group: '', kind: 'Service', name: 'argocd-server', port: 80 }],
          },
        ],
      },
    }),
  ];
}
