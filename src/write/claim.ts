import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path';
import { codeUnitOrder } from '../util/order.js';
import { OWNERSHIP_FILE, type OwnershipRecord, parseOwnershipRecord } from '../output/ownership.js';
import { isWriteBackFile } from '../output/write-back.js';
import { OwnershipError } from './ownership-error.js';

/**
 * What gitops-synth owns in a folder it writes, and whether it may write it.
 *
 * Every tree gitops-synth writes (dist/, `synth --out`, the devops folder
 * `publish` fills) carries OWNERSHIP_FILE at its root: the files it wrote,
 * folder by folder. A command replaces a folder only when the folder is
 * absent, empty, or carries that file (or, once, when every file in it is
 * recognisably gitops-synth's: see `recognised`); it deletes only files the
 * file lists, and never writes over a file it does not list. Some folders are
 * refused whatever they hold: the project and every folder above it, its
 * apps/, environments/ and src/, any `.git`, the home folder and `/`.
 */

/** What a folder on disk holds, without following symbolic links: relative `/`-separated paths. */
export interface FolderScan {
  /** Regular files. */
  readonly files: string[];
  /** Folders, parents before children. */
  readonly folders: string[];
  /** Anything else: symbolic links, sockets, devices. */
  readonly others: string[];
}

/** Every entry below `dir` (which must be a folder), by kind. */
export function scanFolder(dir: string): FolderScan {
  const scan: FolderScan = { files: [], folders: [], others: [] };
  const walk = (abs: string, prefix: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const rel = prefix + entry.name;
      if (entry.isDirectory()) {
        scan.folders.push(rel);
        walk(join(abs, entry.name), `${rel}/`);
      } else if (entry.isFile()) scan.files.push(rel);
      else scan.others.push(rel);
    }
  };
  walk(dir, '');
  return scan;
}

/** How a command may treat the folder it writes. */
export interface OutputClaim {
  /** The folder to write: its real path (symbolic links resolved), where it exists. */
  readonly dir: string;
  /**
   * absent or empty: nothing to keep; marked: it carries the marker;
   * recognised: no marker, but every file in it is gitops-synth's (the
   * output of a version before markers); written with a marker from now on.
   */
  readonly state: 'absent' | 'empty' | 'marked' | 'recognised';
  /** The files gitops-synth wrote there before (may be deleted or overwritten). */
  readonly owned: ReadonlySet<string>;
  /** The marker's record, when the folder carries one. */
  readonly record?: OwnershipRecord;
  /** What the folder holds now; undefined when it is absent. */
  readonly scan?: FolderScan;
  /** Files and links gitops-synth did not write (not owned, not Image Updater's), kept as they are. */
  readonly foreign: readonly string[];
}

export interface ClaimOptions {
  /** The project whose output this is: it, the folders above it, apps/, environments/ and src/ are refused. */
  readonly projectDir: string;
  /** Files the command will write (relative to the folder): a foreign file in their way stops the command. */
  readonly writes: Iterable<string>;
  /** Where `~` is. @default os.homedir() */
  readonly home?: string;
}

/**
 * The folder a write of `outDir` reaches (symbolic links resolved); throws
 * OwnershipError when it is one gitops-synth never writes, whatever it holds.
 */
export function outputFolder(outDir: string, options: Omit<ClaimOptions, 'writes'>): string {
  const asked = resolve(outDir);
  const dir = realPath(asked);
  const refused = refusal(dir, options);
  if (refused)
    throw new OwnershipError(
      `refusing to write ${displayPath(asked)}: ${refused}. Expected a folder of its own for the rendered output ` +
        `(such as dist/); nothing was changed.`,
      asked,
    );
  if (existsSync(dir) && !lstatSync(dir).isDirectory())
    throw new OwnershipError(
      `refusing to write ${displayPath(asked)}: it is a file, expected a folder; nothing was changed.`,
      asked,
    );
  return dir;
}

/**
 * Whether `outDir` may be written, and what gitops-synth owns in it.
 * Throws OwnershipError (nothing changed) for a folder that is always
 * refused, that is not a folder, that holds files without a marker (unless
 * every one is recognisably gitops-synth's), or whose foreign files the
 * command would overwrite.
 */
