import type { ResolvedService, ResolvedVolume } from '../model.js';
import { knownImage, knownUserIds } from '../well-known.js';
import { TMP_PATH } from './mounts.js';
import type { ServiceScope } from './scope.js';

/**
 * `securityContext` over the secure defaults (non-root, read-only root
 * filesystem), and whether the pod needs a writable `/tmp`.
 */
export function resolveSecurity(
  s: ServiceScope,
  volumes: readonly ResolvedVolume[],
  image: ResolvedService['image'] | undefined,
): Pick<ResolvedService, 'securityContext' | 'writableTmp'> {
  const sc = s.fields.securityContext ?? {};
  if (sc.runAsUser === 0 && sc.runAsNonRoot === true)
    s.fail(
      ['securityContext', 'runAsUser'],
      'runAsUser 0 (root) contradicts runAsNonRoot: true; expected a non-zero UID, or runAsNonRoot: false',
    );
  const runAsNonRoot = sc.runAsNonRoot ?? sc.runAsUser !== 0;
  if (image && runAsNonRoot && sc.runAsUser === undefined) checkImageUser(s, image);
  const readOnlyRootFilesystem = sc.readOnlyRootFilesystem ?? true;
  return {
    securityContext: {
      runAsNonRoot,
      runAsUser: sc.runAsUser,
      runAsGroup: sc.runAsGroup,
      fsGroup: sc.fsGroup,
      readOnlyRootFilesystem,
    },
    // Files inside /tmp are mounted inside the emptyDir: /tmp stays writable.
    writableTmp: readOnlyRootFilesystem && !volumes.some((v) => v.mountPath === TMP_PATH),
  };
}

/**
 * An official image known to start as root (or as a user given by name)
 * cannot start with runAsNonRoot and no runAsUser: Kubernetes verifies only
 * a numeric non-root user. For other images the user is unknown here (an
 * image whose Dockerfile says `USER 1000` starts fine), so nothing is said.
 */
function checkImageUser(s: ServiceScope, image: ResolvedService['image']): void {
  const known = knownImage(image.repository);
  if (!known || known.numericUser) return;
  const ids = knownUserIds(known, image.tag);
  const expected = known.unprivileged
    ? `expected an image that runs unprivileged, such as ${known.unprivileged}, or securityContext.runAsNonRoot: false`
    : ids
      ? `expected securityContext: {runAsUser: ${ids.uid}, runAsGroup: ${ids.gid}, fsGroup: ${ids.gid}} (the ` +
        `image's ${known.user} user), or runAsNonRoot: false`
      : `expected securityContext.runAsUser: the uid of the image's ${known.user} user, or runAsNonRoot: false`;
  s.fail(
    s.fields.securityContext ? ['securityContext'] : ['image', 'repository'],
    `the official ${image.repository} image ` +
      (known.userByName
        ? `runs as the user ${known.user}, given by name, `
        : `starts as root (its entrypoint switches to the user ${known.user}), `) +
      `and Kubernetes refuses to start a container with runAsNonRoot (the default) unless runAsUser names ` +
      `a non-root uid; ${expected}`,
  );
}
