import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentDigest, OWNERSHIP_FILE, parseOwnershipRecord } from '../output/ownership.js';
import type { ProvenFolders } from '../output/renderer.js';

/**
 * The service folders of the output in `outDir` that a run may take as they
 * are instead of rendering them (see output/renderer.ts): its ownership
 * marker records, for each, the digest of the resolved service it was
 * rendered from and of its files, and the identity of the code that
 * rendered them. A folder is taken when the code is the same (`renderer`),
 * the service resolves to the same input, and its files, read now, still
 * have the recorded digest: then rendering it again would give exactly these
 * bytes, and the run that wrote them (or CI's `validate` of the commit that
 * holds them) checked them. Undefined when the output has no marker of this
 * code.
 */
export function openProvenFolders(outDir: string, renderer: string | undefined): ProvenFolders | undefined {
  if (renderer === undefined) return undefined;
  const text = readPlainFile(join(outDir, OWNERSHIP_FILE));
  const record = text === undefined ? undefined : parseOwnershipRecord(text);
  if (record?.renderer !== renderer) return undefined;
  const names = new Map<string, string[]>();
  for (const path of record.files) {
    const slash = path.lastIndexOf('/');
    const folder = path.slice(0, Math.max(slash, 0));
    if (!record.folders.has(folder)) continue;
    const list = names.get(folder);
    if (list) list.push(path.slice(slash + 1));
    else names.set(folder, [path.slice(slash + 1)]);
  }
  return {
    take(folder, input) {
      const digests = record.folders.get(folder);
      if (digests?.input !== input) return undefined;
      const files: [string, string][] = [];
      for (const name of names.get(folder) ?? []) {
        const content = readPlainFile(join(outDir, folder, name));
        if (content === undefined) return undefined;
        files.push([name, content]);
      }
      if (files.length === 0 || contentDigest(files) !== digests.content) return undefined;
      const objects = files.filter(([name]) => name.endsWith('.yaml') && name !== 'kustomization.yaml').length;
      return { files, objects, content: digests.content };
    },
  };
}

/**
 * The text of a regular, non-executable file, without following a symbolic
 * link (which could point anywhere, a device included); undefined otherwise.
 */
function readPlainFile(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile() || (stat.mode & 0o111) !== 0) return undefined;
    return readFileSync(fd, 'utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
