import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedService } from '../resolve/model.js';
import { cacheDir } from '../util/cache-dir.js';

/**
 * Service folders rendered before, remembered by what they were made from.
 *
 * A service folder (its objects, kustomization and app.json) is a function of
 * the service as resolved for its environment and of the code that renders
 * it: gitops-synth's own code, cdk8s, cdk8s-plus-28, constructs, the schema
 * packages it was validated with, the yaml library and Node. So a folder
 * that rendered and passed schema validation once is taken from here when
 * all of those are the same, and synth does not pay cdk8s, serialization and
 * validation again for it (about 1 ms per folder). The key of a folder covers
 * every one of them: the resolved service as JSON (its spec files by path),
 * and a digest of every file of gitops-synth's code and of the packages'
 * versions. Only folders whose objects all passed validation are stored.
 * kubectl kustomize still checks every folder (kustomize-cache.ts).
 */

/** `GITOPS_SYNTH_RENDER_CACHE=0` renders every folder, remembering nothing. */
export const RENDER_CACHE_SWITCH = 'GITOPS_SYNTH_RENDER_CACHE';
/** Where the cache lives instead of `node_modules/.cache/gitops-synth/render`. */
export const RENDER_CACHE_DIR = 'GITOPS_SYNTH_RENDER_CACHE_DIR';

/** Part of every key: changing what an entry holds must change this. */
const CACHE_FORMAT = 'gitops-synth render cache 1';

/** Packages whose code shapes or validates a rendered folder. */
const RENDERING_PACKAGES = ['cdk8s', 'cdk8s-plus-28', 'constructs', 'kubernetes-models', '@kubernetes-models/prometheus-operator', 'yaml'];

/** gitops-synth's own code: the folder above this file's (src/ or build/src/). */
const CODE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The cache folder the environment asks for: none when
 * GITOPS_SYNTH_RENDER_CACHE is `0` (or `false`, `off`, `no`), else
 * GITOPS_SYNTH_RENDER_CACHE_DIR, else `node_modules/.cache/gitops-synth/render`.
 */
export function renderCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  return cacheDir('render', { switch: RENDER_CACHE_SWITCH, dir: RENDER_CACHE_DIR }, env);
}

/** A service folder as it was rendered and validated: its files by path inside the folder, and its number of objects. */
export interface RememberedFolder {
  readonly files: readonly (readonly [string, string])[];
  readonly objects: number;
}

/** Rendered service folders of one version of the code, in one cache folder. */
export class RenderCache {
  /**
   * The cache in `dir` for the code running now; undefined when that code
   * cannot be identified (then nothing is remembered).
   * @param codeRoot the folder of gitops-synth's code @default src/ or build/src/
   */
  static open(dir: string, codeRoot: string = CODE_ROOT): RenderCache | undefined {
    const code = codeIdentity(codeRoot);
    return code === undefined ? undefined : new RenderCache(dir, code);
  }

  /** False after a write failed (a read-only cache): later folders are not offered to it. */
  private writable = true;

  private constructor(
    private readonly dir: string,
    /** Digest of the code that renders, part of every key. */
    private readonly code: string,
  ) {}

  /** The key of `svc`'s folder: sha256 over the code's digest and the resolved service as JSON. */
  keyOf(svc: ResolvedService): string {
    // The spec files by path: their text is already resolved into the service, and their comments change nothing.
    const input = { ...svc, source: svc.source.file, environment: { ...svc.environment, source: svc.environment.source.file } };
    return createHash('sha256').update(`${CACHE_FORMAT}\0${this.code}\0`).update(JSON.stringify(input)).digest('hex');
  }

  /** The folder remembered for `key`; undefined when there is none or the entry is damaged. */
  lookup(key: string): RememberedFolder | undefined {
    let entry: unknown;
    try {
      entry = JSON.parse(readFileSync(this.entryPath(key), 'utf8'));
    } catch {
      return undefined;
    }
    return isRememberedFolder(entry) ? entry : undefined;
  }

  /** Remembers the folder rendered for `key`; a cache that cannot be written is left alone. */
  record(key: string, folder: RememberedFolder): void {
    if (!this.writable) return;
    const path = this.entryPath(key);
    // Written in place: a reader that meets a half-written entry cannot parse it and renders the folder itself,
    // and two writers of one key write the same bytes. (A rename per entry costs a tenth of a second per thousand.)
    try {
      const dir = dirname(path);
      if (!this.madeDirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        this.madeDirs.add(dir);
      }
      writeFileSync(path, JSON.stringify(folder));
    } catch {
      this.writable = false;
      try {
        rmSync(path, { force: true });
      } catch {
        // nothing was written
      }
    }
  }

  /** Entry folders known to exist. */
  private readonly madeDirs = new Set<string>();

  private entryPath(key: string): string {
    return join(this.dir, key.slice(0, 2), key);
  }
}

function isRememberedFolder(entry: unknown): entry is RememberedFolder {
  if (typeof entry !== 'object' || entry === null) return false;
  const { files, objects } = entry as Record<string, unknown>;
  return (
    Number.isInteger(objects) &&
    (objects as number) > 0 &&
    Array.isArray(files) &&
    files.every((f) => Array.isArray(f) && f.length === 2 && typeof f[0] === 'string' && typeof f[1] === 'string')
  );
}

/**
 * Digest of the code that renders: the cache format, Node's version, the
 * versions of RENDERING_PACKAGES and every file below `codeRoot` (sorted
 * relative path and bytes). Undefined when any of them cannot be read.
 */
function codeIdentity(codeRoot: string): string | undefined {
  const hash = createHash('sha256').update(`${CACHE_FORMAT}\0${process.version}\0`);
  const require = createRequire(import.meta.url);
  try {
    for (const pkg of RENDERING_PACKAGES) {
      const { version } = JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string };
      hash.update(`${pkg}@${version}\0`);
    }
    const files = readdirSync(codeRoot, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const file of files) hash.update(`${file.slice(codeRoot.length)}\0`).update(readFileSync(file));
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}
