import type { ResolvedEnvironment, ResolvedService } from '../resolve/model.js';
import type { ArgoCdContext } from './model.js';
import { writeBackMethod } from './names.js';

/**
 * An environment's image policy in Image Updater's terms, shared by both
 * configuration styles (ImageUpdater resources and legacy annotations) so
 * the two cannot say different things.
 */
export interface ImageUpdatePolicy {
  readonly updateStrategy: 'newest-build' | 'semver';
  readonly allowTags: string;
  /** Semver range, appended to the image name (`repo:<constraint>`), as Image Updater takes it. */
  readonly constraint?: string;
  /** Git write-back to the devops branch; the target is the default `.argocd-source-<app>.yaml`. */
  readonly writeBack: { readonly method: string; readonly repository: string; readonly branch: string };
}

export function imageUpdatePolicy(ctx: ArgoCdContext, env: ResolvedEnvironment): ImageUpdatePolicy {
  const p = env.imagePolicy;
  return {
    updateStrategy: p.strategy,
    allowTags: p.allowTags,
    constraint: p.strategy === 'semver' ? p.constraint : undefined,
    writeBack: {
      method: writeBackMethod(ctx),
      repository: ctx.settings.repository.url,
      branch: ctx.settings.repository.branch,
    },
  };
}

/** `imageName` of an ImageUpdater image: the repository, with the semver constraint as its tag. */
export function imageNameWithConstraint(repository: string, policy: ImageUpdatePolicy): string {
  return policy.constraint ? `${repository}:${policy.constraint}` : repository;
}

/** The services of an environment whose tag Image Updater moves. */
export function autoUpdatedServices(ctx: ArgoCdContext, env: ResolvedEnvironment): readonly ResolvedService[] {
  return (ctx.services.get(env.name) ?? []).filter((s) => s.image.autoUpdate);
}
