import semver from 'semver';
import { allowTagsProblems, defaultAllowTags, tagAllowed } from '../image-tags.js';
import type { ResolvedImagePolicy, ResolvedService } from '../model.js';
import type { ServiceScope } from './scope.js';

/** `image`: repository and tag are required; an auto-updated tag must be one the image policy could pick. */
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
  const policy = resolvePolicy(s);
  if (!policy) return undefined;
  // Whose policy it is, for messages: the service's own when it writes one.
  const whose = f.image?.policy ? `the image policy of service ${s.name} in environment ${env.name}` : undefined;
  if (tag === 'latest' && policy.strategy === 'semver') {
    fail(
      ['image', 'tag'],
      `"latest" is not allowed in environment ${env.name}, whose image policy is semver; ` +
        'expected a pinned release such as 1.4.2',
    );
  } else if (tag && autoUpdate && !s.unloaded.settings && !tagAllowed(tag, policy.allowTags)) {
    fail(
      ['image', 'tag'],
      `"${tag}" does not match the allowTags of ${whose ?? `environment ${env.name}`} (${policy.allowTags}); ` +
        'expected an initial tag the policy could pick, since autoUpdate is on',
    );
  } else if (tag && autoUpdate && policy.constraint && !semver.satisfies(tag.replace(/^v/, ''), policy.constraint)) {
    fail(
      ['image', 'tag'],
      `"${tag}" does not satisfy the semver constraint ${policy.constraint} of ` +
        `${whose ?? `environment ${env.name}`}; expected an initial tag the policy could pick, ` +
        'since autoUpdate is on',
    );
  }
  return repository && tag ? { repository, tag, autoUpdate, policy } : undefined;
}

/**
 * The service's image policy: its own `image.policy` over the environment's
 * `imagePolicy`. A key it leaves out comes from the environment while the
 * strategy is the same; with another strategy, the environment's constraint
 * and allowTags (made for the other kind of tag) do not apply, and allowTags
 * defaults to the tags the pipeline builds for the service's strategy. The
 * service's own allowTags is held to the environment's rules: it accepts the
 * pipeline's tags, and a semver filter rejects an all-digit sha.
 */
function resolvePolicy(s: ServiceScope): ResolvedImagePolicy | undefined {
  const inherited = s.env.imagePolicy;
  const own = s.fields.image?.policy;
  if (!own) return inherited;
  const strategy = own.strategy ?? inherited.strategy;
  const same = strategy === inherited.strategy;
  let ok = true;
  if (own.constraint !== undefined && strategy !== 'semver') {
    s.fail(
      ['image', 'policy', 'constraint'],
      `a semver constraint goes with strategy semver, and this policy's strategy is ${strategy}; ` +
        'expected strategy: semver, or no constraint',
    );
    ok = false;
  }
  const policy: ResolvedImagePolicy = {
    strategy,
    constraint: strategy === 'semver' ? (own.constraint ?? (same ? inherited.constraint : undefined)) : undefined,
    allowTags: own.allowTags ?? (same ? inherited.allowTags : defaultAllowTags(strategy, s.tags)),
  };
  // The tag formats come from the settings: with a broken settings file they are unknown.
  if (own.allowTags !== undefined && !s.unloaded.settings) {
    for (const message of allowTagsProblems(policy, s.tags)) {
      s.fail(['image', 'policy', 'allowTags'], message);
      ok = false;
    }
  }
  return ok ? policy : undefined;
}
