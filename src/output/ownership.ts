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

const HEADER = [
  '# Written by gitops-synth: the files listed below, one folder a line, are its own. Every synth rewrites them',
  '# and removes those it no longer renders; it never deletes or overwrites a file that is not listed here.',
  '# Generated; do not edit.',
];

/** What a service folder was rendered from, and what it holds: digests, so a later run can take the folder as it is. */
export interface FolderDigests {
  /** Digest of the resolved service the folder was rendered from (renderer-identity.ts). */
  readonly input: string;
  /** contentDigest() of the folder's files. */
  readonly content: string;
}

/** What a marker records. */
export interface OwnershipRecord {
  /** Every file gitops-synth wrote (relative, `/`-separated). */
  readonly files: ReadonlySet<string>;
  /** Identity of the code that rendered the service folders, when recorded. */
  readonly renderer?: string;
  /** Service folders with the digests they were written with. */
  readonly folders: ReadonlyMap<string, FolderDigests>;
  /** The names of `files` by folder (`.` for the root), in the marker's order. */
  readonly names: ReadonlyMap<string, readonly string[]>;
}

/**
 * The marker's text for a tree of these files (relative, `/`-separated; the
 * marker itself is implied): one line per folder, `<folder>/` (`./` for the
 * root), the folder's digests when given (`=<input>.<content>`) and its file
 * names, sorted, so the same files give the same bytes and a changed folder
 * changes one line. `renderer` names the code that rendered the folders.
 */
export function ownershipRecord(
  paths: Iterable<string>,
  proofs?: { readonly renderer: string; readonly folders: ReadonlyMap<string, FolderDigests> },
): string {
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
  const lines = [...folders.keys()].sort(codeUnitOrder).map((folder) => {
    const digests = proofs?.folders.get(folder);
    const proof = digests ? ` =${digests.input}.${digests.content}` : '';
    return `${folder}/${proof} ${folders.get(folder)!.sort(codeUnitOrder).join(' ')}`;
  });
  const renderer = proofs ? [`renderer ${proofs.renderer}`] : [];
  return `${[...HEADER, ...renderer, ...lines].join('\n')}\n`;
}

/** What a marker's text records; undefined when the text is not a marker ownershipRecord wrote. */
export function parseOwnershipRecord(text: string): OwnershipRecord | undefined {
  if (!text.startsWith(HEADER[0]!)) return undefined;
  const files = new Set<string>();
  const folders = new Map<string, FolderDigests>();
  const byFolder = new Map<string, string[]>();
  let renderer: string | undefined;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('renderer ')) {
      renderer = line.slice('renderer '.length);
      continue;
    }
    const [folder, ...names] = line.split(' ');
    if (!folder?.endsWith('/') || names.length === 0) return undefined;
    const prefix = folder === './' ? '' : folder;
    if (prefix !== '' && !isTreePath(prefix.slice(0, -1))) return undefined;
    const proof = /^=([\w-]+)\.([\w-]+)$/.exec(names[0]!);
    if (proof) {
      folders.set(folder.slice(0, -1), { input: proof[1]!, content: proof[2]! });
      names.shift();
    }
    for (const name of names) {
      if (name === '' || name === '.' || name === '..' || name.includes('/')) return undefined;
      files.add(`${prefix}${name}`);
    }
    byFolder.set(prefix === '' ? '.' : prefix.slice(0, -1), names);
  }
  return { files, renderer, folders, names: byFolder };
}

/** A relative path inside a tree: no empty, `.` or `..` segment, not absolute. */
function isTreePath(path: string): boolean {
  return !path.startsWith('/') && path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
