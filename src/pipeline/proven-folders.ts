import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { OWNERSHIP_FILE, type OwnershipRecord, parseOwnershipRecord } from '../output/ownership.js';
import { contentDigest } from '../util/content-digest.js';
import type { ProvenFolders, TakenFolder } from '../output/renderer.js';
import { OwnershipError } from '../write/ownership-error.js';
import { MAX_RENDERED_BYTES } from '../guard/previous.js';

/**
 * The service folders of the output in `outDir` that a run may take as they
 * are instead of rendering them (see output/renderer.ts): its ownership
 * marker records, for each, the digest of the resolved service it was
 * rendered from and of its files, and the identity of the code that
 * rendered them. A folder is taken when the code is the same (`renderer`),
 * the service resolves to the same input, and its files still have the
 * recorded digest: then rendering it again would give exactly these bytes,
 * and the run that wrote them (or CI's `validate` of the commit that holds
 * them) checked them. Undefined when the output has no marker of this code.
 *
 * How a folder's files are known to still have the digest:
 * - by `state` (the last successful run's OutputState, run-record.ts), when
 *   it recorded the folder against this very marker and every file's lstat
 *   signature (size, times, inode, mode) is the one recorded: the files are
 *   then read only if something asks for their content (a whole write, the
 *   kustomize check of a folder the build cache does not remember), and
 *   checked against the digest then;
 * - else by reading them and digesting them now.
 */
export function openProvenFolders(
  outDir: string,
  renderer: string | undefined,
  options: ProvenFolderOptions = {},
): (ProvenFolders & { readonly marker: string }) | undefined {
  if (renderer === undefined) return undefined;
  const text = readPlainFile(join(outDir, OWNERSHIP_FILE))?.text;
  const record = text === undefined ? undefined : parseOwnershipRecord(text);
  if (text === undefined || record?.renderer !== renderer) return undefined;
  const marker = markerDigest(text);
  const names = namesByFolder(record);
  const trusted = options.state?.marker === marker ? options.state.folders : undefined;
  const observe = (folder: string, list: readonly string[], signatures: readonly string[]) => {
    if (options.observed) list.forEach((name, i) => options.observed!.set(`${folder}/${name}`, signatures[i]!));
  };
  return {
    marker,
    take(folder, input) {
      const digests = record.folders.get(folder);
      const list = names.get(folder);
      if (digests?.input !== input || !list?.length) return undefined;
      const objects = list.filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml').length;
      const recorded = trusted?.get(folder);
      const now = recorded === undefined ? undefined : signaturesNow(outDir, folder, list);
      if (now !== undefined && recorded === folderSignatures(list, now)) {
        observe(folder, list, now);
        return deferredFolder(outDir, folder, list, objects, digests.content);
      }
      const files: [string, string][] = [];
      const signatures: string[] = [];
      for (const name of list) {
        const file = readPlainFile(join(outDir, folder, name), MAX_RENDERED_BYTES);
        if (file === undefined) return undefined;
        files.push([name, file.text]);
        signatures.push(file.signature);
      }
      if (contentDigest(files) !== digests.content) return undefined;
      observe(folder, list, signatures);
      return { names: list, objects, digest: digests.content, files: () => files };
    },
  };
}

export interface ProvenFolderOptions {
  /** What the output held after the last successful synth. @default none: every folder's files are read */
  readonly state?: OutputState;
  /**
   * Filled with the entrySignature of each file of a taken folder, as it was
   * before its content was checked (relative path in the output → signature):
   * rememberRun takes these instead of another lstat.
   * @default none
   */
  readonly observed?: Map<string, string>;
}

/**
 * What the output held when a synth of it succeeded, for the next run to
 * take folders by their lstat (openProvenFolders).
 */
export interface OutputState {
  /** sha256 of the ownership marker's text. */
  readonly marker: string;
  /**
   * Service folder → digest of its files' lstat signatures (folderSignatures),
   * for each folder whose files all held the marker's content digest then.
   */
  readonly folders: ReadonlyMap<string, string>;
}

/** A time within this of a recorded moment may not show a change made then (FAT's timestamps are 2 s apart). */
export const RACY_MS = 2_000;

/**
 * The OutputState of `outDir` after a synth that wrote the marker of digest
 * `writtenMarker` and started at `startedAt` (ms since the epoch), from
 * `entries` (relative path → entrySignature, lstat taken after the write).
 * A folder is recorded only when no file of it changed status since
 * RACY_MS before the run started: the run checked those files (took them as
 * proven, or found them byte-identical to its render), and a later change
 * shows in their signature. A folder the run wrote, or one anybody changed
 * while it ran, is read by the next run. Undefined when the marker on disk is
 * not the one the run wrote.
 */
