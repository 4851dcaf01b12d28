import { parse } from 'yaml';

/**
 * The record build-image.yml writes into the devops repository when it
 * promotes a release: which build (short-sha tag, commit) got the release
 * tag, and the digest both tags name. `app list` reads it to tell whether a
 * release an environment runs is an image another environment ran. One file
 * per image and release, at the repository's root, outside the rendered
 * folder, so publish never touches it.
 */

export const RELEASES_DIR = '.gitops-synth/releases';

export interface ReleaseRecord {
  readonly image: string;
  readonly release: string;
  /** The build tag (short commit sha) the release tag was added to. */
  readonly build: string;
  readonly commit: string;
  /** The digest both tags name (checked by the workflow after tagging). */
  readonly digest: string;
}

/** Where the record of `release` of `image` is, relative to the devops repository's root. */
export function releaseRecordPath(image: string, release: string): string {
  return `${RELEASES_DIR}/${image}/${release}.yaml`;
}

/** A record as the workflow writes it; undefined when the text is not one (or names another image or release). */
export function parseReleaseRecord(text: string, image: string, release: string): ReleaseRecord | undefined {
  let data: Record<string, unknown> | null;
  try {
    data = parse(text) as Record<string, unknown> | null;
  } catch {
    return undefined;
  }
  const field = (k: string) => (typeof data?.[k] === 'string' ? (data[k] as string) : String(data?.[k] ?? ''));
  if (!data || field('image') !== image || field('release') !== release) return undefined;
  if (!/^[0-9a-f]{7,40}$/.test(field('build')) || !/^sha256:[0-9a-f]{64}$/.test(field('digest'))) return undefined;
  return { image, release, build: field('build'), commit: field('commit'), digest: field('digest') };
}
