import type { ModelLoader } from '../validate/schemas.js';
import { loadImageUpdaterModel } from './image-updater-schema.js';
import { ARGOCD_API, IMAGE_UPDATER_API } from './names.js';

/** Schemas of the kinds in `dist/argocd/` beyond the Kubernetes ones (ConfigMap, Ingress). */
export const ARGOCD_KINDS: Record<string, ModelLoader> = {
  [`${ARGOCD_API}/Application`]: async () =>
    (await import('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application')).Application,
  [`${ARGOCD_API}/ApplicationSet`]: async () =>
    (await import('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet')).ApplicationSet,
  [`${ARGOCD_API}/AppProject`]: async () =>
    (await import('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject')).AppProject,
  [`${IMAGE_UPDATER_API}/ImageUpdater`]: loadImageUpdaterModel,
};
