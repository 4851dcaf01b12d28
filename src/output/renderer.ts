import type { ResolvedProject } from '../resolve/resolve.js';
import type { LoadedProject } from '../spec/load.js';
import type { KustomizeFolder } from '../validate/kustomize.js';
import type { ModelLoader } from '../validate/schemas.js';
import type { RenderedObject } from './object.js';
import type { FolderDigests } from './ownership.js';
import type { RenderedTree } from './tree.js';

/**
 * The contract between the orchestrator (pipeline/) and every renderer
 * (synth/, argocd/, bootstrap/): what a renderer is given and what it
 * returns. Renderers depend on this, never on the orchestrator.
 */

/** A service folder of the output taken as it is (ProvenFolders). */
export interface TakenFolder {
  /** Its files' names. */
  readonly names: readonly string[];
  /** Its objects (the files other than the kustomization). */
  readonly objects: number;
  /** contentDigest of its files, as the ownership marker records it. */
  readonly digest: string;
  /**
   * Its files (name, content), which may be read from the output only now
   * (then checked against `digest`, throwing when they no longer match).
   */
  files(): readonly (readonly [string, string])[];
}

/**
 * Service folders of the output being written, each taken as it is when it
 * was rendered from the same input by the same code (ownership marker) and
 * its files still hold what was written.
 */
export interface ProvenFolders {
  /** The folder when its recorded input digest is `input` and its files are intact. */
  take(folder: string, input: string): TakenFolder | undefined;
}

/** What a renderer sees: the loaded specs and their per-environment resolution. */
export interface RenderContext {
  readonly project: LoadedProject;
  readonly resolved: ResolvedProject;
  /** Folders of the output that need no rendering. @default none */
  readonly provenFolders?: ProvenFolders;
}

/** A part of the output: its files, and the objects in them that must pass schema validation. */
export interface RenderOutput {
  readonly tree: RenderedTree;
  /** Objects to validate, with the file each is in (relative to the output root). */
  readonly objects: readonly { readonly file: string; readonly object: RenderedObject['object'] }[];
  /**
   * Folders to build with `kubectl kustomize`, with the number
   * of objects each must yield and the files it is written with.
   */
  readonly kustomizeFolders?: readonly KustomizeFolder[];
  /** Extra schemas the objects need, by `apiVersion/kind`. */
  readonly schemas?: Record<string, ModelLoader>;
  /** Objects in `tree` not listed in `objects` because they were taken as they are (ProvenFolders). @default 0 */
  readonly remembered?: number;
  /** The digests of each service folder, for the ownership marker. @default none */
  readonly folderDigests?: ReadonlyMap<string, FolderDigests>;
  /** Files taken as they are from the output (ProvenFolders): they hold exactly these bytes there. @default none */
  readonly provenFiles?: readonly string[];
}

/** Makes one part of the output; may be async (to load what it needs only when it needs it). */
export type Renderer = (ctx: RenderContext) => RenderOutput | Promise<RenderOutput>;
