import type { ArgoCdBuilder } from './model.js';
import { argoMetadata, argoObject, WAVE } from './names.js';

/** The TLS secret of the UI's host; argocd-server serves the same certificate from it. */
export const SERVER_TLS_SECRET = 'argocd-server-tls';

/**
 * The Argo CD UI's Ingress on `argo.<domain>` with TLS (a cert-manager
 * certificate when the ingress environment names a cluster issuer). argocd-
 * server speaks HTTPS itself, so ingress-nginx is told to proxy HTTPS; with
 * another ingress class, configure the equivalent for that controller.
 */
export const serverIngress: ArgoCdBuilder = {
  describes: 'the Ingress of the Argo CD UI',
  build: (ctx) => {
    const ui = ctx.settings.ui;
    const annotations: Record<string, string> = {};
    if (ui.clusterIssuer) annotations['cert-manager.io/cluster-issuer'] = ui.clusterIssuer;
    if (ui.ingressClassName === 'nginx') {
      annotations['nginx.ingress.kubernetes.io/backend-protocol'] = 'HTTPS';
      annotations['nginx.ingress.kubernetes.io/force-ssl-redirect'] = 'true';
    }
    return [
      argoObject({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: argoMetadata(ctx, 'argocd-server', WAVE.apps, { annotations }),
        spec: {
          ingressClassName: ui.ingressClassName,
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
