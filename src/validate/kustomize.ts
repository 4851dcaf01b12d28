import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, posix, relative, resolve, sep } from 'node:path';
import { KustomizeBuildCache, kustomizeCacheDir } from './kustomize-cache.js';
import { brokenTool, toolPath } from './tools.js';

/** A rendered folder to build, with the number of objects it must yield. */
export interface KustomizeFolder {
  /** Relative to the root, `<environment>/<folder>`. */
  readonly folder: string;
  readonly objects: number;
  /**
   * The files the folder was written with (path inside the folder, content),
   * when the caller vouches that the folder holds them and, besides, only
   * files no kustomization names (Image Updater's `.argocd-source*`): its
   * cache key is then computed from them instead of reading the folder back.
   * @default the folder is read
   */
  readonly files?: readonly (readonly [string, string])[];
  /** contentDigest (output/ownership.ts) of `files`, when the caller has it. @default none */
  readonly digest?: string;
}

/**
 * Most objects one kubectl run builds. kubectl v1.28's kustomize spends
 * time quadratic in the objects of one build (100 service folders: 1.7 s of
 * CPU, 400: 32 s), and each run costs 0.1–0.2 s to start, so large
 * environments are built in runs of about this many objects.
 */
export const OBJECTS_PER_KUSTOMIZE_RUN = 256;

export interface KustomizeOptions {
  /** kubectl runs at the same time. @default the number of CPUs */
  readonly parallelism?: number;
  /** The kubectl to run. @default toolPath('kubectl'): GITOPS_SYNTH_KUBECTL or the bundled kubectl v1.28.3 */
  readonly kubectl?: string;
  /**
   * The project whose store remembers successful builds (absolute path; the
   * store holds what this run used).
   * @default root
   */
  readonly project?: string;
  /**
   * Folder of the store of remembered successful builds (kustomize-cache.ts);
   * null builds every folder and remembers nothing.
   * @default kustomizeCacheDir(project): the project's `builds` store (util/caches.ts)
   */
  readonly cacheDir?: string | null;
  /**
   * Folders proven before (byte-identical to a tree that passed this check):
   * not built, but their objects (read from their files) still count in the
   * check that no two folders of an environment emit the same object.
   * @default none
   */
  readonly proven?: readonly ProvenFolder[];
}

/**
 * A folder that passed before, with its files (path inside the folder,
 * content). Its object ids come from the build cache when it remembers the
 * folder's `digest`: `files` is then not read (it may read them from disk).
 */
export interface ProvenFolder {
  readonly folder: string;
  readonly files: readonly (readonly [string, string])[];
  /** contentDigest of `files` and the objects they hold, to find the folder's build in the cache. @default none */
  readonly digest?: string;
  readonly objects?: number;
}

/** One built object: its id and the folder whose file it came from (undefined when kubectl did not say). */
interface BuiltObject {
  readonly id: string;
  readonly folder: string | undefined;
}

/**
 * Builds rendered service folders with the real `kubectl kustomize`. A
 * folder whose files built before with the same kubectl into the expected
 * objects is not built again (kustomize-cache.ts); the others of one
 * environment are built through throw-away root kustomizations of up to
 * OBJECTS_PER_KUSTOMIZE_RUN objects, several runs at once. Every folder must
 * yield its number of objects, and no two folders of one environment may
 * emit the same object: both are checked over all folders, remembered or
 * built now. Returns the failures (empty when every folder built).
 */
