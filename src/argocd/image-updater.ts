import semver from 'semver';
import type { ResolvedEnvironment } from '../resolve/model.js';
import {
  autoUpdatedServices,
  imageNameWithConstraint,
  overridesEnvironment,
  updatePolicy,
  updateSettings,
  writeBack,
} from './image-policy.js';
import type { ArgoCdBuilder, ArgoCdContext, ArgoCdObject } from './model.js';
import {
  applicationName,
  argoMetadata,
  argoObject,
  ENVIRONMENT_LABEL,
  IMAGE_UPDATER_API,
  IMAGE_UPDATER_LABEL,
  WAVE,
} from './names.js';
import { ANNOTATIONS_MODE } from './template-patch.js';

/**
 * One `ImageUpdater` (Image Updater v1.2+) per environment that has
 * auto-updated services, in the Applications' namespace (no spec.namespace:
 * v1.2 removed it).
 *
 * - `imageUpdater: crd`: one applicationRef per auto-updated service, matched
 *   by its exact Application name, with its image and the environment's
 *   policy. Pinned services are in no ref, and each Application is in exactly
 *   one resource (one per environment, exact names), so no two resources
 *   ever fight over an Application.
 * - `imageUpdater: annotations` with a v1.2+ Image Updater: one ref with
 *   `useAnnotations`, selecting the environment's Applications that carry the
 *   legacy annotations (by label). With a v0.x Image Updater there is no CRD
 *   and nothing is emitted: v0.x reads the annotations by itself.
 */
export const imageUpdaters: ArgoCdBuilder = {
  describes: 'an ImageUpdater per environment with auto-updated services',
  build: (ctx) => ctx.environments.flatMap((env) => imageUpdater(ctx, env)),
};

function imageUpdater(ctx: ArgoCdContext, env: ResolvedEnvironment): ArgoCdObject[] {
  const services = autoUpdatedServices(ctx, env);
  if (!services.length) return [];
  const spec =
    ctx.settings.imageUpdater.mode === 'annotations' ? annotationsSpec(ctx, env) : crdSpec(ctx, env, services);
  if (!spec) return [];
  const metadata = argoMetadata(ctx, env.name, WAVE.apps, { labels: { [ENVIRONMENT_LABEL]: env.name } });
  return [argoObject({ apiVersion: IMAGE_UPDATER_API, kind: 'ImageUpdater', metadata, spec })];
}

/** One ref reading the legacy annotations of the environment's Applications; none for a v0.x Image Updater (no CRD). */
function annotationsSpec(ctx: ArgoCdContext, env: ResolvedEnvironment): Record<string, unknown> | undefined {
  if (semver.lt(ctx.settings.imageUpdater.version.replace(/^v/, ''), '1.0.0')) return undefined;
  return {
    applicationRefs: [
      {
        namePattern: applicationName('*', env),
        labelSelectors: { matchLabels: { [ENVIRONMENT_LABEL]: env.name, [IMAGE_UPDATER_LABEL]: ANNOTATIONS_MODE } },
        useAnnotations: true,
      },
    ],
  };
}

/**
 * One ref per auto-updated service, by its exact Application name. The
 * environment's policy is the resource's `commonUpdateSettings`; a service
 * with a policy of its own carries it on its image, every setting written
 * (see updateSettings), and its constraint in the image name.
 */
function crdSpec(
  ctx: ArgoCdContext,
  env: ResolvedEnvironment,
  services: ReturnType<typeof autoUpdatedServices>,
): Record<string, unknown> {
  const policy = updatePolicy(env.imagePolicy);
  const target = writeBack(ctx);
  return {
    commonUpdateSettings: updateSettings(policy),
    // No writeBackTarget: the default .argocd-source-<app>.yaml beside the kustomization.
    writeBackConfig: {
      method: target.method,
      gitConfig: { repository: target.repository, branch: target.branch },
    },
    applicationRefs: services.map((svc) => {
      const own = overridesEnvironment(svc) ? updatePolicy(svc.image.policy) : undefined;
      return {
        namePattern: applicationName(svc.name, env),
        images: [
          {
            alias: svc.name,
            imageName: imageNameWithConstraint(svc.image.repository, own ?? policy),
            ...(own ? { commonUpdateSettings: updateSettings(own) } : {}),
            manifestTargets: { kustomize: { name: svc.image.repository } },
          },
        ],
      };
    }),
  };
}
