import type { ResolvedEnvironment, ResolvedService } from '../resolve/model.js';
import type { RenderedObject } from '../synth/render-service.js';

/**
 * What the builders of `dist/argocd/` work from: the project settings with
 * every default applied, and the resolved environments and services.
 */

export type ImageUpdaterMode = 'crd' | 'annotations';

export interface RegistrySettings {
  readonly name: string;
  readonly prefix: string;
  readonly apiUrl: string;
  /** Image Updater credential reference (never a value). */
  readonly credentials?: string;
}

export interface ArgoCdSettings {
  /** `app.kubernetes.io/part-of` of every object. */
  readonly partOf: string;
  /** Namespace of Argo CD, Image Updater, the Applications and everything under `argocd/`. */
  readonly namespace: string;
  /** The devops repository Argo CD reads the rendered tree from and Image Updater writes back to. */
  readonly repository: {
    readonly url: string;
    readonly branch: string;
    /** Folder of the rendered tree inside the repository, e.g. `dist`. */
    readonly path: string;
    /** Secret (in `namespace`) with the credentials Image Updater pushes with. */
    readonly writeSecret: string;
  };
  /** The Argo CD UI's Ingress. */
  readonly ui: { readonly host: string; readonly ingressClassName: string; readonly clusterIssuer?: string };
  readonly sso?: { readonly organization: string; readonly adminTeam: string; readonly clientId?: string; readonly disableAdmin: boolean };
  readonly registries: readonly RegistrySettings[];
  readonly imageUpdater: { readonly mode: ImageUpdaterMode; readonly version: string };
  readonly argocdVersion: string;
  /** The settings file, relative to the project (whether or not it exists), for messages. */
  readonly settingsFile: string;
}

export interface ArgoCdContext {
  readonly settings: ArgoCdSettings;
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
