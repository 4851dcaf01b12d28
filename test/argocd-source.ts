import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { kustomizeBuild } from '../src/validate/kustomize.js';
import { tempDir } from './helpers.js';

/**
 * What Argo CD's repo-server does with the override files of a Kustomize
 * Application's folder before it renders (reposerver/repository/repository.go,
 * mergeSourceParameters, v3.5.1; docs/user-guide/parameters.md "Store
 * Overrides In Git"): `.argocd-source.yaml`, then `.argocd-source-<app>.yaml`,
 * each merged over the Application's source as a JSON merge patch; then every
 * `kustomize.images` entry of the merged source is set on the kustomization
 * (`kustomize edit set image`), and the folder is built. This is how Image
 * Updater's git write-back moves a tag, and why a stale file beats the spec.
 */

type Json = any;

function mergePatch(target: Json, patch: Json): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Json = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** `kustomize edit set image` for one `[<name>=]<image>[:<tag>][@<digest>]`. */
function setImage(images: Json[], ref: string): Json[] {
  const eq = ref.indexOf('=');
  let target = eq >= 0 ? ref.slice(eq + 1) : ref;
  let digest: string | undefined;
  const at = target.indexOf('@');
  if (at >= 0) [target, digest] = [target.slice(0, at), target.slice(at + 1)];
  const colon = target.lastIndexOf(':');
  const hasTag = colon > target.lastIndexOf('/');
  const image = hasTag ? target.slice(0, colon) : target;
  const tag = hasTag ? target.slice(colon + 1) : undefined;
  const name = eq >= 0 ? ref.slice(0, eq) : image;
  const entry: Json = { name };
  if (image !== name) entry.newName = image;
  if (tag) entry.newTag = tag;
  if (digest) entry.digest = digest;
  return [...images.filter((i) => i.name !== name), entry];
}

/** The Application's source after the folder's override files are merged over it (no files: unchanged). */
export function mergedSource(folder: string, application: string): Json {
  let source: Json = {};
  for (const file of ['.argocd-source.yaml', `.argocd-source-${application}.yaml`]) {
    const path = join(folder, file);
    if (existsSync(path)) source = mergePatch(source, parse(readFileSync(path, 'utf8')) ?? {});
  }
  return source;
}

/**
 * The objects Argo CD deploys from a Kustomize folder of a checkout,
 * override files applied, built with the real kubectl kustomize.
 */
export function argoCdBuild(folder: string, application: string): Json[] {
  const work = join(tempDir('gitops-synth-argocd-source-'), 'app');
  cpSync(folder, work, { recursive: true });
  const overrides: string[] = mergedSource(folder, application).kustomize?.images ?? [];
  if (overrides.length) {
    const k = parse(readFileSync(join(work, 'kustomization.yaml'), 'utf8'));
    for (const ref of overrides) k.images = setImage(k.images ?? [], ref);
    writeFileSync(join(work, 'kustomization.yaml'), stringify(k));
  }
  return parseAllDocuments(kustomizeBuild(work)).map((d) => d.toJS());
}

/** The image of the named container of the Deployment (or StatefulSet) Argo CD deploys from a folder. */
export function effectiveImage(folder: string, application: string, container: string): string {
  const workload = argoCdBuild(folder, application).find((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
  return workload.spec.template.spec.containers.find((c: Json) => c.name === container).image;
}