export function outputState(
  outDir: string,
  entries: ReadonlyMap<string, string>,
  writtenMarker: string,
  startedAt: number,
): OutputState | undefined {
  const text = readPlainFile(join(outDir, OWNERSHIP_FILE))?.text;
  if (text === undefined || markerDigest(text) !== writtenMarker) return undefined;
  const record = parseOwnershipRecord(text);
  if (record === undefined) return undefined;
  const folders = new Map<string, string>();
  const settled = startedAt - RACY_MS;
  for (const [folder, list] of namesByFolder(record)) {
    const signatures: string[] = [];
    for (const name of list) {
      const s = entries.get(`${folder}/${name}`);
      if (s === undefined || !s.startsWith('f:') || executable(s) || !(signatureTimes(s).changed < settled)) break;
      signatures.push(s);
    }
    if (signatures.length === list.length) folders.set(folder, folderSignatures(list, signatures));
  }
  return { marker: writtenMarker, folders };
}

/** sha256 of a marker's text: which marker an OutputState describes. */
export function markerDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * An entry's lstat as one string: type, size, modification and status
 * change times, inode, mode. Any write, rename over it, chmod or touch
 * changes it; the status change time cannot be set back.
 */
export function entrySignature(s: Stats): string {
  const type = s.isFile() ? 'f' : s.isDirectory() ? 'd' : s.isSymbolicLink() ? 'l' : 'o';
  return `${type}:${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}:${s.mode}`;
}

/** The modification and status change times (ms) of an entrySignature. */
export function signatureTimes(signature: string): { modified: number; changed: number } {
  const parts = signature.split(':');
  return { modified: Number(parts[2]), changed: Number(parts[3]) };
}

/** Whether an entrySignature's mode has an executable bit (a rendered service file never has). */
function executable(signature: string): boolean {
  return (Number(signature.slice(signature.lastIndexOf(':') + 1)) & 0o111) !== 0;
}

/** One digest of a folder's files' signatures, in the order of `names`. */
function folderSignatures(names: readonly string[], signatures: readonly string[]): string {
  const hash = createHash('sha256');
  names.forEach((name, i) => hash.update(`${name}\0${signatures[i]}\n`));
  return hash.digest('base64url');
}

/** The entrySignature of each file `names` of `folder` now; undefined when one is not a plain file. */
function signaturesNow(outDir: string, folder: string, names: readonly string[]): string[] | undefined {
  const signatures: string[] = [];
  for (const name of names) {
    const stat = lstatSync(join(outDir, folder, name), { throwIfNoEntry: false });
    if (!stat?.isFile()) return undefined;
    signatures.push(entrySignature(stat));
  }
  return signatures;
}

/** The marker's files by service folder (names inside it, in the marker's order). */
function namesByFolder(record: OwnershipRecord): Map<string, readonly string[]> {
  const names = new Map<string, readonly string[]>();
  for (const folder of record.folders.keys()) {
    const list = record.names.get(folder);
    if (list) names.set(folder, list);
  }
  return names;
}

/**
 * A folder taken by its lstat: its files are read when first asked for,
 * and must then have the digest the marker records. Anything else means
 * the folder changed while this run used it: refused, before anything is
 * written.
 */
function deferredFolder(
  outDir: string,
  folder: string,
  names: readonly string[],
  objects: number,
  digest: string,
): TakenFolder {
  let files: [string, string][] | undefined;
  return {
    names,
    objects,
    digest,
    files: () => {
      if (files) return files;
      const read: [string, string][] = [];
      for (const name of names)
        read.push([name, readPlainFile(join(outDir, folder, name), MAX_RENDERED_BYTES)?.text ?? '']);
      if (contentDigest(read) !== digest)
        throw new OwnershipError(
          `${join(outDir, folder)} changed while gitops-synth was using it (its files no longer hold what its ` +
            `ownership marker records); the command stopped before changing anything: run it again`,
          outDir,
        );
      files = read;
      return files;
    },
  };
}

/**
 * The text of a regular, non-executable file of at most `maxBytes`, without
 * following a symbolic link (which could point anywhere, a device included),
 * with its entrySignature from before it was read; undefined otherwise.
 */
function readPlainFile(path: string, maxBytes = Infinity): { text: string; signature: string } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile() || (stat.mode & 0o111) !== 0 || stat.size > maxBytes) return undefined;
    return { signature: entrySignature(stat), text: readFileSync(fd, 'utf8') };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
