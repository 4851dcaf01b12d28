import { parse } from 'yaml';
import { applicationName } from '../argocd/names.js';

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

/**
 * The tag (or `@sha256:` digest) the file sets for `repository`, from its
 * `kustomize.images` list, whose entries read `[<name>=]<image>[:<tag>][@<digest>]`.
 * Undefined when the file sets nothing for that image or cannot be read.
 */
export function writtenBackTag(content: string, repository: string): string | undefined {
  let data: unknown;
  try {
    data = parse(content);
  } catch {
    return undefined;
  }
  const images = (data as { kustomize?: { images?: unknown } } | null)?.kustomize?.images;
  if (!Array.isArray(images)) return undefined;
  for (const entry of images) {
    if (typeof entry !== 'string') continue;
    const eq = entry.indexOf('=');
    const target = eq >= 0 ? entry.slice(eq + 1) : entry;
    const at = target.indexOf('@');
    const digest = at >= 0 ? target.slice(at) : undefined;
    const withTag = at >= 0 ? target.slice(0, at) : target;
    const colon = withTag.lastIndexOf(':');
    const hasTag = colon > withTag.lastIndexOf('/');
    const name = eq >= 0 ? entry.slice(0, eq) : hasTag ? withTag.slice(0, colon) : withTag;
    if (name !== repository) continue;
    if (digest) return digest;
    if (hasTag) return withTag.slice(colon + 1);
  }
  return undefined;
}
