import { createHash } from 'node:crypto';
import type { FolderCache, RememberedFolder } from '../output/renderer.js';
import type { ResolvedService } from '../resolve/model.js';
import { SpecCache } from '../spec/spec-cache.js';
import { cacheDir } from '../util/cache-dir.js';
import { codeIdentity } from '../util/code-identity.js';
import { PackStore, projectStoreDir } from '../util/pack-store.js';

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
 * versions. Only folders whose objects all passed validation are stored,
 * and a project's store holds the folders of its last successful render
 * and nothing else (pack-store.ts). kubectl kustomize still checks every
 * folder (kustomize-cache.ts).
 */

/** `GITOPS_SYNTH_RENDER_CACHE=0` parses every spec and renders every folder, remembering nothing. */
export const RENDER_CACHE_SWITCH = 'GITOPS_SYNTH_RENDER_CACHE';
/** Where the cache lives instead of `node_modules/.cache/gitops-synth/render`. */
export const RENDER_CACHE_DIR = 'GITOPS_SYNTH_RENDER_CACHE_DIR';

/** Part of every key: changing what an entry holds must change this. */
const CACHE_FORMAT = 'gitops-synth render cache 2';

/**
 * The cache folder the environment asks for: none when
 * GITOPS_SYNTH_RENDER_CACHE is `0` (or `false`, `off`, `no`), else
 * GITOPS_SYNTH_RENDER_CACHE_DIR, else `node_modules/.cache/gitops-synth/render`.
 */
export function renderCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  return cacheDir('render', { switch: RENDER_CACHE_SWITCH, dir: RENDER_CACHE_DIR }, env);
}

/** What a synth run of one project remembers: its specs' checked data and its rendered service folders. */
export interface RenderCaches {
  readonly specs?: SpecCache;
  readonly folders?: RenderCache;
}

/**
 * The caches for a run over the project at `projectRoot` (absolute), in the
 * folder the environment asks for (renderCacheDir): none when the cache is
 * off or the running code cannot be identified. Each project has a store
 * (pack-store.ts) of each: `specs/<project>/` and `folders/<project>/`,
 * named by a digest of the project's path.
 */
export function openRenderCaches(projectRoot: string, env: NodeJS.ProcessEnv = process.env): RenderCaches {
  const dir = renderCacheDir(env);
  const code = dir === null ? undefined : codeIdentity();
  if (dir === null || code === undefined) return {};
  return {
    specs: SpecCache.open(projectStoreDir(dir, 'specs', projectRoot), code),
    folders: RenderCache.open(projectStoreDir(dir, 'folders', projectRoot), code),
  };
}

/** Rendered service folders of one project and one version of the code. */
export class RenderCache implements FolderCache {
  /**
   * The project's store in folder `dir` for the code `code` identifies;
   * undefined when that code could not be identified (then nothing is
   * remembered).
   * @param code @default codeIdentity(): the code running now
   */
  static open(dir: string, code: string | undefined = codeIdentity()): RenderCache | undefined {
    return code === undefined ? undefined : new RenderCache(PackStore.open(dir, { format: CACHE_FORMAT, code }), code);
  }

  private constructor(
    private readonly store: PackStore<RememberedFolder>,
    /** Digest of the code that renders, part of every key. */
    private readonly code: string,
  ) {}

  /** The key of `svc`'s folder: sha256 over the code's digest and the resolved service as JSON. */
  keyOf(svc: ResolvedService): string {
    // The spec files by path: their text is already resolved into the service, and their comments change nothing.
    const input = {
      ...svc,
      source: svc.source.file,
      environment: { ...svc.environment, source: svc.environment.source.file },
    };
    return createHash('sha256').update(`${CACHE_FORMAT}\0${this.code}\0`).update(JSON.stringify(input)).digest('hex');
  }

  /** The folder remembered for `key`; undefined when there is none. */
  lookup(key: string): RememberedFolder | undefined {
    return this.store.lookup(key);
  }

  /** Remembers the folder rendered for `key` (kept by save()). */
  record(key: string, folder: RememberedFolder): void {
    this.store.record(key, folder);
  }

  /** Keeps exactly the folders of this run for the next one. */
  save(): void {
    this.store.save();
  }
}
