import type { ResolvedEnvironment } from '../resolve/model.js';
import { templateLiteral } from './go-template.js';
import type { ArgoCdBuilder, ArgoCdContext } from './model.js';
import {
  ARGOCD_API,
  argoMetadata,
  argoObject,
  commonLabels,
  ENVIRONMENT_LABEL,
  environmentPath,
  projectName,
  SERVICE_LABEL,
  WAVE,
} from './names.js';
import { templatePatch } from './template-patch.js';

/** Sync options of every generated Application. */
export const APPLICATION_SYNC_OPTIONS = ['CreateNamespace=true', 'ServerSideApply=true'];
/** Retry of failed syncs: transient API or webhook errors heal without a person. */
export const APPLICATION_RETRY = { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } };

/**
 * One ApplicationSet per environment: a git files generator over
 * `<path>/<env>/*\/app.json` in the devops repository, each file becoming
 * the Application `<service>-<env>` in the environment's AppProject.
 *
 * Safety: `preserveResourcesOnDeletion` (no cascading-delete finalizer on
 * the Applications, so a deleted Application or ApplicationSet leaves the
 * workloads running) and `applicationsSync: create-update` (the controller
 * never deletes Applications, not even when a git error makes the generator
 * see no files at all).
 */
export const applicationSets: ArgoCdBuilder = {
  describes: 'an ApplicationSet per environment',
  build: (ctx) => ctx.environments.map((env) => argoObject(applicationSet(ctx, env))),
};

function applicationSet(ctx: ArgoCdContext, env: ResolvedEnvironment) {
  const repo = ctx.settings.repository;
  const destination = env.cluster.server
    ? { server: templateLiteral(env.cluster.server) }
    : { name: templateLiteral(env.cluster.name!) };
  return {
    apiVersion: ARGOCD_API,
    kind: 'ApplicationSet',
    metadata: argoMetadata(ctx, env.name, WAVE.apps),
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      syncPolicy: { preserveResourcesOnDeletion: true, applicationsSync: 'create-update' },
      generators: [
        {
          git: {
            repoURL: repo.url,
            revision: repo.branch,
            files: [{ path: `${environmentPath(ctx, env)}/*/app.json` }],
          },
        },
      ],
      template: {
        metadata: {
          name: `{{ .service }}-${env.name}`,
          labels: { ...commonLabels(ctx), [ENVIRONMENT_LABEL]: env.name, [SERVICE_LABEL]: '{{ .service }}' },
        },
        spec: {
          project: projectName(env),
          // `.path.path` is the folder of the app.json inside the repository (the generator's own parameter).
          source: {
            repoURL: templateLiteral(repo.url),
            targetRevision: templateLiteral(repo.branch),
            path: '{{ .path.path }}',
          },
          destination: { ...destination, namespace: env.namespace },
          syncPolicy: {
            // The environment's policy; templatePatch applies each service's (app.json `sync`).
            automated: env.sync.automated ? { prune: env.sync.prune, selfHeal: env.sync.selfHeal } : undefined,
            syncOptions: APPLICATION_SYNC_OPTIONS,
            retry: APPLICATION_RETRY,
          },
        },
      },
      templatePatch: templatePatch(ctx),
    },
  };
}
