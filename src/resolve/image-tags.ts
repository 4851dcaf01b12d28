import type { SettingsFile } from '../spec/settings-schema.js';

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