export async function kustomizeBuildAll(
  root: string,
  folders: readonly KustomizeFolder[],
  options: KustomizeOptions = {},
): Promise<string[]> {
  const kubectl = options.kubectl ?? toolPath('kubectl');
  const cacheDir =
    options.cacheDir === undefined ? kustomizeCacheDir(resolve(options.project ?? root)) : options.cacheDir;
  const cache = cacheDir ? await KustomizeBuildCache.open(cacheDir, kubectl) : undefined;
  const planned = folders.map((f) => {
    const key = f.files ? cache?.keyOfFiles(f.files, f.objects) : cache?.keyOf(join(root, f.folder), f.objects);
    return {
      ...f,
      env: f.folder.split('/')[0]!,
      key,
      remembered: key === undefined ? undefined : cache!.lookup(key, f.objects),
    };
  });
  const envs = [...new Set(planned.map((f) => f.env))].sort();
  // Only environments with a folder to check: a proven environment was checked whole before.
  const proven = (options.proven ?? []).filter((f) => envs.includes(f.folder.split('/')[0]!));

  // A folder of its own (mkdtemp): removing it afterwards can never take anything else with it.
  const scratch = mkdtempSync(join(tmpdir(), 'gitops-synth-kustomize-'));
  try {
    const runs: { env: string; dir: string; folders: typeof planned }[] = [];
    for (const env of envs) {
      const toBuild = planned.filter((f) => f.env === env && !f.remembered);
      for (const [i, chunk] of chunks(toBuild).entries()) {
        const dir = join(scratch, env, String(i));
        mkdirSync(dir, { recursive: true });
        // Origin annotations name each object's file, so every object is traced to its folder.
        const resources = chunk.map((f) => `- ${relative(dir, join(root, f.folder)).split(sep).join('/')}`).join('\n');
        writeFileSync(
          join(dir, 'kustomization.yaml'),
          `resources:\n${resources}\nbuildMetadata: [originAnnotations]\n`,
        );
        runs.push({ env, dir, folders: chunk });
      }
    }
    // Only the ids of the built objects are kept: the output of a large environment is tens of megabytes.
    const results = await inParallel(runs, options.parallelism ?? availableParallelism(), async (r) => {
      const { code, stdout, stderr } = await run(kubectl, ['kustomize', r.dir]).catch((err: unknown) => {
        throw brokenTool('kubectl', kubectl, err);
      });
      const inRun = new Set(r.folders.map((f) => f.folder));
      const objects = code === 0 ? documents(stdout).map((d) => builtObject(d, root, r.dir, inRun)) : [];
      return { code, stderr, objects };
    });

    const failures: string[] = [];
    const done = runs.map((r, i) => ({ ...r, result: results[i]! }));
    for (const env of envs) {
      const mine = done.filter((r) => r.env === env);
      const errors = [...new Set(mine.filter((r) => r.result.code !== 0).map((r) => r.result.stderr.trim()))];
      // A kubectl that cannot even say its version is broken itself: that is not the rendered folders' fault.
      if (errors.length) {
        const broken = brokenTool('kubectl', kubectl);
        if (broken) throw broken;
      }
      if (errors.length) {
        for (const e of errors) failures.push(`kubectl kustomize failed for environment ${env}: ${e}`);
        recordSuccesses(
          cache,
          mine.filter((r) => r.result.code === 0),
        );
        continue;
      }
      // Every object of the environment, remembered or built now, with the folder it came from.
      const provenObjects = proven
        .filter((f) => f.folder.split('/')[0] === env)
        .flatMap((f) => provenIds(f, cache).map((id) => ({ id, folder: f.folder })));
      const objects: BuiltObject[] = [
        ...provenObjects,
        ...planned
          .filter((f) => f.env === env && f.remembered)
          .flatMap((f) => f.remembered!.map((id) => ({ id, folder: f.folder }))),
        ...mine.flatMap((r) => r.result.objects),
      ];
      const from = new Map<string, string | undefined>();
      for (const { id, folder } of objects) {
        if (from.has(id)) {
          const folders = [from.get(id), folder].filter((f) => f !== undefined);
          failures.push(
            'kubectl kustomize built two objects with the same kind, namespace and name in environment ' +
              `${env}: ${id}${folders.length === 2 ? `, from ${folders.sort().join(' and ')}` : ''}; ` +
              'each object must come from one service folder',
          );
        } else from.set(id, folder);
      }
      const envFolders = planned.filter((f) => f.env === env);
      const expected = envFolders.reduce((n, f) => n + f.objects, 0) + provenObjects.length;
      if (objects.length !== expected)
        failures.push(`kubectl kustomize built ${objects.length} objects for environment ${env}, expected ${expected}`);
      else if (objects.every((o) => o.folder !== undefined)) {
        // The same total can hide one folder yielding an object too many and another one too few.
        const built = countBy(objects, (o) => o.folder!);
        for (const f of envFolders) {
          if ((built.get(f.folder) ?? 0) !== f.objects)
            failures.push(
              `kubectl kustomize built ${built.get(f.folder) ?? 0} objects from ${f.folder}, expected ${f.objects}`,
            );
        }
      }
      recordSuccesses(cache, mine);
    }
    return failures;
  } finally {
    // With proven folders this run saw part of the tree: the builds of the others stay remembered.
    cache?.save({ keepUnused: (options.proven?.length ?? 0) > 0 });
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The object ids of a proven folder: remembered (kustomize-cache.ts), else read from its files. */
function provenIds(f: ProvenFolder, cache: KustomizeBuildCache | undefined): readonly string[] {
  return cache && f.digest !== undefined && f.objects !== undefined
    ? cache.provenIds(f.digest, f.objects, () => objectIdsOfFiles(f.files))
    : objectIdsOfFiles(f.files);
}

/**
 * Remembers each folder of these successful runs that yielded exactly its
 * objects. Whether it clashes with another folder is not part of its own
 * build: that is checked on every run from the remembered ids.
 */
function recordSuccesses(
  cache: KustomizeBuildCache | undefined,
  runs: readonly {
    folders: readonly (KustomizeFolder & { key?: string })[];
    result: { objects: readonly BuiltObject[] };
  }[],
): void {
  if (!cache) return;
  for (const r of runs) {
    // An object kubectl did not trace to a folder leaves every folder of its run unproven.
    if (r.result.objects.some((o) => o.folder === undefined)) continue;
    const ids = new Map<string, string[]>();
    for (const o of r.result.objects) {
      const list = ids.get(o.folder!);
      if (list) list.push(o.id);
      else ids.set(o.folder!, [o.id]);
    }
    for (const f of r.folders) {
      const built = ids.get(f.folder) ?? [];
      if (f.key !== undefined && built.length === f.objects) cache.record(f.key, built);
    }
  }
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}

/** Consecutive groups of folders with at most OBJECTS_PER_KUSTOMIZE_RUN objects (at least one folder each). */
function chunks<F extends KustomizeFolder>(list: readonly F[]): F[][] {
  const out: F[][] = [];
  let current: F[] = [];
  let objects = 0;
  for (const f of list) {
    if (current.length && objects + f.objects > OBJECTS_PER_KUSTOMIZE_RUN) {
      out.push(current);
      current = [];
      objects = 0;
    }
    current.push(f);
    objects += f.objects;
  }
  if (current.length) out.push(current);
  return out;
}

interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Go's garbage collector at GOGC=200 instead of 100: kubectl kustomize then
 * spends about 20% less CPU for about 20 MB more memory per run. A GOGC the
 * user set wins.
 */
const KUBECTL_GOGC = '200';

function run(command: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { GOGC: KUBECTL_GOGC, ...process.env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

/** Maps `items` through `task` with at most `limit` tasks running; results in the order of `items`. */
async function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

/** The documents of kubectl's multi-document output (separated by `---` lines). */
function documents(output: string): string[] {
  return output.split(/^---$/m).filter((d) => d.trim() !== '');
}

/**
 * One object of kubectl's output: `apiVersion kind namespace/name`, and the
 * folder (one of `inRun`) of the file it came from, read from the origin
 * annotation kustomize adds (`path:` for a resource, `configuredIn:` for a
 * generated object; relative to the run's root kustomization in `runDir`).
 * An object from a file outside the
 * run's folders or from a remote repository (`repo:`) has no folder. kubectl prints top-level keys at
 * column 0, metadata's at column 2 and annotations at column 4, so no full
 * YAML parse of megabytes of output is needed.
 */
function builtObject(doc: string, root: string, runDir: string, inRun: ReadonlySet<string>): BuiltObject {
  let apiVersion = '';
  let kind = '';
  let name = '';
  let namespace = '';
  let origin: string | undefined;
  let remote = false;
  let inMetadata = false;
  let inOrigin = false;
  for (const line of doc.split('\n')) {
    if (line === '') continue;
    if (inOrigin && line.startsWith('      ')) {
      const m = /^ {6}(path|configuredIn|repo): (.+)$/.exec(line);
      if (m?.[1] === 'repo') remote = true;
      else if (m) origin ??= m[2]!;
      continue;
    }
    inOrigin = false;
    if (line[0] !== ' ' && line[0] !== '-') {
      inMetadata = line === 'metadata:';
      if (line.startsWith('apiVersion: ')) apiVersion = line.slice('apiVersion: '.length);
      else if (line.startsWith('kind: ')) kind = line.slice('kind: '.length);
    } else if (inMetadata) {
      if (line.startsWith('  name: ')) name = line.slice('  name: '.length);
      else if (line.startsWith('  namespace: ')) namespace = line.slice('  namespace: '.length);
      else if (line === '    config.kubernetes.io/origin: |' || line === '    config.kubernetes.io/origin: |-')
        inOrigin = true;
    }
  }
  return {
    id: `${apiVersion} ${kind} ${namespace}/${name}`,
    folder:
      origin === undefined || remote
        ? undefined
        : folderOf(relative(root, resolve(runDir, origin)).split(sep).join('/'), inRun),
  };
}

/**
 * The ids of the objects in a proven folder's files, as kubectl would build
 * them: gitops-synth's kustomizations list every object file of the folder
 * and change no kind, namespace or name, and its files are canonical YAML
 * (one object, top-level keys at column 0, metadata's at column 2).
 */
export function objectIdsOfFiles(files: readonly (readonly [string, string])[]): string[] {
  const ids: string[] = [];
  for (const [name, content] of files) {
    if (!name.endsWith('.yaml') || name === 'kustomization.yaml' || name.includes('/')) continue;
    let apiVersion = '';
    let kind = '';
    let objectName = '';
    let namespace = '';
    let inMetadata = false;
    for (const line of content.split('\n', 200)) {
      if (line === '' || line[0] === '#') continue;
      if (line[0] !== ' ' && line[0] !== '-') {
        if (inMetadata) break;
        inMetadata = line === 'metadata:';
        if (line.startsWith('apiVersion: ')) apiVersion = line.slice('apiVersion: '.length);
        else if (line.startsWith('kind: ')) kind = line.slice('kind: '.length);
      } else if (inMetadata) {
        if (line.startsWith('  name: ')) objectName = line.slice('  name: '.length);
        else if (line.startsWith('  namespace: ')) namespace = line.slice('  namespace: '.length);
      }
    }
    ids.push(`${apiVersion} ${kind} ${namespace}/${objectName}`);
  }
  return ids;
}

/** The folder of `inRun` that holds `file` (both relative to the tree's root). */
function folderOf(file: string, inRun: ReadonlySet<string>): string | undefined {
  for (let dir = posix.dirname(file); dir !== '.' && dir !== '/' && !dir.startsWith('..'); dir = posix.dirname(dir)) {
    if (inRun.has(dir)) return dir;
  }
  return undefined;
}

/** `kubectl kustomize <folder>` of one folder, for tests and `validate`. */
export function kustomizeBuild(folder: string): string {
  const r = spawnSync(toolPath('kubectl'), ['kustomize', folder], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`kubectl kustomize ${folder} failed: ${r.stderr.trim()}`);
  return r.stdout;
}
