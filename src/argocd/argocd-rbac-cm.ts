import type { ArgoCdBuilder, ArgoCdContext } from './model.js';
import { argoObject } from './names.js';
import { installedConfigMapMetadata } from './argocd-cm.js';

/** The role the admin team gets, written out permission by permission. */
export const ADMIN_ROLE = 'role:team-admin';

/**
 * What the admin team may do, and nothing broader: no clusters, accounts,
 * certificates or GPG keys, and no inheritance from the built-in role:admin.
 */
export const ADMIN_POLICIES: readonly (readonly [resource: string, action: string, object: string])[] = [
  ['applications', '*', '*/*'],
  ['applicationsets', '*', '*/*'],
  ['projects', '*', '*'],
  ['repositories', '*', '*'],
  ['logs', 'get', '*/*'],
];

/** The web terminal, granted to the admin team only when argocd.webTerminal turns it on. */
export const EXEC_POLICY = ['exec', 'create', '*/*'] as const;

/** `argocd-rbac-cm`: everyone read-only; the GitHub team `<org>:<team>` the admin role above. */
export const argocdRbacCm: ArgoCdBuilder = {
  describes: 'the argocd-rbac-cm ConfigMap',
  build: (ctx) => [
    argoObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: installedConfigMapMetadata(ctx, 'argocd-rbac-cm', 'argocd'),
      data: { 'policy.default': 'role:readonly', 'policy.csv': policyCsv(ctx), scopes: '[groups]' },
    }),
  ],
};

function policyCsv(ctx: ArgoCdContext): string {
  const policies = ctx.settings.ui.webTerminal ? [...ADMIN_POLICIES, EXEC_POLICY] : ADMIN_POLICIES;
  const lines = policies.map(
    ([resource, action, object]) => `p, ${ADMIN_ROLE}, ${resource}, ${action}, ${object}, allow`,
  );
  const sso = ctx.settings.sso;
  if (sso) lines.push(`g, ${sso.organization}:${sso.adminTeam}, ${ADMIN_ROLE}`);
  return `${lines.join('\n')}\n`;
}
