import { stringify } from 'yaml';
import { PROTECT_DATA, SYNC_OPTIONS } from '../constructs/labels.js';
import type { ArgoCdBuilder, ArgoCdContext } from './model.js';
import { argoMetadata, argoObject, WAVE } from './names.js';

/** argocd-secret keys the Dex GitHub connector reads; the values are set by hand, never rendered. */
export const DEX_CLIENT_ID_KEY = 'dex.github.clientID';
export const DEX_CLIENT_SECRET_KEY = 'dex.github.clientSecret';

/**
 * Ingresses on bare-metal clusters often never get a load-balancer address,
 * which Argo CD's built-in check waits for forever ("Progressing"); the
 * ingress controller serves them anyway, so they count as healthy.
 */
export const INGRESS_HEALTH_LUA = `hs = {}
hs.status = "Healthy"
if obj.status ~= nil and obj.status.loadBalancer ~= nil and obj.status.loadBalancer.ingress ~= nil then
  hs.message = "Load-balancer address assigned"
else
  hs.message = "Served by the ingress controller (no load-balancer address, as on bare metal)"
end
return hs
`;

/**
 * Labels the Argo CD install gives its ConfigMaps; they are kept, and the
 * ConfigMaps belong to the install: the root Application never prunes or
 * deletes them.
 */
export function installedConfigMapMetadata(ctx: ArgoCdContext, name: string, partOf: string) {
  const metadata = argoMetadata(ctx, name, WAVE.config, { annotations: { [SYNC_OPTIONS]: PROTECT_DATA } });
  return {
    ...metadata,
    labels: { ...metadata.labels, 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': partOf },
  };
}

/**
 * `argocd-cm`: the public URL, single sign-on through Dex's GitHub connector
 * limited to the organisation (the client secret only referenced from
 * argocd-secret), the local admin disabled once SSO is on, the web terminal
 * only when the settings turn it on, and the Ingress health check for bare metal.
 */
export const argocdCm: ArgoCdBuilder = {
  describes: 'the argocd-cm ConfigMap',
  build: (ctx) => {
    const sso = ctx.settings.sso;
    const data: Record<string, string> = {
      url: `https://${ctx.settings.ui.host}`,
      // A shell in production pods from a browser: only when the settings ask for it (argocd.webTerminal).
      'exec.enabled': ctx.settings.ui.webTerminal ? 'true' : 'false',
      'resource.customizations.health.networking.k8s.io_Ingress': INGRESS_HEALTH_LUA,
    };
    if (sso) {
      data['dex.config'] = stringify(
        {
          connectors: [
            {
              type: 'github',
              id: 'github',
              name: 'GitHub',
              config: {
                clientID: sso.clientId ?? `$${DEX_CLIENT_ID_KEY}`,
                clientSecret: `$${DEX_CLIENT_SECRET_KEY}`,
                orgs: [{ name: sso.organization }],
                // Groups become "<org>:<team-slug>", what argocd-rbac-cm maps.
                teamNameField: 'slug',
              },
            },
          ],
        },
        { lineWidth: 0 },
      );
      if (sso.disableAdmin) data['admin.enabled'] = 'false';
    }
    return [
      argoObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: installedConfigMapMetadata(ctx, 'argocd-cm', 'argocd'),
        data,
      }),
    ];
  },
};
