import { MANAGED_BY, SYNC_WAVE } from '../constructs/labels.js';
import type { ResolvedEnvironment } from '../resolve/model.js';
import { objectFileName, type RenderedObject } from '../output/object.js';
import type { ArgoCdContext, ArgoCdObject } from './model.js';

/** Names shared by the builders of `dist/argocd/`, so that references between objects agree. */

export const ARGOCD_API = 'argoproj.io/v1alpha1';
export const IMAGE_UPDATER_API = 'argocd-image-updater.argoproj.io/v1alpha1';

/** The root Application that syncs `dist/argocd/` and the AppProject it lives in. */
export const CONFIG_APP = 'argocd-config';
export const CONFIG_PROJECT = 'argocd-config';
/** Argo CD's own project; an environment must not redefine it. */
export const DEFAULT_PROJECT = 'default';

/** The in-cluster destination, where Argo CD's own configuration goes. */
export const IN_CLUSTER = 'https://kubernetes.default.svc';

/** Label keys of generated Applications. */
export const ENVIRONMENT_LABEL = 'gitops-synth/environment';
export const SERVICE_LABEL = 'gitops-synth/service';
/** Marks Applications whose image Image Updater reads from annotations (annotations mode). */
export const IMAGE_UPDATER_LABEL = 'gitops-synth/image-updater';

export function applicationName(service: string, env: ResolvedEnvironment | string): string {
  return `${service}-${typeof env === 'string' ? env : env.name}`;
}

export function projectName(env: ResolvedEnvironment): string {
  return env.name;
}

/** Folder of the environment's services inside the devops repository, e.g. `dist/stage`. */
export function environmentPath(ctx: ArgoCdContext, env: ResolvedEnvironment): string {
  return `${ctx.settings.repository.path}/${env.name}`;
}

/** The `git:secret:<ns>/<name>` write-back method Image Updater pushes with. */
export function writeBackMethod(ctx: ArgoCdContext): string {
  return `git:secret:${ctx.settings.namespace}/${ctx.settings.repository.writeSecret}`;
}

export function commonLabels(ctx: ArgoCdContext): Record<string, string> {
  return { 'app.kubernetes.io/managed-by': MANAGED_BY, 'app.kubernetes.io/part-of': ctx.settings.partOf };
}

/** Sync waves of the root Application: projects and configuration before what runs in them. */
export const WAVE = { config: '-1', apps: '0' } as const;

/** Metadata in the Argo CD namespace with the common labels and a sync wave. */
export function argoMetadata(
  ctx: ArgoCdContext,
  name: string,
  wave: string,
  extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
) {
  return {
    name,
    namespace: ctx.settings.namespace,
    labels: { ...commonLabels(ctx), ...extra.labels },
    annotations: { [SYNC_WAVE]: wave, ...extra.annotations },
  };
}

export function argoObject(object: RenderedObject['object']): ArgoCdObject {
  return { file: objectFileName(object), object };
}
