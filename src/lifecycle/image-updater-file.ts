import { applicationName } from '../argocd/names.js';

export { writtenBackTag } from '../output/write-back.js';

/**
 * The file Argo CD Image Updater writes back beside a service's
 * kustomization (its default git write-back target), relative to the
 * rendered tree: `<env>/<service>/.argocd-source-<service>-<env>.yaml`.
 * The generated Applications live in Argo CD's own namespace, so the name
 * carries no `<namespace>_` prefix.
 */
export function imageUpdaterFile(service: string, environment: string): string {
  return `${environment}/${service}/.argocd-source-${applicationName(service, environment)}.yaml`;
}
