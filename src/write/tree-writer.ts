import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { OWNERSHIP_FILE, ownershipRecord } from '../output/ownership.js';
import { decideWriteBacks, isWriteBackFile } from '../output/write-back.js';
import type { RenderedTree } from '../output/tree.js';
import { codeUnitOrder } from '../util/order.js';
import { claimOutput, outputFolder, type OutputClaim } from './claim.js';
import { OwnershipError } from './ownership-error.js';

/**
 * Writes a rendered tree over the one a folder holds, changing only what
 * differs, so that a failure or a kill at any moment leaves the old tree, the
 * new one, or a journal from which the next run completes the new one.
 *
 * A write works in a folder of its own beside the output,
 * `.gitops-synth-<name>-write`, which is also the lock: one write of a
 * folder at a time. It holds `owner` (proof that gitops-synth made it, with
 * the process id), `tree/` (every folder of the new tree in which a file
 * changed, whole, for checks such as kubectl kustomize) and, once the new
 * tree passed those checks, `journal.json`: the files to move from `tree/`
 * into the output and the files to delete. Writing the journal (a rename) is
 * the commit point. Before it, the output is untouched and the work folder is
 * discarded by the next run; after it, the output is brought to the new tree
 * by moving each file in with a rename (a reader sees a whole old file or a
 * whole new one), and a run that finds a journal left by a killed one moves
 * the files that are still in `tree/` and deletes what is still there first.
 * An output that did not exist or was empty is written whole in `tree/` and
 * renamed into place at once.
 *
 * Only files the ownership marker (claim.ts) records are deleted or
 * overwritten; Image Updater's `.argocd-source*` files are kept or removed
 * as decideWriteBacks (output/write-back.ts) says; other files are kept and
 * reported.
 */

export interface TreeWriteOptions {
  /** The project whose output this is (claim.ts refuses it, the folders above it and its spec folders). */
  readonly projectDir: string;
  /**
   * Only files below this folder of the tree are written or deleted; the
   * marker keeps recording the rest. The tree's paths all lie below it.
   * @default the whole tree; the tree then holds its own marker
   */
  readonly scope?: string;
  /**
   * Runs once the write lock is held, with the regular files the output
   * holds (relative paths; none when it does not exist), before anything is
   * planned: what it compares is what the write replaces. Throwing aborts
   * the write and leaves the output as it was.
   */
  readonly guard?: (files: readonly string[]) => void;
  /**
   * Runs once the folders with a change are staged, before anything in the
   * output changes; throwing aborts the write and leaves the output as it was.
   */
  readonly check?: (staged: StagedChanges) => void | Promise<void>;
  /**
   * Files the caller read from the output just before and found to hold the
   * tree's bytes: not read again. @default none
   */
  readonly unchanged?: ReadonlySet<string>;
  /** Told where time goes: 'compare' (planning) and 'write' (staging), then 'swap' (the output changed). */
  readonly onPhase?: (phase: 'compare' | 'stage' | 'apply') => void;
}

/** What a check sees: the changed folders, whole, in a folder laid out like the output. */
export interface StagedChanges {
  /** Root of the staged folders (paths inside it are paths of the tree). */
  readonly root: string;
  /** Folders of the tree (`a/b`, `.` for the root) with a file added, changed or removed, staged whole. */
  readonly folders: ReadonlySet<string>;
  /** Files of the tree whose bytes are not what the output holds (added or changed). */
  readonly files: ReadonlySet<string>;
  /** The output's own folder was absent or empty: everything is new. */
  readonly whole: boolean;
}

