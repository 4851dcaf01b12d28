import { applicationName } from '../argocd/names.js';
import { type RunningImage, runningImage } from '../output/write-back.js';
import type { UnitChange } from '../publish/plan.js';

/** A service whose running image changes: what a reviewer wants to read before the object diff. */
export interface TagChange {
  readonly service: string;
  readonly environment: string;
  readonly before: RunningImage;
  readonly after: RunningImage;
}

/**
 * The image changes among the changed service folders: the image Argo CD
 * deploys (app.json, with the write-back files applied) before and after.
 * Folders added or removed are not tag bumps and are left out.
 */
export function tagChanges(
  units: readonly UnitChange[],
  before: (path: string) => string | undefined,
  after: (path: string) => string | undefined,
): TagChange[] {
  const out: TagChange[] = [];
  for (const u of units) {
    if (u.status !== 'changed' || u.service === undefined || u.environment === undefined) continue;
    const app = applicationName(u.service, u.environment);
    const was = runningImage(u.unit, app, before);
    const now = runningImage(u.unit, app, after);
    if (was && now && (was.tag !== now.tag || was.repository !== now.repository))
      out.push({ service: u.service, environment: u.environment, before: was, after: now });
  }
  return out;
}

/** `api: 1.4.2 → 1.4.3 (prod)`, with the repository when it changed and a note when a pin starts or ends. */
export function describeTagChange(c: TagChange): string {
  const moved = c.before.repository !== c.after.repository;
  const ref = (i: RunningImage) => (moved ? `${i.repository}:${i.tag}` : i.tag);
  const notes = [c.environment];
  if (c.before.autoUpdate && !c.after.autoUpdate) notes.push('pinned');
  if (!c.before.autoUpdate && c.after.autoUpdate) notes.push('unpinned');
  return `${c.service}: ${ref(c.before)} → ${ref(c.after)} (${notes.join(', ')})`;
}
