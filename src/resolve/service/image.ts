import semver from 'semver';
import { tagAllowed } from '../image-tags.js';
import type { ResolvedService } from '../model.js';
import type { ServiceScope } from './scope.js';

/** `image`: repository and tag are required; an auto-updated tag must be one the environment's policy could pick. */
export function resolveImage(s: ServiceScope): ResolvedService['image'] | undefined {
  const { fields: f, env, fail } = s;
  const repository = f.image?.repository;
  const tag = f.image?.tag;
  if (!f.image) fail(['image'], 'is required; expected {repository, tag}');
  else {
    if (!repository)
      fail(['image', 'repository'], 'is required; expected an image repository such as ghcr.io/acme/api');
    if (!tag)
      fail(['image', 'tag'], 'is required; expected the pinned or initial tag, e.g. 1.4.2 or a short commit sha');
  }
  const autoUpdate = f.image?.autoUpdate ?? false;
  if (tag === 'latest' && env.imagePolicy.strategy === 'semver') {
    fail(
      ['image', 'tag'],
      `"latest" is not allowed in environment ${env.name}, whose image policy is semver; expected a pinned release such as 1.4.2`,
    );
  } else if (tag && autoUpdate && !s.unloaded.settings && !tagAllowed(tag, env.imagePolicy.allowTags)) {
    fail(
      ['image', 'tag'],
      `"${tag}" does not match the allowTags of environment ${env.name} (${env.imagePolicy.allowTags}); expected an initial tag the policy could pick, since autoUpdate is on`,
    );
  } else if (
    tag &&
    autoUpdate &&
    env.imagePolicy.constraint &&
    !semver.satisfies(tag.replace(/^v/, ''), env.imagePolicy.constraint)
  ) {
    fail(
      ['image', 'tag'],
      `"${tag}" does not satisfy the semver constraint ${env.imagePolicy.constraint} of environment ${env.name}; expected an initial tag the policy could pick, since autoUpdate is on`,
    );
  }
  return repository && tag ? { repository, tag, autoUpdate } : undefined;
}
