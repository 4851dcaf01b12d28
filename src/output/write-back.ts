import { posix } from 'node:path';
import { parse } from 'yaml';
import type { RenderedTree } from './tree.js';

/**
 * Argo CD Image Updater's write-back files (`.argocd-source-<app>.yaml`,
 * and any other `.argocd-source*` file) beside a service's kustomization.
 * Argo CD merges them over the Application's source before it renders, so
 * their `kustomize.images` win over the tag in `kustomization.yaml`. The
 * generator never writes them; this decides which of them a render keeps,
 * for dist/ (write/) and the devops repository (publish/) alike.
 */

/** Files Argo CD Image Updater writes back next to a kustomization. */
export const IMAGE_UPDATER_FILE_PREFIX = '.argocd-source';

/** The file Argo CD's git files generator reads; its folder is a service folder. */
export const SERVICE_MARKER = 'app.json';

export function isWriteBackFile(path: string): boolean {
  return posix.basename(path).startsWith(IMAGE_UPDATER_FILE_PREFIX);
}

export interface WriteBackDecision {
  /** Kept as they are: in a rendered folder whose tag Image Updater moves (or that is no service folder). */
  readonly keep: readonly string[];
  /** Dropped with the folder of a service that is no longer rendered (removed or disabled). */
  readonly orphaned: readonly string[];
  /**
   * Dropped because the service is not auto-updated there (its tag is pinned):
   * kept, the file would override the spec's tag, and a rollback by pinning
   * would not roll back. Turning auto-update on again starts from the spec's tag.
   */
  readonly overriding: readonly string[];
}

/** The service folders (`<env>/<service>`) of a rendered tree whose app.json says Image Updater moves the tag. */
export function autoUpdatedFolders(tree: RenderedTree): Set<string> {
  const out = new Set<string>();
  for (const path of tree.paths())
    if (posix.basename(path) === SERVICE_MARKER && isAutoUpdated(tree, posix.dirname(path)))
      out.add(posix.dirname(path));
  return out;
}

/** Whether the app.json of service folder `dir` says Image Updater moves its tag. */
function isAutoUpdated(tree: RenderedTree, dir: string): boolean {
  let params: { image?: { autoUpdate?: unknown } } | null;
  try {
    params = JSON.parse(tree.get(`${dir}/${SERVICE_MARKER}`) ?? '');
  } catch {
    return false; // Not the generator's app.json: nothing says Image Updater moves this folder's tag.
  }
  return params?.image?.autoUpdate === true;
}

/**
 * Which write-back files (paths relative to the rendered tree's root) a
 * render keeps: those beside a rendered folder, unless it is a service folder
 * whose tag is pinned. Git history keeps what is dropped.
 */
export function decideWriteBacks(
  files: readonly string[],
  tree: RenderedTree,
  autoUpdated?: ReadonlySet<string>,
): WriteBackDecision {
  if (files.length === 0) return { keep: [], orphaned: [], overriding: [] };
  // Only the app.json beside a write-back file is read: a proven folder's files are read when asked for.
  const autoUpdatedHere = (dir: string) => (autoUpdated ? autoUpdated.has(dir) : isAutoUpdated(tree, dir));
  const keep: string[] = [];
  const orphaned: string[] = [];
  const overriding: string[] = [];
  let folders: Set<string> | undefined;
  for (const path of [...files].sort()) {
    const dir = posix.dirname(path);
    if (tree.has(`${dir}/${SERVICE_MARKER}`)) {
      (autoUpdatedHere(dir) ? keep : overriding).push(path);
      continue;
    }
    folders ??= renderedFolders(tree);
    (folders.has(dir) ? keep : orphaned).push(path);
  }
  return { keep, orphaned, overriding };
}

/** Every folder the tree writes files into, and their parents. */
function renderedFolders(tree: RenderedTree): Set<string> {
  const out = new Set<string>(tree.size ? ['.'] : []);
  for (const path of tree.paths())
    for (let dir = posix.dirname(path); dir !== '.' && !out.has(dir); dir = posix.dirname(dir)) out.add(dir);
  return out;
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

/**
 * The override files Argo CD merges over the source of Application
 * `application` from its folder, in order (the later wins): the shared
 * `.argocd-source.yaml`, then Image Updater's `.argocd-source-<app>.yaml`.
 */
export function appliedWriteBackFiles(application: string): readonly string[] {
  return ['.argocd-source.yaml', `${IMAGE_UPDATER_FILE_PREFIX}-${application}.yaml`];
}

/** The image a service folder deploys: its app.json's, with the tag of the override files Argo CD applies. */
export interface RunningImage {
  readonly repository: string;
  readonly tag: string;
  /** Whether Image Updater moves the tag (app.json). */
  readonly autoUpdate: boolean;
  /** Where the tag comes from: the rendered kustomization, or a write-back file over it. */
  readonly from: 'spec' | 'image-updater';
}

/**
 * What Argo CD deploys from service folder `folder` (`<env>/<service>`) of
 * Application `application`, reading files (paths relative to the rendered
 * tree) through `read`; undefined when the folder has no readable app.json.
 */
export function runningImage(
  folder: string,
  application: string,
  read: (path: string) => string | undefined,
): RunningImage | undefined {
  const text = read(`${folder}/${SERVICE_MARKER}`);
  if (text === undefined) return undefined;
  let image: { repository?: unknown; tag?: unknown; autoUpdate?: unknown } | undefined;
  try {
    image = (JSON.parse(text) as { image?: typeof image } | null)?.image;
  } catch {
    return undefined;
  }
  if (typeof image?.repository !== 'string' || typeof image.tag !== 'string') return undefined;
  let tag = image.tag;
  let from: RunningImage['from'] = 'spec';
  for (const file of appliedWriteBackFiles(application)) {
    const content = read(`${folder}/${file}`);
    const written = content === undefined ? undefined : writtenBackTag(content, image.repository);
    if (written !== undefined) [tag, from] = [written, 'image-updater'];
  }
  return { repository: image.repository, tag, autoUpdate: image.autoUpdate === true, from };
}
