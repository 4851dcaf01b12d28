import { applicationName } from '../argocd/names.js';
import { runningImage } from '../output/write-back.js';
import type { RenderedTree } from '../output/tree.js';
import type { AppliedPlan } from './checkout.js';
import type { UnitChange } from './plan.js';

/** One changed service folder and the image it deploys, for the commit message. */
export interface DeployedImage {
  /** `<env>/<service>`. */
  readonly unit: string;
  /** `<repository>:<tag>` as Argo CD will run it (a kept Image Updater write-back applied). */
  readonly reference: string;
  readonly from: 'spec' | 'pin' | 'image-updater';
}

/**
 * The image each added or changed service folder deploys after the publish:
 * the rendered tag, or the tag of the Image Updater write-back the plan keeps
 * (an auto-updated service's write-back survives the publish and wins).
 * `readKept` gives a kept file's content (relative to the rendered folder) as
 * the devops branch holds it.
 */
export function deployedImages(
  units: readonly UnitChange[],
  rendered: RenderedTree,
  applied: AppliedPlan,
  readKept: (path: string) => string | undefined,
): DeployedImage[] {
  const kept = new Set(applied.plan.keep);
  const read = (path: string): string | undefined => {
    const content = rendered.get(path);
    if (content !== undefined || !kept.has(path)) return content;
    return readKept(path);
  };
  const out: DeployedImage[] = [];
  for (const u of units) {
    if (u.status === 'removed' || u.service === undefined || u.environment === undefined) continue;
    const image = runningImage(u.unit, applicationName(u.service, u.environment), read);
    if (!image) continue;
    const from = image.from === 'image-updater' ? 'image-updater' : image.autoUpdate ? 'spec' : 'pin';
    const separator = image.tag.startsWith('@') ? '' : ':';
    out.push({ unit: u.unit, reference: `${image.repository}${separator}${image.tag}`, from });
  }
  return out;
}

/** The commit message's lines for them: `  prod/api  ghcr.io/acme-shop/api:1.4.1 (pinned)`. */
export function deployedImageLines(images: readonly DeployedImage[]): string[] {
  const width = Math.max(0, ...images.map((i) => i.unit.length));
  const note = { spec: '', pin: ' (pinned)', 'image-updater': ' (Image Updater)' } as const;
  return images.map((i) => `  ${i.unit.padEnd(width)}  ${i.reference}${note[i.from]}`);
}
