import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  lstatSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { RenderedTree } from '../output/tree.js';
import { decideWriteBacks, IMAGE_UPDATER_FILE_PREFIX } from '../output/write-back.js';

export { IMAGE_UPDATER_FILE_PREFIX };

export interface WriteOptions {
  /**
   * Runs on the complete new tree before it replaces the old one; throwing
   * aborts the write and leaves the old tree as it was. Used for
   * `kubectl kustomize`.
   */
  readonly beforeSwap?: (stagingDir: string) => void;
  /** Top-level entries of the old tree that are carried over as they are (written by other commands). @default [] */
  readonly keepTopLevel?: readonly string[];
}

/** WriteOptions whose check before the swap may be asynchronous (kubectl runs in parallel). */
export interface AsyncWriteOptions extends Omit<WriteOptions, 'beforeSwap'> {
  /**
   * Runs on the complete new tree before it replaces the old one; throwing
   * aborts the write. When `outDir` already holds the tree (see
   * `leaveUnchanged`), runs on `outDir` itself and must not write to it.
   * `scratchDir` is a path beside `outDir` the check may create for its own
   * files; it is removed afterwards (and by the next run, after a kill).
   */
  readonly beforeSwap?: (treeDir: string, scratchDir: string) => void | Promise<void>;
  /**
   * Leave `outDir` as it is when it already holds exactly the new tree
   * (sameTree): nothing is written, no file's time changes. The files most
   * likely to differ (those rendered now rather than remembered) are
   * compared first, so a changed tree costs a few reads.
   * @default undefined: always write
   */
  readonly leaveUnchanged?: { readonly compareFirst?: readonly string[] };
}

export interface WriteResult {
  readonly files: number;
  /** `.argocd-source*` files carried over from the previous tree (or kept in place, when it was unchanged). */
  readonly preserved: readonly string[];
  /**
   * `.argocd-source*` files of the previous tree not carried over because
   * their service's tag is pinned there: they would override it (decideWriteBacks).
   */
  readonly overriding: readonly string[];
  /** True when `outDir` already held the tree and was left untouched. */
  readonly unchanged: boolean;
}

/**
 * Replaces `outDir` with `tree` so that a failure or a kill at any moment
 * leaves either the old tree or the new one, never a mix: the new tree is
 * written beside it, validated, then swapped in with two renames; a run that
 * finds the old tree parked (a kill between the renames) puts it back first.
 */
