import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  recoverInterruptedSwap(outDir);
  const parent = dirname(outDir);
  mkdirSync(parent, { recursive: true });
  const staging = join(parent, `.gitops-synth-${basename(outDir)}-staging-${process.pid}-${Date.now()}`);
  try {
    for (const [path, content] of tree.entries()) {
      const target = join(staging, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
    mkdirSync(staging, { recursive: true });
    const preserved = existsSync(outDir) ? carryOver(outDir, staging, options.keepTopLevel ?? []) : [];
    options.beforeSwap?.(staging);
    swapIn(outDir, staging);
    return { files: tree.size, preserved };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function parkedPath(outDir: string): string {
  return join(dirname(outDir), `.gitops-synth-${basename(outDir)}-previous`);
}

/** Puts back a tree parked by a run that was killed between its two renames. */
export function recoverInterruptedSwap(outDir: string): void {
  const parked = parkedPath(outDir);
  if (!existsSync(parked)) return;
  if (existsSync(outDir)) rmSync(parked, { recursive: true, force: true });
  else renameSync(parked, outDir);
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

/** Copies Image Updater files (anywhere) and kept top-level entries from the old tree into the new one. */
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
        if (existsSync(target)) continue;
        mkdirSync(dirname(target), { recursive: true });
        cpSync(full, target);
        preserved.push(rel);
      }
    }
  };
  walk(oldDir);
  return preserved.sort();
}
