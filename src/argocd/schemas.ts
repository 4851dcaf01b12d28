import type { ModelLoader } from '../validate/schemas.js';
import { ARGOCD_API, IMAGE_UPDATER_API } from './names.js';

/** Schemas of the kinds in `dist/argocd/` beyond the Kubernetes ones (ConfigMap, Ingress). */
export const ARGOCD_KINDS: Record<string, ModelLoader> = {
  [`${ARGOCD_API}/Application`]: async () =>
    (await import('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application')).Application,
  [`${ARGOCD_API}/ApplicationSet`]: async () =>
    (await import('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet')).ApplicationSet,
  [`${ARGOCD_API}/AppProject`]: async () =>
    (await import('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject')).AppProject,
  // ajv is loaded only when an ImageUpdater is checked: not at all when nothing in argocd/ changed.
  [`${IMAGE_UPDATER_API}/ImageUpdater`]: async () =>
    (await import('./image-updater-schema.js')).loadImageUpdaterModel(),
};
