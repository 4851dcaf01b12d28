import type { ResolvedEnvironment, ResolvedService, ResolvedSettings } from '../resolve/model.js';
import type { RenderedObject } from '../output/object.js';

export interface ArgoCdContext {
  readonly settings: ResolvedSettings;
  readonly environments: readonly ResolvedEnvironment[];
  /** Per environment name, its enabled services sorted by name. */
  readonly services: ReadonlyMap<string, readonly ResolvedService[]>;
}

/** An object of `dist/argocd/`, with its file name there. */
export type ArgoCdObject = RenderedObject;

/**
 * One kind of output of `dist/argocd/`, like one of Argo CD's own
 * ApplicationSet generators: it looks at the context and returns its objects
 * (none when it does not apply).
 */
export interface ArgoCdBuilder {
  /** What it emits, for messages and docs. */
  readonly describes: string;
  build(ctx: ArgoCdContext): ArgoCdObject[];
}