export interface TreeWriteResult {
  /** The folder written (symbolic links resolved). */
  readonly dir: string;
  /** Files of the tree (in scope). */
  readonly files: number;
  /** Files written (added or changed). */
  readonly written: number;
  /** Files deleted (no longer rendered). */
  readonly removed: number;
  /** True when the output already held the tree: nothing was written, no file's time changed. */
  readonly unchanged: boolean;
  /** Image Updater files kept beside the folders still rendered whose tag Image Updater moves. */
  readonly preserved: readonly string[];
  /** Image Updater files removed because their service's tag is pinned: they would override it. */
  readonly overriding: readonly string[];
  /** Files gitops-synth did not write, kept as they are. */
  readonly foreign: readonly string[];
  /** Whether the output had no marker before and was recognised as gitops-synth's by its files. */
  readonly recognised: boolean;
}

interface Journal {
  readonly format: typeof JOURNAL_FORMAT;
  /** The whole staged tree replaces an absent or empty output. */
  readonly whole: boolean;
  /** Files to move from tree/ into the output. */
  readonly write: readonly string[];
  /** Files to delete from the output. */
  readonly remove: readonly string[];
  /** Folders to delete when they are left empty, deepest first. */
  readonly prune: readonly string[];
}

const JOURNAL_FORMAT = 'gitops-synth write journal 1';
const OWNER = 'owner';
const JOURNAL = 'journal.json';
const STAGED = 'tree';
const OWNER_TEXT = 'gitops-synth is writing';

/**
 * `GITOPS_SYNTH_FAULT=<point>` kills the process with SIGKILL at that point
 * of a write (`checked`, `committed`, `write:<n>`, `removed`, `applied`), so
 * tests can stop a write anywhere without racing a timer. Never set it
 * otherwise.
 */
export const FAULT_VARIABLE = 'GITOPS_SYNTH_FAULT';

/** Writes `tree` into `outDir` (see above). Throws OwnershipError when the folder may not be written. */
export async function writeTree(
  outDir: string,
  tree: RenderedTree,
  options: TreeWriteOptions,
): Promise<TreeWriteResult> {
  const scope = options.scope ?? '';
  if (scope === '' && !tree.has(OWNERSHIP_FILE))
    throw new Error(`internal error: a tree written whole must hold its ownership marker (${OWNERSHIP_FILE})`);
  const inScope = (path: string): boolean => scope === '' || path.startsWith(`${scope}/`);
  const lock = await acquireWriteLock(outDir, options.projectDir);
  try {
    const claim = claimOutput(outDir, { projectDir: options.projectDir, writes: tree.paths() });
    options.guard?.(claim.scan?.files ?? []);
    const plan = planWrite(claim, tree, scope, inScope, options.unchanged);
    options.onPhase?.('compare');
    const whole = claim.state === 'absent' || claim.state === 'empty';
    const nothingToDo = plan.write.length === 0 && plan.remove.length === 0;
    const staged = join(lock, STAGED);
    const folders = new Set<string>();
    if (!nothingToDo) {
      for (const path of [...plan.write, ...plan.remove]) folders.add(dirnameOf(path));
      stage(tree, staged, whole ? undefined : folders, inScope);
      if (plan.marker !== undefined) writeFileSync(join(staged, OWNERSHIP_FILE), plan.marker);
    }
    options.onPhase?.('stage');
    await options.check?.({ root: staged, folders, files: new Set(plan.write), whole });
    fault('checked');
    if (!nothingToDo) {
      const journal: Journal = {
        format: JOURNAL_FORMAT,
        whole,
        write: plan.write,
        remove: plan.remove,
        prune: plan.prune,
      };
      writeFileSync(join(lock, `${JOURNAL}.tmp`), JSON.stringify(journal));
      renameSync(join(lock, `${JOURNAL}.tmp`), join(lock, JOURNAL));
      fault('committed');
      applyJournal(lock, claim.dir, journal);
    }
    options.onPhase?.('apply');
    return {
      dir: claim.dir,
      files: [...tree.paths()].filter(inScope).length,
      written: plan.write.length,
      removed: plan.remove.length,
      unchanged: nothingToDo,
      preserved: plan.preserved,
      overriding: plan.overriding,
      foreign: claim.foreign,
      recognised: claim.state === 'recognised',
    };
  } finally {
    releaseWriteLock(lock);
  }
}

