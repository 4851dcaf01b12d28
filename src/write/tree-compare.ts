import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { RenderedTree } from '../output/tree.js';
import { decideWriteBacks, IMAGE_UPDATER_FILE_PREFIX } from '../output/write-back.js';
import { codeUnitOrder } from '../util/order.js';

/** How an output folder differs from a rendered tree: what writing the tree there would add, remove and change. */
export interface TreeDifferences {
  /** Files of the tree the folder lacks (every file, when the folder does not exist). */
  readonly added: readonly string[];
  /**
   * What the folder holds that a write would not leave there: files (and
   * empty folders, written with a trailing "/") outside the tree, including
   * Image Updater files whose folder is no longer rendered or whose service
   * is pinned (decideWriteBacks).
   */
  readonly removed: readonly string[];
  /** Files whose bytes, type (a symlink, a folder) or executable bit differ from the tree's. */
  readonly changed: readonly string[];
}

export function treeIsCurrent(d: TreeDifferences): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}

/**
 * Compares `outDir` with `tree` the way writing the tree would change it
 * (src/write/tree-writer.ts): the Image Updater files (`.argocd-source*`)
 * a write keeps (decideWriteBacks) are no difference, and neither are files
 * not in `owned` (the folder's ownership marker), which a write keeps too.
 * Reads only; paths are relative to `outDir`, with "/", sorted.
 */
export function compareTree(outDir: string, tree: RenderedTree, owned?: ReadonlySet<string>): TreeDifferences {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  const isFolder = existsSync(outDir) && lstatSync(outDir).isDirectory();
  const folders = new Set<string>();
  for (const path of tree.paths())
    for (let dir = dirname(path); dir !== '.' && !folders.has(dir); dir = dirname(dir)) folders.add(dir);
  const seen = new Set<string>();
  const writeBacks: string[] = [];
  if (isFolder) {
    for (const entry of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
      const full = join(entry.parentPath, entry.name);
      const path = relative(outDir, full).split(sep).join('/');
      if (entry.isDirectory()) {
        // An empty folder of someone else's stays too, in a folder with a marker.
        if (owned === undefined && !folders.has(path) && !tree.has(path) && readdirSync(full).length === 0)
          removed.push(`${path}/`);
        continue;
      }
      const content = tree.get(path);
      if (content !== undefined) {
        seen.add(path);
        if (!sameFile(full, content, tree.isExecutable(path))) changed.push(path);
      } else if (entry.name.startsWith(IMAGE_UPDATER_FILE_PREFIX)) writeBacks.push(path);
      // A file the marker does not record is not the generator's: a write keeps it (write/claim.ts).
      else if (owned === undefined || owned.has(path)) removed.push(path);
    }
  }
  const { orphaned, overriding } = decideWriteBacks(writeBacks, tree);
  removed.push(...orphaned, ...overriding);
  for (const path of tree.paths()) {
    if (seen.has(path)) continue;
    // A folder (or a file under a file) where the tree has a file: the write replaces it.
    if (isFolder && existsSync(join(outDir, path))) changed.push(path);
    else added.push(path);
  }
  return {
    added: added.sort(codeUnitOrder),
    removed: removed.sort(codeUnitOrder),
    changed: changed.sort(codeUnitOrder),
  };
}

function sameFile(full: string, content: string, executable: boolean): boolean {
  try {
    const stat = lstatSync(full);
    return (
      stat.isFile() &&
      ((stat.mode & 0o100) !== 0) === executable &&
      stat.size === Buffer.byteLength(content) &&
      readFileSync(full).equals(Buffer.from(content))
    );
  } catch {
    return false;
  }
}
