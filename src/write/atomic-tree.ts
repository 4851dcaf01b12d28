import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { RenderedTree } from '../synth/tree.js';

/** Files Argo CD Image Updater writes back next to a kustomization; the generator never owns them. */
export const IMAGE_UPDATER_FILE_PREFIX = '.argocd-source';

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
  readonly beforeSwap?: (stagingDir: string) => void | Promise<void>;
}

export interface WriteResult {
  readonly files: number;
  /** `.argocd-source*` files carried over from the previous tree. */
  readonly preserved: readonly string[];
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
    const preserved = stage(outDir, staging, tree, options.keepTopLevel ?? []);
    options.beforeSwap?.(staging);
    swapIn(outDir, staging);
    return { files: tree.size, preserved };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** writeTreeAtomically with an asynchronous check before the swap; the same guarantees. */
export async function writeTreeAtomicallyAsync(outDir: string, tree: RenderedTree, options: AsyncWriteOptions = {}): Promise<WriteResult> {
  const staging = stagingDir(outDir);
  try {
    const preserved = stage(outDir, staging, tree, options.keepTopLevel ?? []);
    await options.beforeSwap?.(staging);
    swapIn(outDir, staging);
    return { files: tree.size, preserved };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Recovers from an interrupted run and names this run's staging folder beside `outDir`. */
function stagingDir(outDir: string): string {
  recoverInterruptedSwap(outDir);
  const parent = dirname(outDir);
  mkdirSync(parent, { recursive: true });
  return join(parent, `${stagingPrefix(outDir)}${process.pid}-${Date.now()}`);
}

/** Writes the new tree into `staging` and carries over what the old tree keeps; returns the carried Image Updater files. */
function stage(outDir: string, staging: string, tree: RenderedTree, keepTopLevel: readonly string[]): string[] {
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
  return existsSync(outDir) ? carryOver(outDir, staging, keepTopLevel) : [];
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

/** Copies Image Updater files (in folders still rendered) and kept top-level entries from the old tree into the new one. */
function carryOver(oldDir: string, newDir: string, keepTopLevel: readonly string[]): string[] {
  const preserved: string[] = [];
  for (const name of keepTopLevel) {
    const src = join(oldDir, name);
    if (existsSync(src) && !existsSync(join(newDir, name))) cpSync(src, join(newDir, name), { recursive: true });
  }
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.startsWith(IMAGE_UPDATER_FILE_PREFIX)) {
        const rel = relative(oldDir, full);
        const target = join(newDir, rel);
        // Only beside a folder that is still rendered: left in a removed service's folder, the file
        // would silently pin the old tag if the service ever came back (publish drops it too).
        if (existsSync(target) || !existsSync(dirname(target))) continue;
        cpSync(full, target);
        preserved.push(rel);
      }
    }
  };
  walk(oldDir);
  return preserved.sort();
}
