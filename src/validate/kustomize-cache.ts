import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { contentDigest } from '../util/content-digest.js';
import { cacheStoreDir } from '../util/caches.js';
import { PackStore } from '../util/pack-store.js';

/**
 * Successful `kubectl kustomize` builds, remembered by content.
 *
 * What kubectl kustomize makes of one of our service folders is a function of
 * the folder's files (names and bytes: our kustomizations reference only
 * files inside their folder) and of the kubectl that builds it. So a folder
 * that built once, with that kubectl, into the expected number of objects
 * builds the same way again, and synth need not pay kubectl's ~12 ms of CPU
 * per folder for it. The key of a folder covers the kubectl binary, the
 * expected object count and every file of the folder; only successes are
 * stored, each with the ids of the objects kubectl built (so the check that
 * no two folders of an environment emit the same object works the same
 * whether a folder was built now or before). Each project has a store
 * (pack-store.ts) holding the builds its last run used and nothing else.
 * Apart from the builds it keeps the ids read from the files of folders
 * taken from `dist/` that never built here (provenIds): that check then
 * needs no folder's files, and such an entry never passes for a build.
 *
 * A folder whose kustomization points outside the folder (a `..` or absolute
 * reference, a remote resource) or that holds anything but plain files and
 * folders is never cached: its build is not a function of its own files.
 */

/**
 * Part of every key: changing how folders are built or what an entry holds
 * must change this, so old entries are never read with a new meaning.
 */
const CACHE_FORMAT = 'gitops-synth kustomize build cache 3';

/**
 * The folder of the store of the project at `projectRoot` (absolute), where
 * caches.ts keeps the `builds` cache; null when it is off.
 */
export function kustomizeCacheDir(projectRoot: string, env: NodeJS.ProcessEnv = process.env): string | null {
  return cacheStoreDir('builds', projectRoot, env);
}

/** Successful folder builds of one kubectl, in one project's store. */
export class KustomizeBuildCache {
  /**
   * The builds of `kubectl` (a path, or a name looked up on PATH) in the
   * store in folder `dir`; undefined when kubectl cannot be identified (then
   * nothing is cached).
   */
  static async open(dir: string, kubectl: string): Promise<KustomizeBuildCache | undefined> {
    const tool = await toolIdentity(kubectl);
    return tool === undefined
      ? undefined
      : new KustomizeBuildCache(PackStore.open(dir, { format: CACHE_FORMAT, code: tool }), tool);
  }

  private constructor(
    private readonly store: PackStore<readonly string[]>,
    /** Digest of the kubectl that builds, part of every key. */
    private readonly tool: string,
  ) {}

  /**
   * The key of `folder` (an absolute path) built into `objects` objects:
   * sha256 over this cache's format, the kubectl identity, the count and the
   * contentDigest of every file below the folder (relative path, size and
   * bytes). Undefined when the folder's build may depend on more than its
   * own files.
   */
  keyOf(folder: string, objects: number): string | undefined {
    const paths = filesBelow(folder);
    if (!paths) return undefined;
    const files: [string, Buffer][] = [];
    for (const rel of paths) {
      try {
        files.push([rel, readFileSync(join(folder, rel))]);
      } catch {
        return undefined;
      }
    }
    return this.keyOfFiles(files, objects);
  }

  /**
   * The key of a folder that holds exactly `files` (path inside the folder,
   * content), the same key keyOf gives when it reads that folder: for a
   * folder written from memory, without reading it back.
   */
  keyOfFiles(files: readonly (readonly [string, string | Buffer])[], objects: number): string | undefined {
    for (const [rel, content] of files)
      if (isKustomizationFile(rel) && !onlyLocalReferences(content.toString('utf8'))) return undefined;
    return this.keyOfContent(contentDigest(files), objects);
  }

  /**
   * The key of a folder whose files have `digest` (contentDigest, as the
   * ownership marker records it), without its files: only a folder whose
   * kustomizations passed keyOfFiles' check can have an entry under it.
   */
  keyOfContent(digest: string, objects: number): string {
    return createHash('sha256').update(`${CACHE_FORMAT}\0${this.tool}\0${objects}\0${digest}`).digest('hex');
  }

