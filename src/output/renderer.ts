import type { ResolvedService } from '../resolve/model.js';
import type { ResolvedProject } from '../resolve/resolve.js';
import type { LoadedProject } from '../spec/load.js';
import type { KustomizeFolder } from '../validate/kustomize.js';
import type { ModelLoader } from '../validate/schemas.js';
import type { RenderedObject } from './object.js';
import type { RenderedTree } from './tree.js';

/**
 * The contract between the orchestrator (pipeline/) and every renderer
 * (synth/, argocd/, bootstrap/): what a renderer is given and what it
 * returns. Renderers depend on this, never on the orchestrator.
 */

/** A service folder as it was rendered and validated: its files by path inside the folder, and its number of objects. */
export interface RememberedFolder {
  readonly files: readonly (readonly [string, string])[];
  readonly objects: number;
}

/** Service folders rendered and validated before, by a key of what they were made from. */
export interface FolderCache {
  keyOf(svc: ResolvedService): string;
  lookup(key: string): RememberedFolder | undefined;
  record(key: string, folder: RememberedFolder): void;
}

/** What a renderer sees: the loaded specs and their per-environment resolution. */
export interface RenderContext {
  readonly project: LoadedProject;
  readonly resolved: ResolvedProject;
  /** Folders rendered and validated before. @default none: everything is rendered */
  readonly renderCache?: FolderCache;
}

/** A part of the output: its files, and the objects in them that must pass schema validation. */
export interface RenderOutput {
  readonly tree: RenderedTree;
  /** Objects to validate, with the file each is in (relative to the output root). */
  readonly objects: readonly { readonly file: string; readonly object: RenderedObject['object'] }[];
  /** Folders to build with `kubectl kustomize`, with the number of objects each must yield and the files it is written with. */
  readonly kustomizeFolders?: readonly KustomizeFolder[];
  /** Extra schemas the objects need, by `apiVersion/kind`. */
  readonly schemas?: Record<string, ModelLoader>;
  /** Objects in `tree` not listed in `objects` because they passed validation when first rendered. @default 0 */
  readonly remembered?: number;
  /** Called once every object of the run passed schema validation: stores what was rendered now for next time. @default nothing */
  readonly remember?: () => void;
}

/** Makes one part of the output; may be async (to load what it needs only when it needs it). */
export type Renderer = (ctx: RenderContext) => RenderOutput | Promise<RenderOutput>;
