import { MANAGED_BY, SYNC_WAVE } from '../constructs/labels.js';
import type { RenderedObject } from '../output/object.js';
import type { ResolvedEnvironment, ResolvedService, ResolvedSettings } from '../resolve/model.js';

/**
 * `<env>/_environment/`: the objects of an environment that belong to no
 * single service (the namespace's default-deny NetworkPolicy, the Gateway,
 * the ExternalSecrets of Secrets several services share). The leading
 * underscore keeps it apart from service folders (a service name cannot
 * start with one) and from the ApplicationSet, which picks folders by their
 * app.json; an Application of its own syncs it (argocd/environment-application.ts).
 */
export const ENVIRONMENT_FOLDER = '_environment';

/** What an environment builder sees: the environment and its enabled services, resolved. */
export interface EnvironmentContext {
  readonly env: ResolvedEnvironment;
  readonly services: readonly ResolvedService[];
  /** Set when the Argo CD UI is published through this environment's Gateway: its host and Argo CD's namespace. */
  readonly argocdUi?: { readonly host: string; readonly namespace: string };
}

/** One kind of object of the environment folder; returns none when it does not apply. */
export interface EnvironmentBuilder {
  /** What it emits, for docs. */
  readonly describes: string;
  build(ctx: EnvironmentContext): RenderedObject['object'][];
}

/** Sync waves inside the environment folder: Secrets' sources first, then policies, then the Gateway. */
export const ENVIRONMENT_WAVE = { secrets: '-1', policies: '0', gateway: '1' } as const;

/** Metadata of an environment-level object: the project's labels, the environment as component, a sync wave. */
export function environmentMetadata(
  env: ResolvedEnvironment,
  name: string,
  wave: string,
  namespace = env.namespace,
  annotations: Record<string, string> = {},
) {
  return {
    name,
    namespace,
    labels: {
      'app.kubernetes.io/managed-by': MANAGED_BY,
      'app.kubernetes.io/part-of': env.partOf,
      'app.kubernetes.io/component': 'environment',
    },
    annotations: { [SYNC_WAVE]: wave, ...annotations },
  };
}

/** The Argo CD UI's host and namespace when it is published through `env`'s Gateway. */
export function argocdUiOf(
  env: ResolvedEnvironment,
  settings: ResolvedSettings | undefined,
): EnvironmentContext['argocdUi'] {
  if (!settings || settings.ui.environment !== env.name || settings.ui.routing.kind !== 'gateway') return undefined;
  return { host: settings.ui.host, namespace: settings.namespace };
}
