import { posix } from 'node:path';
import type { RenderedTree } from '../output/tree.js';
import { OWNERSHIP_FILE } from '../output/ownership.js';
import { decideWriteBacks, isWriteBackFile, SERVICE_MARKER } from '../output/write-back.js';

export { isWriteBackFile, SERVICE_MARKER };

/**
 * Who owns what under the rendered folder of the devops repository: the
 * generator owns all of it, like it owns `dist/`, except the Image Updater
 * write-back files (`.argocd-source*`) in folders that are still rendered:
 * they survive every publish. Two kinds go, decided as for `dist/`
 * (decideWriteBacks): a write-back file whose folder is no longer rendered
 * (its service was removed), which would silently pin the service to an old
 * tag if it were ever added back, and one beside a service whose tag is
 * pinned there, which would override the pin. Git history keeps them.
 */

export interface TreePlan {
  /** Files to (over)write, path (relative to the rendered folder) → content. */
  readonly write: readonly (readonly [string, string])[];
  /** Current files to delete. */
  readonly remove: readonly string[];
  /** Current files the generator does not own, left exactly as they are. */
  readonly keep: readonly string[];
  /** Write-back files removed because their service folder is gone (a subset of `remove`). */
  readonly orphanedWriteBacks: readonly string[];
  /**
   * Write-back files removed because their service's tag is
   * pinned there: they would override it (a subset of `remove`).
   */
  readonly overridingWriteBacks: readonly string[];
}

/** What to do with each current file so the rendered folder holds `rendered` plus what others own. */
export function planTree(current: readonly string[], rendered: RenderedTree): TreePlan {
  const others = [...current].sort().filter((path) => !rendered.has(path));
  const writeBacks = decideWriteBacks(others.filter(isWriteBackFile), rendered);
  const keep = new Set(writeBacks.keep);
  return {
    write: rendered.entries(),
    remove: others.filter((path) => !keep.has(path)),
    keep: [...writeBacks.keep],
    orphanedWriteBacks: writeBacks.orphaned,
    overridingWriteBacks: writeBacks.overriding,
  };
}

export type ChangeStatus = 'added' | 'removed' | 'changed';

/** One file that differs between the devops repository and the plan, relative to the rendered folder. */
export interface FileChange {
  readonly path: string;
  readonly status: ChangeStatus;
}

/** The changes of one folder as a person thinks of them: a service in an environment, or another part (argocd). */
export interface UnitChange {
  /** `<env>/<service>` for service folders, else the top-level entry (`argocd`). */
  readonly unit: string;
  /** Set for service folders. */
  readonly environment?: string;
  readonly service?: string;
  /** added: the folder is new; removed: it is gone; changed: some of its files differ. */
  readonly status: ChangeStatus;
  readonly files: readonly FileChange[];
}

/**
 * Groups file changes by service folder (any folder holding `app.json`
 * before or after) or else by top-level entry, sorted by unit. The ownership
 * marker is written with the rest but is no unit of its own: it changes only
 * with the folders it lists (or with the version of gitops-synth), so a
 * reader of a diff or a commit message learns nothing from it.
 */
export function groupChanges(
  changes: readonly FileChange[],
  before: readonly string[],
  after: readonly string[],
): UnitChange[] {
  const serviceDirs = new Set<string>();
  for (const p of [...before, ...after])
    if (posix.basename(p) === SERVICE_MARKER && p.includes('/')) serviceDirs.add(posix.dirname(p));
  const unitOf = (p: string): string => {
    const dir = posix.dirname(p);
    return serviceDirs.has(dir) ? dir : p.split('/')[0]!;
  };
  const existed = (unit: string, files: readonly string[]): boolean =>
    files.some((f) => f === unit || f.startsWith(`${unit}/`));
  const byUnit = new Map<string, FileChange[]>();
  for (const c of changes)
    if (c.path !== OWNERSHIP_FILE) byUnit.set(unitOf(c.path), [...(byUnit.get(unitOf(c.path)) ?? []), c]);
  return [...byUnit.keys()].sort().map((unit) => {
    const files = byUnit.get(unit)!.sort((a, b) => (a.path < b.path ? -1 : 1));
    const status: ChangeStatus = !existed(unit, before) ? 'added' : !existed(unit, after) ? 'removed' : 'changed';
    if (serviceDirs.has(unit)) {
      const [environment, ...rest] = unit.split('/');
      return { unit, environment, service: rest.join('/'), status, files };
    }
    return { unit, status, files };
  });
}
