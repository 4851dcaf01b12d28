import { SETTINGS_FILE, type SettingsFile } from '../spec/settings-schema.js';

/**
 * The tag formats the image pipeline produces, from the one setting
 * `imageTags`. Environments' allowTags default to these and the generated
 * build workflow tags images with these, so the two cannot drift apart.
 */
export interface ImageTagFormats {
  /** Build tags: the bare short commit sha. */
  readonly build: { readonly shaLength: number; readonly allowTags: string; readonly example: string };
  /** Release tags: the semver version, optionally prefixed with "v". */
  readonly release: { readonly prefix: '' | 'v'; readonly allowTags: string; readonly example: string };
}

export function imageTagFormats(settings: SettingsFile): ImageTagFormats {
  const shaLength = settings.imageTags?.shaLength ?? 7;
  const prefix = settings.imageTags?.releasePrefix ?? '';
  return {
    build: {
      shaLength,
      allowTags: `regexp:^[0-9a-f]{${shaLength}}$`,
      example: '0123456789abcdef0123456789abcdef01234567'.slice(0, shaLength),
    },
    // Strict X.Y.Z: an all-digit short sha would otherwise parse as a huge version and reach prod.
    release: { prefix, allowTags: 'regexp:^v?[0-9]+\\.[0-9]+\\.[0-9]+$', example: `${prefix}1.2.3` },
  };
}

/** Whether an allowTags filter (`regexp:<re>` or `any`) accepts a tag. */
export function tagAllowed(tag: string, allowTags: string): boolean {
  if (allowTags === 'any') return true;
  return new RegExp(allowTags.slice('regexp:'.length)).test(tag);
}

/** An all-digit short sha: a semver policy would read it as version 1234567.0.0. */
const ALL_DIGIT_SHA = '1234567';

/**
 * What is wrong with an allowTags filter for a strategy, as messages: it
 * must accept the tag format the pipeline produces for the strategy (or
 * Image Updater would never move the tag), and a semver filter must reject
 * an all-digit short sha (which parses as a huge version and would deploy).
 */
export function allowTagsProblems(
  policy: { readonly strategy: 'newest-build' | 'semver'; readonly allowTags: string },
  tags: ImageTagFormats,
): string[] {
  const { allowTags, strategy } = policy;
  const problems: string[] = [];
  const sample = strategy === 'semver' ? tags.release.example : tags.build.example;
  if (!tagAllowed(sample, allowTags))
    problems.push(
      `${allowTags} rejects "${sample}", the ${strategy === 'semver' ? 'release' : 'build'} tag format the ` +
        `image pipeline produces (imageTags in ${SETTINGS_FILE}); expected a filter that accepts it, ` +
        'or leave allowTags out to derive it',
    );
  if (strategy === 'semver' && tagAllowed(ALL_DIGIT_SHA, allowTags))
    problems.push(
      `${allowTags} accepts an all-digit short commit sha such as "${ALL_DIGIT_SHA}", ` +
        `which a semver policy reads as version ${ALL_DIGIT_SHA}.0.0 and would deploy; ` +
        `expected a strict filter such as ${tags.release.allowTags}`,
    );
  return problems;
}

/** The allowTags a strategy gets when nothing sets it: exactly the tags the pipeline builds for it. */
export function defaultAllowTags(strategy: 'newest-build' | 'semver', tags: ImageTagFormats): string {
  return strategy === 'semver' ? tags.release.allowTags : tags.build.allowTags;
}