  /**
   * The object ids of a proven folder whose files have `digest` (built by
   * this kubectl before, or else read from its files by `read`, which is
   * remembered apart from builds: a folder whose ids were read is never
   * taken as built).
   */
  provenIds(digest: string, objects: number, read: () => string[]): readonly string[] {
    const built = this.lookup(this.keyOfContent(digest, objects), objects);
    if (built) return built;
    const key = createHash('sha256').update(`${CACHE_FORMAT}\0read\0${objects}\0${digest}`).digest('hex');
    const remembered = this.lookup(key, objects);
    if (remembered) return remembered;
    const ids = read();
    if (ids.length === objects) this.record(key, ids);
    return ids;
  }

  /** The object ids remembered for `key`, when there is an entry holding `objects` ids. */
  lookup(key: string, objects: number): readonly string[] | undefined {
    const ids = this.store.lookup(key);
    return ids !== undefined && ids.length === objects ? ids : undefined;
  }

  /** Remembers that the folder of `key` built into `ids` (kept by save()). */
  record(key: string, ids: readonly string[]): void {
    this.store.record(key, ids);
  }

  /** Keeps the builds of this run for the next one, and the others remembered unless `keepUnused` is false. */
  save(options: { keepUnused?: boolean } = {}): void {
    this.store.save(options);
  }
}

/**
 * Every file below `folder` by relative path, sorted; undefined when the
 * folder holds anything but plain files and folders (a symbolic link could
 * point anywhere) or cannot be read.
 */
function filesBelow(folder: string): string[] | undefined {
  const files: string[] = [];
  const walk = (dir: string, prefix: string): boolean => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix + entry.name;
      if (entry.isFile()) files.push(rel);
      else if (!entry.isDirectory() || !walk(join(dir, entry.name), `${rel}/`)) return false;
    }
    return true;
  };
  try {
    return walk(folder, '') ? files.sort() : undefined;
  } catch {
    return undefined;
  }
}

/** The names kustomize looks for in a folder. */
function isKustomizationFile(rel: string): boolean {
  const name = rel.slice(rel.lastIndexOf('/') + 1);
  return name === 'kustomization.yaml' || name === 'kustomization.yml' || name === 'Kustomization';
}

/**
 * Whether a kustomization names only files inside its own folder: no `..`
 * path segment, no absolute path, no URL (`://`, `git@`, `git::`,
 * `github.com/`), so its build reads nothing the key does not cover (kustomize
 * itself refuses files outside the folder, but builds other folders and
 * remote ones). Checked on the text, so a comment mentioning `..` makes a
 * folder uncached, never wrongly cached. kustomize.ts also remembers only
 * folders whose every object kubectl traced to a file inside them.
 */
function onlyLocalReferences(text: string): boolean {
  return !/(^|[\s'"/[,=])\.\.([/'"\s,\]]|$)|(^|[\s'"[,=:-])\/|:\/\/|git@|git::|github\.com\//m.test(text);
}

/**
 * What identifies a kubectl: its resolved path, device, inode, size and
 * modification and change times (any new binary or edit changes one of
 * them). A script (a wrapper or version-manager shim) can run a different
 * kubectl behind the same file, so for one starting with `#!` the output of
 * `kubectl version --client -o json` (kubectl's and kustomize's versions)
 * counts too. Undefined when the file cannot be found or asked.
 */
async function toolIdentity(kubectl: string): Promise<string | undefined> {
  const file = kubectl.includes('/') ? kubectl : onPath(kubectl);
  if (!file) return undefined;
  let real: string;
  let identity: string;
  try {
    real = realpathSync(file);
    const st = statSync(real);
    if (!st.isFile()) return undefined;
    identity = `${real}\0${st.dev}\0${st.ino}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}`;
  } catch {
    return undefined;
  }
  if (startsWithShebang(real)) {
    const version = await new Promise<string | undefined>((done) => {
      execFile(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' }, (error, stdout) =>
        done(error ? undefined : stdout),
      );
    });
    if (version === undefined) return undefined;
    identity += `\0${version}`;
  }
  return createHash('sha256').update(identity).digest('hex');
}

/** The first executable-looking file named `name` in PATH. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

function startsWithShebang(file: string): boolean {
  const head = Buffer.alloc(2);
  const fd = openSync(file, 'r');
  try {
    return readSync(fd, head, 0, 2, 0) === 2 && head.toString('latin1') === '#!';
  } finally {
    closeSync(fd);
  }
}
