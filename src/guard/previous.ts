import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { RenderedTree } from '../output/tree.js';

/**
 * The render the cluster was given last, to compare a new render with:
 * `dist/` as synth wrote it, or the devops branch publish pushed to. Only
 * the files that differ from the new render are held (unchanged files read
 * as the new render has them), so a large tree costs what changed.
 */
export interface PreviousRender {
  /** Where it was read from, for messages: `dist/`, `<url> main:clusters/shop at 1a2b3c4d5e6f`. */
  readonly origin: string;
  /** Every file it holds, relative to its root; Image Updater's write-back files (not the generator's) left out. */
  readonly paths: ReadonlySet<string>;
  /** The content of one of `paths`; undefined for a file it does not hold (or too large to be a rendered one). */
  read(path: string): string | undefined;
  /**
   * Whether it holds `path` with exactly the new render's bytes, known
   * without reading either (a proven folder's files are read only when asked for).
   */
  unchanged(path: string): boolean;
}

/** Image Updater's write-back files (`.argocd-source-<app>.yaml`): never the generator's. */
const WRITE_BACK_PREFIX = '.argocd-source';
/** A rendered file is at most a ConfigMap of 1 MiB and its header; a larger file is not one gitops-synth wrote. */
export const MAX_RENDERED_BYTES = 4 * 1024 * 1024;
/** Folders no render holds, skipped if an output folder happens to contain them. */
const NEVER_RENDERED = new Set(['.git', 'node_modules']);

/** Nothing rendered before: the first synth into a new folder, or a branch that does not exist yet. */
export function noPreviousRender(origin: string): PreviousRender {
  return { origin, paths: new Set(), read: () => undefined, unchanged: () => false };
}

function previousRender(
  origin: string,
  paths: Set<string>,
  differing: Map<string, string | undefined>,
  rendered: RenderedTree,
): PreviousRender {
  return {
    origin,
    paths,
    read: (path) => (differing.has(path) ? differing.get(path) : paths.has(path) ? rendered.get(path) : undefined),
    unchanged: (path) => paths.has(path) && !differing.has(path) && rendered.has(path),
  };
}

function isWriteBack(path: string): boolean {
  return posix.basename(path).startsWith(WRITE_BACK_PREFIX);
}

/**
 * The render in folder `dir` (synth's output folder), of which `files` are
 * the regular files (relative paths, as a listing of it under the write lock
 * gives them; none when it does not exist). Files below a `.git` or
 * `node_modules` folder and Image Updater's are not part of it. Files in
 * `known` are known to hold the new render's bytes (taken from the output as
 * they are): they are not read.
 */
export function readPreviousFolder(
  dir: string,
  files: Iterable<string>,
  rendered: RenderedTree,
  origin: string,
  known: ReadonlySet<string> = new Set(),
): PreviousRender {
  const paths = new Set<string>();
  const differing = new Map<string, string | undefined>();
  for (const path of files) {
    if (isWriteBack(path) || neverRendered(path)) continue;
    paths.add(path);
    if (known.has(path)) continue;
    const text = readRendered(join(dir, path));
    if (text !== rendered.get(path)) differing.set(path, text);
  }
  return previousRender(origin, paths, differing, rendered);
}

/** Whether `path` lies below a folder no render holds (NEVER_RENDERED). */
function neverRendered(path: string): boolean {
  for (const name of NEVER_RENDERED) if (path.startsWith(`${name}/`) || path.includes(`/${name}/`)) return true;
  return false;
}

/**
 * A file of the previous render: its text, or undefined when it cannot be
 * one gitops-synth wrote (larger than any rendered file) or cannot be read.
 */
function readRendered(file: string): string | undefined {
  try {
    if (lstatSync(file).size > MAX_RENDERED_BYTES) return undefined;
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** git's name of a blob with this content: unchanged files are told apart without reading them. */
function blobId(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/**
 * The render committed at `commit` below `root` (the devops repository's
 * rendered folder) of the git repository in `gitDir`. Files whose blob is
 * the new render's are not read; the others are read in one `git cat-file`.
 */
export async function readPreviousCommit(
  gitDir: string,
  commit: string,
  root: string,
  rendered: RenderedTree,
  origin: string,
): Promise<PreviousRender> {
  const listing = await git(gitDir, ['ls-tree', '-r', '-z', '--full-tree', commit, '--', root]);
  const prefix = `${root}/`;
  const paths = new Set<string>();
  const toRead = new Map<string, string>();
  for (const entry of listing.toString('utf8').split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    const [, type, id] = entry.slice(0, tab).split(' ');
    const full = entry.slice(tab + 1);
    if (type !== 'blob' || !full.startsWith(prefix)) continue;
    const path = full.slice(prefix.length);
    if (isWriteBack(path)) continue;
    paths.add(path);
    const now = rendered.get(path);
    if (now === undefined || blobId(now) !== id) toRead.set(path, id!);
  }
  const differing = new Map<string, string | undefined>();
  if (toRead.size) {
    const ids = [...new Set(toRead.values())];
    const blobs = parseBatch(await git(gitDir, ['cat-file', '--batch'], `${ids.join('\n')}\n`));
    for (const [path, id] of toRead) {
      const blob = blobs.get(id);
      differing.set(path, blob && blob.length <= MAX_RENDERED_BYTES ? blob.toString('utf8') : undefined);
    }
  }
  return previousRender(origin, paths, differing, rendered);
}

/** `git cat-file --batch` output: `<id> <type> <size>\n<bytes>\n` per object. */
function parseBatch(out: Buffer): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(10, at);
    if (eol < 0) break;
    const [id, type, size] = out.subarray(at, eol).toString('utf8').split(' ');
    if (type === 'missing' || size === undefined) {
      at = eol + 1;
      continue;
    }
    const length = Number(size);
    blobs.set(id!, out.subarray(eol + 1, eol + 1 + length));
    at = eol + 1 + length + 1;
  }
  return blobs;
}

function git(dir: string, args: string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', dir, ...args], {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`git ${args[0]} failed: ${Buffer.concat(err).toString('utf8').trim()}`));
    });
    if (child.stdin) {
      // A git that fails early closes its input; its exit status says why, not the broken pipe.
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
  });
}