interface WritePlan {
  /** Files to write: added or changed (the marker included when it changes). */
  readonly write: string[];
  /** Owned files, and Image Updater files of folders no longer rendered, to delete. */
  readonly remove: string[];
  /** Folders that may be left empty by the removals, deepest first. */
  readonly prune: string[];
  /** Image Updater files kept. */
  readonly preserved: string[];
  /** Image Updater files removed because their service's tag is pinned (decideWriteBacks). */
  readonly overriding: string[];
  /** The marker's new text when the writer writes it (a scoped write); undefined when the tree holds it. */
  readonly marker?: string;
}

/** What differs between the output the claim found and `tree`, within the scope. */
function planWrite(
  claim: OutputClaim,
  tree: RenderedTree,
  scope: string,
  inScope: (path: string) => boolean,
  known: ReadonlySet<string> = new Set(),
): WritePlan {
  const onDisk = new Set(claim.scan?.files ?? []);
  const paths = tree.paths().filter(inScope);
  const treeFolders = new Set<string>();
  for (const path of paths) for (let d = dirnameOf(path); !treeFolders.has(d); d = dirnameOf(d)) treeFolders.add(d);
  const write = paths.filter(
    (path) => !onDisk.has(path) || (!known.has(path) && !sameFile(join(claim.dir, path), tree, path)),
  );
  const remove: string[] = [];
  const writeBacks: string[] = [];
  for (const path of onDisk) {
    if (!inScope(path) || path === OWNERSHIP_FILE || tree.has(path)) continue;
    if (isWriteBackFile(path)) writeBacks.push(path);
    else if (claim.owned.has(path)) remove.push(path);
  }
  // Left in a removed service's folder, a write-back file would silently pin the old tag if the service came
  // back; beside a pinned service it would override the pin. Publish decides the same way.
  const decision = decideWriteBacks(writeBacks, tree);
  remove.push(...decision.orphaned, ...decision.overriding);
  const prune = new Set<string>();
  for (const path of remove)
    for (let d = dirnameOf(path); d !== '.' && !treeFolders.has(d); d = dirnameOf(d)) prune.add(d);

  let marker: string | undefined;
  if (scope !== '') {
    // A scoped write keeps the record of the rest of the tree and records its own files.
    const kept = [...claim.owned].filter((p) => !inScope(p) && onDisk.has(p));
    const record = claim.record;
    const proofs =
      record?.renderer === undefined
        ? undefined
        : {
            renderer: record.renderer,
            folders: new Map([...record.folders].filter(([folder]) => !inScope(`${folder}/`))),
          };
    marker = ownershipRecord([...kept, ...paths], proofs);
    const current = onDisk.has(OWNERSHIP_FILE) ? readFileSync(join(claim.dir, OWNERSHIP_FILE), 'utf8') : undefined;
    if (current !== marker) write.unshift(OWNERSHIP_FILE);
    else marker = undefined;
  } else {
    // The marker first: a write stopped half-way by anything but a kill still leaves the new files recorded.
    const i = write.indexOf(OWNERSHIP_FILE);
    if (i > 0) write.unshift(...write.splice(i, 1));
  }
  return {
    write,
    remove: remove.sort(codeUnitOrder),
    prune: [...prune].sort((a, b) => b.split('/').length - a.split('/').length || codeUnitOrder(a, b)),
    preserved: [...decision.keep],
    overriding: [...decision.overriding],
    marker,
  };
}

/** Whether the file at `full` holds exactly `tree`'s bytes at `path` with the same executable bit. */
function sameFile(full: string, tree: RenderedTree, path: string): boolean {
  const content = tree.get(path)!;
  try {
    const stat = lstatSync(full);
    if (!stat.isFile() || stat.size !== Buffer.byteLength(content)) return false;
    if (((stat.mode & 0o100) !== 0) !== tree.isExecutable(path)) return false;
    return readFileSync(full, 'utf8') === content;
  } catch {
    return false;
  }
}

