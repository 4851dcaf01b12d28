import { posix } from 'node:path';
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
  for (const path of tree.paths()) {
    if (posix.basename(path) !== SERVICE_MARKER) continue;
    let params: { image?: { autoUpdate?: unknown } } | null;
    try {
      params = JSON.parse(tree.get(path)!);
    } catch {
      continue; // Not the generator's app.json: nothing says Image Updater moves this folder's tag.
    }
    if (params?.image?.autoUpdate === true) out.add(posix.dirname(path));
  }
  return out;
}

/**
 * Which write-back files (paths relative to the rendered tree's root) a
 * render keeps: those beside a rendered folder, unless it is a service folder
 * whose tag is pinned. Git history keeps what is dropped.
 */
export function decideWriteBacks(
  files: readonly string[],
  tree: RenderedTree,
  autoUpdated: ReadonlySet<string> = autoUpdatedFolders(tree),
): WriteBackDecision {
  const keep: string[] = [];
  const orphaned: string[] = [];
  const overriding: string[] = [];
  let folders: Set<string> | undefined;
  for (const path of [...files].sort()) {
    const dir = posix.dirname(path);
    if (tree.get(`${dir}/${SERVICE_MARKER}`) !== undefined) {
      (autoUpdated.has(dir) ? keep : overriding).push(path);
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
