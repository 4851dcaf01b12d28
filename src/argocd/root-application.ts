import type { ArgoCdBuilder, ArgoCdContext } from './model.js';
import { ARGOCD_API, argoMetadata, argoObject, CONFIG_APP, CONFIG_PROJECT, IN_CLUSTER, WAVE } from './names.js';
import { APPLICATION_RETRY } from './application-set.js';

/** The folder of `dist/argocd/` inside the devops repository. */
export function configPath(ctx: ArgoCdContext): string {
  return `${ctx.settings.repository.path}/argocd`;
}

/** Kinds the root Application may manage: what `dist/argocd/` holds, nothing else. */
export const CONFIG_KINDS = [
  { group: 'argoproj.io', kind: 'Application' },
  { group: 'argoproj.io', kind: 'ApplicationSet' },
  { group: 'argoproj.io', kind: 'AppProject' },
  { group: 'argocd-image-updater.argoproj.io', kind: 'ImageUpdater' },
  { group: '', kind: 'ConfigMap' },
  { group: 'networking.k8s.io', kind: 'Ingress' },
  // The UI's route when its ingress environment routes through a Gateway.
  { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' },
];

/**
 * The root Application ("app of apps"): syncs `dist/argocd/` itself, this
 * Application included, so Argo CD's own configuration never drifts from
 * git. Applied once by hand (see dist/argocd/README.md), then self-managed.
 * No resources finalizer: deleting it leaves everything it created in place.
 */
export const rootApplication: ArgoCdBuilder = {
  describes: 'the root Application that syncs dist/argocd/',
  build: (ctx) => [
    argoObject({
      apiVersion: ARGOCD_API,
      kind: 'Application',
      metadata: argoMetadata(ctx, CONFIG_APP, WAVE.apps),
      spec: {
        project: CONFIG_PROJECT,
        source: {
          repoURL: ctx.settings.repository.url,
          targetRevision: ctx.settings.repository.branch,
          path: configPath(ctx),
          directory: { recurse: false },
        },
        destination: { server: IN_CLUSTER, namespace: ctx.settings.namespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          // The ApplicationSet CRD is too large for client-side apply (Argo CD 3.3+).
          syncOptions: ['ServerSideApply=true'],
          retry: APPLICATION_RETRY,
        },
      },
    }),
  ],
};

/**
 * The AppProject of the root Application: only the devops repository, only
 * Argo CD's namespace in its own cluster, only the kinds of `dist/argocd/`,
 * no cluster-scoped kinds at all.
 */
export const configProject: ArgoCdBuilder = {
  describes: 'the AppProject of the root Application',
  build: (ctx) => [
    argoObject({
      apiVersion: ARGOCD_API,
      kind: 'AppProject',
      metadata: argoMetadata(ctx, CONFIG_PROJECT, WAVE.config),
      spec: {
        description: `Argo CD's own configuration, synced from ${configPath(ctx)}/`,
        sourceRepos: [ctx.settings.repository.url],
        destinations: [{ server: IN_CLUSTER, namespace: ctx.settings.namespace }],
        namespaceResourceWhitelist: CONFIG_KINDS,
      },
    }),
  ],
};