/** Writes the files of `tree` in `folders` (every folder when undefined) below `root`. */
function stage(
  tree: RenderedTree,
  root: string,
  folders: ReadonlySet<string> | undefined,
  inScope: (path: string) => boolean,
): void {
  // Each folder is created once: a recursive mkdir per file costs more than the write on large trees.
  const made = new Set<string>();
  mkdirSync(root, { recursive: true });
  for (const path of tree.paths()) {
    const folder = dirnameOf(path);
    if (!inScope(path) || (folders && !folders.has(folder))) continue;
    // Read here, not before: a proven file outside the staged folders is never read (RenderedTree.addDeferred).
    const content = tree.get(path)!;
    if (!made.has(folder)) {
      mkdirSync(join(root, folder), { recursive: true });
      made.add(folder);
    }
    writeFileSync(join(root, path), content, { mode: tree.isExecutable(path) ? 0o755 : 0o644 });
    // The mode given to writeFileSync is narrowed by the umask.
    if (tree.isExecutable(path)) chmodSync(join(root, path), 0o755);
  }
}

/**
 * Brings the output `dir` (the folder the lock `lock` is beside) to the
 * journal's tree; safe to run again on a partly applied journal (what was
 * moved or deleted already is skipped).
 */
function applyJournal(lock: string, dir: string, journal: Journal): void {
  const staged = join(lock, STAGED);
  if (journal.whole) {
    if (existsSync(staged)) {
      // An empty folder (or one of empty folders) gives way; one that got a file meanwhile makes this fail.
      if (existsSync(dir)) removeEmptyFolders(dir);
      mkdirSync(dirname(dir), { recursive: true });
      renameSync(staged, dir);
    }
  } else {
    const made = new Set<string>();
    journal.write.forEach((path, i) => {
      const from = join(staged, path);
      if (!existsSync(from)) return;
      const folder = dirnameOf(path);
      if (!made.has(folder)) {
        makeFolder(dir, folder);
        made.add(folder);
      }
      const target = join(dir, path);
      // A folder of ours where a file goes now (the claim made sure it holds nothing of anyone else's).
      if (isFolder(target)) rmSync(target, { recursive: true, force: true });
      renameSync(from, target);
      fault(`write:${i + 1}`);
    });
  }
  for (const path of journal.remove) rmSync(join(dir, path), { force: true });
  fault('removed');
  for (const folder of journal.prune) {
    try {
      rmdirSync(join(dir, folder));
    } catch {
      // Not empty (a file of someone else's) or gone already.
    }
  }
  fault('applied');
  rmSync(join(lock, JOURNAL), { force: true });
}

/**
 * Removes `dir` and the folders below it, deepest first, with rmdir: it fails on anything that is not an empty folder.
 */
function removeEmptyFolders(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory() && !entry.isSymbolicLink()) removeEmptyFolders(join(dir, entry.name));
  rmdirSync(dir);
}