export function writeTreeAtomically(outDir: string, tree: RenderedTree, options: WriteOptions = {}): WriteResult {
  const staging = stagingDir(outDir);
  try {
    const { preserved, overriding } = stage(outDir, staging, tree, options.keepTopLevel ?? []);
    options.beforeSwap?.(staging);
    swapIn(outDir, staging);
    return { files: tree.size, preserved, overriding, unchanged: false };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** writeTreeAtomically with an asynchronous check before the swap, and the option to leave an unchanged tree alone; the same guarantees. */
export async function writeTreeAtomicallyAsync(
  outDir: string,
  tree: RenderedTree,
  options: AsyncWriteOptions = {},
): Promise<WriteResult> {
  const keepTopLevel = options.keepTopLevel ?? [];
  const staging = stagingDir(outDir);
  // Named like a staging folder, so that the next run removes it after a kill.
  const scratch = `${staging}-scratch`;
  try {
    const kept = options.leaveUnchanged && sameTree(outDir, tree, keepTopLevel, options.leaveUnchanged.compareFirst);
    if (kept) {
      await options.beforeSwap?.(outDir, scratch);
      return { files: tree.size, preserved: kept.imageUpdaterFiles, overriding: [], unchanged: true };
    }
    const { preserved, overriding } = stage(outDir, staging, tree, keepTopLevel);
    await options.beforeSwap?.(staging, scratch);
    swapIn(outDir, staging);
    return { files: tree.size, preserved, overriding, unchanged: false };
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Recovers from an interrupted run and names this run's staging folder beside `outDir`. */
function stagingDir(outDir: string): string {
  recoverInterruptedSwap(outDir);
  const parent = dirname(outDir);
  mkdirSync(parent, { recursive: true });
  return join(parent, `${stagingPrefix(outDir)}${process.pid}-${Date.now()}`);
}

/** Writes the new tree into `staging` and carries over what the old tree keeps; returns what became of its Image Updater files. */
function stage(
  outDir: string,
  staging: string,
  tree: RenderedTree,
  keepTopLevel: readonly string[],
): { preserved: string[]; overriding: string[] } {
  // Each folder is created once: a recursive mkdir per file costs more than the write on large trees.
  const made = new Set<string>();
  for (const [path, content] of tree.entries()) {
    const target = join(staging, path);
    const dir = dirname(target);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(target, content);
    if (tree.isExecutable(path)) chmodSync(target, 0o755);
  }
  mkdirSync(staging, { recursive: true });
  return existsSync(outDir) ? carryOver(outDir, staging, tree, keepTopLevel) : { preserved: [], overriding: [] };
}

/**
 * Whether `outDir` holds exactly what writing `tree` would leave there: every
 * file of the tree with the same bytes and the same executable bit, and
 * nothing else but what a write carries over (Image Updater files that
 * decideWriteBacks keeps, and the `keepTopLevel` entries). Returns the Image
 * Updater files when it does, undefined when it does not.
 */
export function sameTree(
  outDir: string,
  tree: RenderedTree,
  keepTopLevel: readonly string[],
  compareFirst: readonly string[] = [],
): { imageUpdaterFiles: string[] } | undefined {
  const sameFile = (path: string): boolean => {
    const content = tree.get(path);
    if (content === undefined) return false;
    try {
      const full = join(outDir, path);
      const stat = lstatSync(full);
      return (
        stat.isFile() &&
        ((stat.mode & 0o100) !== 0) === tree.isExecutable(path) &&
        stat.size === Buffer.byteLength(content) &&
        readFileSync(full).equals(Buffer.from(content))
      );
    } catch {
      return false;
    }
  };
  if (!existsSync(outDir) || !compareFirst.every(sameFile)) return undefined;
  const folders = new Set<string>();
  for (const path of tree.paths()) {
    for (let dir = dirname(path); dir !== '.' && !folders.has(dir); dir = dirname(dir)) folders.add(dir);
  }
  const checked = new Set(compareFirst);
  const imageUpdaterFiles: string[] = [];
  let files = 0;
  for (const entry of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
    const path = relative(outDir, join(entry.parentPath, entry.name));
    if (keepTopLevel.includes(path.split(sep)[0]!)) continue;
    if (entry.isDirectory()) {
      if (!folders.has(path)) return undefined;
    } else if (tree.get(path) !== undefined) {
      if (!checked.has(path) && !sameFile(path)) return undefined;
      files++;
    } else if (entry.name.startsWith(IMAGE_UPDATER_FILE_PREFIX) && folders.has(dirname(path))) {
      imageUpdaterFiles.push(path.split(sep).join('/'));
    } else return undefined;
  }
  if (files !== tree.size) return undefined;
  // A write-back file a write would drop (its service is pinned) means the tree is not the same.
  const writeBacks = decideWriteBacks(imageUpdaterFiles, tree);
  return writeBacks.keep.length === imageUpdaterFiles.length ? { imageUpdaterFiles: [...writeBacks.keep] } : undefined;
}

function parkedPath(outDir: string): string {
  return join(dirname(outDir), `.gitops-synth-${basename(outDir)}-previous`);
}

/** Staging folders are `<prefix><pid>-<time>` beside the output. */
function stagingPrefix(outDir: string): string {
  return `.gitops-synth-${basename(outDir)}-staging-`;
}

/**
 * Puts back a tree parked by a run that was killed between its two renames,
 * and removes staging folders of killed runs (they sit in the project folder,
 * where `git add` would otherwise pick them up).
 */
export function recoverInterruptedSwap(outDir: string): void {
  const parked = parkedPath(outDir);
  if (existsSync(parked)) {
    if (existsSync(outDir)) rmSync(parked, { recursive: true, force: true });
    else renameSync(parked, outDir);
  }
  const parent = dirname(outDir);
  if (!existsSync(parent)) return;
  const prefix = stagingPrefix(outDir);
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    // A live process (another synth of the same tree) still owns its staging folder.
    if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function swapIn(outDir: string, staging: string): void {
  const parked = parkedPath(outDir);
  if (existsSync(outDir)) {
    renameSync(outDir, parked);
    renameSync(staging, outDir);
    rmSync(parked, { recursive: true, force: true });
  } else {
    renameSync(staging, outDir);
  }
}

/**
 * Copies kept top-level entries and the Image Updater files decideWriteBacks
 * keeps from the old tree into the new one; returns those carried over and
 * those left behind because their service is pinned.
 */
function carryOver(
  oldDir: string,
  newDir: string,
  tree: RenderedTree,
  keepTopLevel: readonly string[],
): { preserved: string[]; overriding: string[] } {
  for (const name of keepTopLevel) {
    const src = join(oldDir, name);
    if (existsSync(src) && !existsSync(join(newDir, name))) cpSync(src, join(newDir, name), { recursive: true });
  }
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.startsWith(IMAGE_UPDATER_FILE_PREFIX)) {
        const rel = relative(oldDir, full).split(sep).join('/');
        // A kept top-level entry came over whole; a rendered file of the same name wins.
        if (!existsSync(join(newDir, rel))) found.push(rel);
      }
    }
  };
  walk(oldDir);
  // Left in a removed service's folder, a file would silently pin the old tag if the service ever came
  // back; beside a pinned service it would override the pin. Publish decides the same way.
  const decision = decideWriteBacks(found, tree);
  for (const rel of decision.keep) cpSync(join(oldDir, rel), join(newDir, rel));
  return { preserved: [...decision.keep], overriding: [...decision.overriding] };
}
