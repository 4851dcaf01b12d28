import { codeUnitOrder } from '../util/order.js';

/**
 * The ownership marker: every tree gitops-synth writes (dist/, `synth --out`,
 * the devops folder `publish` fills) carries OWNERSHIP_FILE at its root,
 * listing the files it wrote there. It is part of the rendered tree, so it
 * is compared, written and published like any other file; write/claim.ts
 * decides from it what a command may replace. Argo CD never reads it: the
 * ApplicationSets read `<env>/<service>/app.json` and the root Application
 * `argocd/` only.
 */

/** The ownership marker at the root of every tree gitops-synth writes. */
export const OWNERSHIP_FILE = '.gitops-synth-owned';

/** Files Argo CD Image Updater writes back next to a kustomization; the generator never owns them. */
export const IMAGE_UPDATER_FILE_PREFIX = '.argocd-source';

const HEADER = [
  '# Written by gitops-synth: the files listed below, one folder a line, are its own. Every synth rewrites them',
  '# and removes those it no longer renders; it never deletes or overwrites a file that is not listed here.',
  '# Generated; do not edit.',
];

/** Whether `path` (relative, `/`-separated) is an Image Updater write-back file. */
export function isImageUpdaterFile(path: string): boolean {
  return path.slice(path.lastIndexOf('/') + 1).startsWith(IMAGE_UPDATER_FILE_PREFIX);
}

/**
 * The marker's text for a tree of these files (relative, `/`-separated; the
 * marker itself is implied): one line per folder, `<folder>/` (`./` for the
 * root) and its file names, sorted, so the same files give the same bytes
 * and a changed folder changes one line.
 */
export function ownershipRecord(paths: Iterable<string>): string {
  const folders = new Map<string, string[]>();
  for (const path of paths) {
    if (path === OWNERSHIP_FILE) continue;
    if (/[\s\0-\x1f]/.test(path)) throw new Error(`internal error: rendered path with a blank or control: ${path}`);
    const slash = path.lastIndexOf('/');
    const folder = slash < 0 ? '.' : path.slice(0, slash);
    const names = folders.get(folder);
    if (names) names.push(path.slice(slash + 1));
    else folders.set(folder, [path.slice(slash + 1)]);
  }
  const lines = [...folders.keys()]
    .sort(codeUnitOrder)
    .map((folder) => `${folder}/ ${folders.get(folder)!.sort(codeUnitOrder).join(' ')}`);
  return `${[...HEADER, ...lines].join('\n')}\n`;
}

/** The files a marker's text records; undefined when the text is not a marker ownershipRecord wrote. */
export function parseOwnershipRecord(text: string): Set<string> | undefined {
  if (!text.startsWith(HEADER[0]!)) return undefined;
  const files = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [folder, ...names] = line.split(' ');
    if (!folder?.endsWith('/') || names.length === 0) return undefined;
    const prefix = folder === './' ? '' : folder;
    for (const name of names) {
      const path = `${prefix}${name}`;
      if (name === '' || name.includes('/') || !isTreePath(path)) return undefined;
      files.add(path);
    }
  }
  return files;
}

/** A relative path inside a tree: no empty, `.` or `..` segment, not absolute. */
function isTreePath(path: string): boolean {
  return !path.startsWith('/') && path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