/** Creates `folder` below `root`, deleting a file of ours that stands where a folder goes. */
function makeFolder(root: string, folder: string): void {
  try {
    mkdirSync(join(root, folder), { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR')
      throw err;
    const parts = folder.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const path = join(root, ...parts.slice(0, i));
      if (existsSync(path) && !isFolder(path)) rmSync(path, { force: true });
    }
    mkdirSync(join(root, folder), { recursive: true });
  }
}

function isFolder(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `a/b` for `a/b/c`, `.` for a top-level name. */
function dirnameOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : path.slice(0, slash);
}

/** The work folder (and lock) of writes of `outDir`, beside it. */
export function writeLockPath(outDir: string): string {
  return join(dirname(outDir), `.gitops-synth-${basename(outDir)}-write`);
}

/**
 * Takes the lock of writes of `outDir` (its work folder), waiting while a
 * live process holds it, then completes the write of any killed run (see
 * completeInterruptedWrites). A folder by the lock's name without
 * gitops-synth's proof inside is not touched: OwnershipError.
 */
async function acquireWriteLock(outDir: string, projectDir: string): Promise<string> {
  const dir = outputFolder(outDir, { projectDir });
  const lock = writeLockPath(dir);
  mkdirSync(dirname(lock), { recursive: true });
  let told = false;
  for (;;) {
    // Made whole under a unique name, then renamed: the lock never exists without its proof.
    const candidate = mkdtempSync(`${lock}-`);
    writeFileSync(join(candidate, OWNER), `${OWNER_TEXT} ${dir}\npid ${process.pid}\n`);
    try {
      renameSync(candidate, lock);
      completeInterruptedWrites(lock, dir);
      return lock;
    } catch (err) {
      rmSync(candidate, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
    const owner = ownerOf(lock);
    // Released meanwhile by the run that held it: try again.
    if (owner === undefined && !existsSync(lock)) continue;
    if (owner === undefined)
      throw new OwnershipError(
        `refusing to write ${dir}: ${lock} is in the way, and gitops-synth did not make it (expected its ` +
          `work folder, holding an "${OWNER}" file); move it away. Nothing was changed.`,
        dir,
      );
    if (owner !== process.pid && isRunning(owner)) {
      if (!told)
        process.stderr.write(`gitops-synth: waiting for gitops-synth (process ${owner}), which is writing ${dir}\n`);
      told = true;
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    // Left by a killed run: moved aside (one rename, so only one run does it) and completed once the lock is ours.
    try {
      renameSync(lock, `${lock}-stale-${process.pid}`);
    } catch {
      // Another run moved it first.
    }
  }
}

/** The process id in a work folder's owner file; undefined when the folder is not gitops-synth's. */
function ownerOf(folder: string): number | undefined {
  try {
    const text = readFileSync(join(folder, OWNER), 'utf8');
    const pid = Number(/^pid (\d+)$/m.exec(text)?.[1]);
    return text.startsWith(OWNER_TEXT) && Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Run while holding the lock `lock` of writes of `dir`: completes the writes
 * killed runs committed (the journal in their work folder, moved aside
 * beside the lock) and removes the work folders of runs that no longer live
 * (each holds proof that gitops-synth made it; any other folder is left
 * alone). Only the holder of the lock does this, so a journal is never
 * applied twice at once.
 */
export function completeInterruptedWrites(lock: string, dir: string): void {
  const parent = dirname(lock);
  for (const name of readdirSync(parent).sort()) {
    if (!name.startsWith(`${basename(lock)}-`)) continue;
    const folder = join(parent, name);
    const owner = ownerOf(folder);
    if (owner === undefined || (owner !== process.pid && isRunning(owner))) continue;
    const journalFile = join(folder, JOURNAL);
    if (existsSync(journalFile)) {
      const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as Journal;
      if (journal.format !== JOURNAL_FORMAT) throw new Error(`internal error: unknown write journal in ${folder}`);
      applyJournal(folder, dir, journal);
    }
    rmSync(folder, { recursive: true, force: true });
  }
}

function releaseWriteLock(lock: string): void {
  // The journal is gone once applied; a folder still holding one (an error while applying) stays for the next run.
  if (existsSync(join(lock, JOURNAL))) return;
  // Renamed away whole first: a run waiting for the lock never sees it half removed, without its owner file.
  const released = `${lock}-released-${process.pid}`;
  renameSync(lock, released);
  rmSync(released, { recursive: true, force: true });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills this process at `point` when FAULT_VARIABLE names it (tests only). */
function fault(point: string): void {
  if (process.env[FAULT_VARIABLE] === point) process.kill(process.pid, 'SIGKILL');
}
