import type { ResolvedFile, ResolvedService, ResolvedVolume } from '../model.js';
import type { ServiceScope } from './scope.js';

/**
 * `securityContext` over the secure defaults (non-root, read-only root
 * filesystem), and whether the pod needs a writable `/tmp`.
 */
export function resolveSecurity(
  s: ServiceScope,
  volumes: readonly ResolvedVolume[],
  files: readonly ResolvedFile[],
): Pick<ResolvedService, 'securityContext' | 'writableTmp'> {
  const sc = s.fields.securityContext ?? {};
  if (sc.runAsUser === 0 && sc.runAsNonRoot === true)
    s.fail(
      ['securityContext', 'runAsUser'],
      'runAsUser 0 (root) contradicts runAsNonRoot: true; expected a non-zero UID, or runAsNonRoot: false',
    );
  const readOnlyRootFilesystem = sc.readOnlyRootFilesystem ?? true;
  return {
    securityContext: {
      runAsNonRoot: sc.runAsNonRoot ?? sc.runAsUser !== 0,
      runAsUser: sc.runAsUser,
      runAsGroup: sc.runAsGroup,
      fsGroup: sc.fsGroup,
      readOnlyRootFilesystem,
    },
    writableTmp:
      readOnlyRootFilesystem &&
      !volumes.some((v) => v.mountPath === '/tmp') &&
      !files.some((x) => x.path.startsWith('/tmp/')),
  };
}
