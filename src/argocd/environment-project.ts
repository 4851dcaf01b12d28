import type { ResolvedEnvironment } from '../resolve/model.js';
import type { ArgoCdBuilder, ArgoCdContext } from './model.js';
import { ARGOCD_API, argoMetadata, argoObject, projectName, WAVE } from './names.js';

/**
 * One AppProject per environment, the fence around its Applications: sources
 * only from the devops repository, destinations only the environment's
 * cluster and namespace (and the namespace of a Gateway rendered for it),
 * no cluster-scoped kinds but the Namespace that
 * `CreateNamespace=true` creates, and the environment's sync windows.
 */
export const environmentProjects: ArgoCdBuilder = {
  describes: 'an AppProject per environment',
  build: (ctx) => ctx.environments.map((env) => argoObject(environmentProject(ctx, env))),
};

function environmentProject(ctx: ArgoCdContext, env: ResolvedEnvironment) {
  const cluster = env.cluster.server ? { server: env.cluster.server } : { name: env.cluster.name };
  const windows = env.sync.windows.map((w) => ({
    kind: w.kind,
    schedule: w.schedule,
    duration: w.duration,
    applications: ['*'],
    manualSync: w.manualSync,
    timeZone: w.timeZone,
  }));
  return {
    apiVersion: ARGOCD_API,
    kind: 'AppProject',
    metadata: argoMetadata(ctx, projectName(env), WAVE.config),
    spec: {
      description: `The ${env.name} environment: the services rendered to ${ctx.settings.repository.path}/${env.name}/`,
      sourceRepos: [ctx.settings.repository.url],
      destinations: [
        { ...cluster, namespace: env.namespace },
        // A Gateway rendered here lives in its own namespace (environment/gateway.ts).
        ...(env.routing.kind === 'gateway' && env.routing.rendered && env.routing.namespace !== env.namespace
          ? [{ ...cluster, namespace: env.routing.namespace }]
          : []),
      ],
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
      syncWindows: windows.length ? windows : undefined,
    },
  };
}
