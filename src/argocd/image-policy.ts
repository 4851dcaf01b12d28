import type { ResolvedEnvironment, ResolvedImagePolicy, ResolvedService } from '../resolve/model.js';
import type { ArgoCdContext } from './model.js';
import { writeBackMethod } from './names.js';

/**
 * An image policy in Image Updater's terms, shared by both configuration
 * styles (ImageUpdater resources and legacy annotations) so the two cannot
 * say different things.
 */
export interface ImageUpdatePolicy {
  readonly updateStrategy: 'newest-build' | 'semver';
  readonly allowTags: string;
  /** Semver range, appended to the image name (`repo:<constraint>`), as Image Updater takes it. */
  readonly constraint?: string;
}

/** Git write-back to the devops branch; the target is the default `.argocd-source-<app>.yaml`. */
export interface WriteBack {
  readonly method: string;
  readonly repository: string;
  readonly branch: string;
}

export function updatePolicy(p: ResolvedImagePolicy): ImageUpdatePolicy {
  return {
    updateStrategy: p.strategy,
    allowTags: p.allowTags,
    constraint: p.strategy === 'semver' ? p.constraint : undefined,
  };
}

/**
 * Every setting of an ImageUpdater `commonUpdateSettings` that a policy
 * decides, all written out. With the v1.3.0 CRD the API server fills
 * `updateStrategy: semver` and `forceUpdate: false` into any such object the
 * manifest leaves partly empty (at the spec, ref and image level alike), so
 * a nested object that left the strategy out would turn a newest-build
 * policy into semver; written in full, nothing is left to the defaults.
 */
export function updateSettings(policy: ImageUpdatePolicy): Record<string, unknown> {
  return { updateStrategy: policy.updateStrategy, forceUpdate: false, allowTags: policy.allowTags };
}

export function writeBack(ctx: ArgoCdContext): WriteBack {
  return {
    method: writeBackMethod(ctx),
    repository: ctx.settings.repository.url,
    branch: ctx.settings.repository.branch,
  };
}

/**
 * Whether a service's image policy differs from its environment's
 * (it has an `image.policy` of its own that changes something).
 */
export function overridesEnvironment(svc: ResolvedService): boolean {
  const own = svc.image.policy;
  const env = svc.environment.imagePolicy;
  return own.strategy !== env.strategy || own.allowTags !== env.allowTags || own.constraint !== env.constraint;
}

/** `imageName` of an ImageUpdater image: the repository, with the semver constraint as its tag. */
export function imageNameWithConstraint(repository: string, policy: ImageUpdatePolicy): string {
  return policy.constraint ? `${repository}:${policy.constraint}` : repository;
}

/** The services of an environment whose tag Image Updater moves. */
export function autoUpdatedServices(ctx: ArgoCdContext, env: ResolvedEnvironment): readonly ResolvedService[] {
  return (ctx.services.get(env.name) ?? []).filter((s) => s.image.autoUpdate);
}
