import { posix } from 'node:path';
import type { ResolvedFile, ResolvedVolume } from '../model.js';
import type { FieldPath, ServiceScope } from './scope.js';

/**
 * Where a service's container mounts things, checked the way the kubelet
 * and the container runtime would fail at start: paths written in their
 * normal form, no two mounts at one path, and no mount inside another, with
 * one exception: anything may go inside the `/tmp` emptyDir gitops-synth
 * adds (it holds nothing to hide). A file inside a volume is refused rather
 * than allowed by an opt-in: its subPath mount would hide the file of that
 * name on the claim and leave an empty one there, and the program can as
 * well read its configuration from a folder of its own.
 */

/** The temporary folder, an emptyDir of the pod when the root filesystem is read-only. */
export const TMP_PATH = '/tmp';

/**
 * Folders of every Linux image: a file cannot be mounted over one (the
 * runtime refuses to mount a file onto a folder).
 */
const IMAGE_FOLDERS = new Set([
  '/',
  '/bin',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/sys',
]);
IMAGE_FOLDERS.add('/tmp').add('/usr').add('/var');

/**
 * Why `path` (absolute, as the schema checked) is not a mount path written in
 * its normal form, with the form expected; undefined when it is.
 */
export function mountPathProblem(path: string, what: 'file' | 'volume'): string | undefined {
  if (path.split('/').some((s) => s === '..'))
    return (
      `${path} has a ".." segment, which the container would resolve to another place than the one ` +
      `written; expected an absolute path without ".."`
    );
  const normal = posix.normalize(path).replace(/(.)\/+$/, '$1');
  if (normal !== path)
    return (
      `${path} is not written in its normal form (no "//", "." or trailing "/"), so two spellings could ` +
      `name one place; expected ${normal}`
    );
  if (what === 'volume' && path === '/')
    return 'a volume cannot be mounted over the whole filesystem; expected a folder such as /var/lib/<service>';
  if (what === 'file' && IMAGE_FOLDERS.has(path))
    return (
      `${path} is a folder in every image, and a file cannot be mounted over a folder; expected a file ` +
      `path inside it, such as ${path === '/' ? '' : path}/<service>.conf`
    );
  return undefined;
}

interface Mount {
  readonly path: string;
  readonly kind: 'volume' | 'file' | 'tmp';
  /** What to call it in a message. */
  readonly what: string;
  /** Where it was written; undefined for the /tmp emptyDir gitops-synth adds. */
  readonly at?: FieldPath;
}

/**
 * Checks the mounts of the main container against each other; each problem
 * is blamed on the mount written later (inside the other, or the second at
 * one path).
 */
export function checkMounts(
  s: ServiceScope,
  volumes: readonly ResolvedVolume[],
  files: readonly ResolvedFile[],
  writableTmp: boolean,
): void {
  const volumeIndex = (v: ResolvedVolume) => (s.fields.volumes ?? []).findIndex((x) => x.name === v.name);
  const mounts: Mount[] = [
    ...(writableTmp ? [{ path: TMP_PATH, kind: 'tmp' as const, what: 'the /tmp emptyDir gitops-synth adds' }] : []),
    ...volumes.map((v) => ({
      path: v.mountPath,
      kind: 'volume' as const,
      what: `volume "${v.name}"`,
      at: ['volumes', volumeIndex(v), 'mountPath'],
    })),
    ...files.map((f) => ({ path: f.path, kind: 'file' as const, what: `the file ${f.path}`, at: ['files', f.path] })),
  ];
  mounts.forEach((inner, i) => {
    if (!inner.at) return;
    const atKey = inner.kind === 'file';
    const twice = mounts.slice(0, i).find((m) => m.path === inner.path);
    if (twice)
      return s.fail(
        inner.at,
        `${inner.path} is mounted twice (${twice.what} and ${inner.what}); expected one volume or file per path` +
          (twice.kind === 'tmp' ? ' (a volume at /tmp replaces the emptyDir; a file goes inside /tmp)' : ''),
        atKey,
      );
    // Inside the /tmp emptyDir anything may go: it holds nothing to hide.
    const outer = mounts.find((m) => m.kind !== 'tmp' && inner.path.startsWith(`${m.path}/`));
    if (!outer) return;
    if (outer.kind === 'file')
      return s.fail(inner.at, `${inner.path} is inside ${outer.what}; expected a path outside ${outer.path}`, atKey);
    if (inner.kind === 'file')
      return s.fail(
        inner.at,
        `${inner.path} is inside ${outer.what} (mounted at ${outer.path}): the file would hide the claim's ` +
          `file of that name and leave an empty one on the claim; expected the file outside ${outer.path}, in ` +
          `a folder of its own (point the program at it, e.g. /etc/${s.name}/)`,
        atKey,
      );
    s.fail(
      inner.at,
      `${inner.path} is inside ${outer.what} (mounted at ${outer.path}): the inner mount would leave a ` +
        `folder on the outer claim and hide what the claim holds there; expected the volumes mounted side by ` +
        `side, not one inside the other`,
      atKey,
    );
  });
}