export function claimOutput(outDir: string, options: ClaimOptions): OutputClaim {
  const asked = resolve(outDir);
  const dir = outputFolder(asked, options);
  const shown = displayPath(asked);
  if (!existsSync(dir)) return { dir, state: 'absent', owned: new Set(), foreign: [] };
  const scan = scanFolder(dir);
  if (scan.files.length === 0 && scan.others.length === 0)
    return { dir, state: 'empty', owned: new Set(), scan, foreign: [] };

  let owned: ReadonlySet<string> | undefined;
  let record: OwnershipRecord | undefined;
  let state: OutputClaim['state'] = 'marked';
  if (scan.files.includes(OWNERSHIP_FILE)) {
    record = parseOwnershipRecord(readFileSync(join(dir, OWNERSHIP_FILE), 'utf8'));
    owned = record?.files;
    if (!owned)
      throw new OwnershipError(
        `refusing to write ${shown}: its ${OWNERSHIP_FILE} is damaged (expected the list of files gitops-synth ` +
          `wrote, as it writes it). Restore it (git checkout -- ${join(shown, OWNERSHIP_FILE)}) or move the ` +
          `folder away; nothing was changed.`,
        asked,
      );
  } else {
    state = 'recognised';
    const unknown = [...scan.others, ...scan.files.filter((f) => !recognised(dir, f))];
    if (unknown.length)
      throw new OwnershipError(
        `refusing to write ${shown}: it holds files gitops-synth did not write and no ${OWNERSHIP_FILE} ` +
          `(expected a folder that is absent, empty, or written by gitops-synth); nothing was changed. ` +
          `Not gitops-synth's: ${listed(shown, unknown)}. Choose another folder, or move those files away.`,
        asked,
      );
    owned = new Set(scan.files.filter((f) => !isWriteBackFile(f)));
  }

  const foreign = [
    ...scan.others,
    ...scan.files.filter((f) => f !== OWNERSHIP_FILE && !owned.has(f) && !isWriteBackFile(f)),
  ].sort(codeUnitOrder);
  const files = new Set(options.writes);
  const folders = new Set([...files].flatMap((f) => [...ancestors(f)]));
  // A foreign file at a path written, at a folder written into, or below a path written as a file.
  const overwritten = foreign.filter(
    (f) => files.has(f) || folders.has(f) || [...ancestors(f)].some((a) => files.has(a)),
  );
  if (overwritten.length) {
    // Files a merge brought in from a branch that rendered without the marker look like its own.
    const hint = overwritten.every((f) => recognised(dir, f))
      ? ` If gitops-synth wrote them (on another branch, or a version before ${OWNERSHIP_FILE}), delete ` +
        `${join(shown, OWNERSHIP_FILE)} and run again: a folder whose every file it recognises is taken over.`
      : '';
    throw new OwnershipError(
      `refusing to write ${shown}: gitops-synth did not write ${listed(shown, overwritten)} (not in ` +
        `${join(shown, OWNERSHIP_FILE)}) and would now write over ${overwritten.length === 1 ? 'it' : 'them'}; ` +
        `it never overwrites what it did not write. Move them away and run again; nothing was changed.${hint}`,
      asked,
    );
  }
  return { dir, state, owned, record, scan, foreign };
}

/** The folders above a relative path. */
function* ancestors(path: string): Generator<string> {
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) yield path.slice(0, i);
}

/** Why `dir` (a real path) may never be written, if it may not. */
function refusal(dir: string, options: Omit<ClaimOptions, 'writes'>): string | undefined {
  const project = realPath(resolve(options.projectDir));
  const home = realPath(resolve(options.home ?? homedir()));
  if (dir === parse(dir).root) return 'it is the root of the file system';
  if (dir === home) return 'it is the home folder';
  if (dir === project) return 'it is the project folder (apps/, environments/)';
  if (isInside(project, dir)) return `it holds the project folder ${project}`;
  for (const part of ['apps', 'environments', 'src']) {
    const special = join(project, part);
    if (dir === special || isInside(dir, special))
      return `it is ${dir === special ? '' : 'inside '}the project's ${part}/ folder`;
  }
  if (basename(dir) === '.git') return 'it is a git repository folder (.git)';
  if (dir.split(sep).includes('.git')) return 'it is inside a git repository folder (.git)';
  return undefined;
}

/** Whether `inner` lies strictly below `outer` (both absolute, normalised). */
function isInside(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** `path` with every symbolic link in its existing part resolved (what a write would reach). */
export function realPath(path: string): string {
  const missing: string[] = [];
  let existing = path;
  for (;;) {
    try {
      return join(realpathSync(existing), ...missing.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return path;
      missing.push(basename(existing));
      existing = parent;
    }
  }
}

/** Relative to the working folder when below it, as people type it. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** Up to ten paths inside `shown`, and how many more. */
function listed(shown: string, paths: readonly string[]): string {
  const first = paths.slice(0, 10).map((p) => join(shown, p));
  return paths.length > 10 ? `${first.join(', ')} and ${paths.length - 10} more` : first.join(', ');
}

/**
 * Whether a file of a folder without a marker is gitops-synth's, as every
 * version before markers wrote it: an Image Updater write-back file; a file
 * whose first lines say `Generated by gitops-synth` (every YAML, Markdown
 * and shell file it writes); or `<env>/<service>/app.json` naming that
 * environment and service. Stricter than a rule by folder: a file of one's
 * own in argocd/ or a service folder is never taken for gitops-synth's.
 */
function recognised(dir: string, path: string): boolean {
  if (isWriteBackFile(path)) return true;
  const head = readHead(join(dir, path), 512);
  if (/Generated by `?gitops-synth/.test(head)) return true;
  const parts = path.split('/');
  if (parts.length !== 3 || parts[2] !== 'app.json') return false;
  try {
    const app = JSON.parse(readHead(join(dir, path), APP_JSON_MAX_BYTES)) as {
      environment?: unknown;
      service?: unknown;
    };
    return app.environment === parts[0] && app.service === parts[1];
  } catch {
    return false;
  }
}

/** More than any app.json gitops-synth writes (a few hundred bytes). */
const APP_JSON_MAX_BYTES = 64 * 1024;

/**
 * Up to `bytes` of a regular file; empty for anything else. A symbolic link
 * is not followed (it could lead anywhere) and a named pipe is not waited on
 * (opening one to read blocks until something writes to it).
 */
function readHead(file: string, bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return '';
    return buffer.toString('utf8', 0, readSync(fd, buffer, 0, bytes, 0));
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
