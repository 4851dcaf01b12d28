import { environmentFolder, environmentObjects } from '../environment/render.js';
import type { ResolvedEnvironment } from '../resolve/model.js';
import { APPLICATION_RETRY, APPLICATION_SYNC_OPTIONS } from './application-set.js';
import type { ArgoCdBuilder, ArgoCdContext } from './model.js';
import { ARGOCD_API, argoMetadata, argoObject, commonLabels, ENVIRONMENT_LABEL, projectName, WAVE } from './names.js';

/** The Application of an environment's own folder: `<env>-environment`. */
export function environmentApplicationName(env: Pick<ResolvedEnvironment, 'name'>): string {
  return `${env.name}-environment`;
}

/**
 * One Application per environment that has a folder of its own
 * (`<env>/_environment/`: the default-deny NetworkPolicy, the Gateway, the
 * ExternalSecrets), in the environment's AppProject, with the environment's
 * sync policy: like a service's Application, it is held at the release gate
 * where the environment is. Like the ApplicationSets' Applications it has no
 * cascading-delete finalizer: deleting it leaves its objects in place.
 */
export const environmentApplications: ArgoCdBuilder = {
  describes: "an Application per environment for the environment's own objects",
  build: (ctx) =>
    ctx.environments
      .filter((env) => environmentObjects(env, ctx.services.get(env.name) ?? [], ctx.settings).length > 0)
      .map((env) => argoObject(environmentApplication(ctx, env))),
};

function environmentApplication(ctx: ArgoCdContext, env: ResolvedEnvironment) {
  const repo = ctx.settings.repository;
  const destination = env.cluster.server ? { server: env.cluster.server } : { name: env.cluster.name };
  return {
    apiVersion: ARGOCD_API,
    kind: 'Application',
    metadata: argoMetadata(ctx, environmentApplicationName(env), WAVE.apps, {
      labels: { ...commonLabels(ctx), [ENVIRONMENT_LABEL]: env.name },
    }),
    spec: {
      project: projectName(env),
      source: { repoURL: repo.url, targetRevision: repo.branch, path: `${repo.path}/${environmentFolder(env)}` },
      destination: { ...destination, namespace: env.namespace },
      syncPolicy: {
        automated: env.sync.automated ? { prune: env.sync.prune, selfHeal: env.sync.selfHeal } : undefined,
        syncOptions: APPLICATION_SYNC_OPTIONS,
        retry: APPLICATION_RETRY,
      },
    },
  };
}
