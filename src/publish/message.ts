import type { ChangeStatus, UnitChange } from './plan.js';

/** A file that feeds the render and differs from the source commit. */
export interface UncommittedFile {
  /** Relative to the root of the project's repository. */
  readonly path: string;
  readonly change: 'modified' | 'added' | 'deleted' | 'untracked' | 'ignored' | 'unmerged';
}

/** The project commit a publish renders. */
export interface SourceInfo {
  /** Repository of the specs, without credentials; "unknown" outside a git clone. */
  readonly repository: string;
  /** Full commit id, or undefined outside a git clone (or before its first commit). */
  readonly commit?: string;
  /** What is rendered is not exactly the commit: `uncommitted` lists why, or `unreviewable` says there is no commit. */
  readonly dirty: boolean;
  /** Files that feed the render and differ from the commit. */
  readonly uncommitted: readonly UncommittedFile[];
  /** Why there is no commit to compare with at all (not a git clone, no commit yet, git failed). */
  readonly unreviewable?: string;
}

export const SOURCE_REPOSITORY_TRAILER = 'Source-Repository';
export const SOURCE_COMMIT_TRAILER = 'Source-Commit';
/** On a publish of uncommitted changes, which the publish allowed with --allow-dirty. */
export const PUBLISHED_WITH_TRAILER = 'Published-With';
export const SOURCE_UNCOMMITTED_TRAILER = 'Source-Uncommitted';
const UNCOMMITTED_LISTED = 10;

const SUBJECT_NAMES = 4;
const FILES_PER_UNIT = 6;
/** How the file list of a changed folder marks each file. */
const STATUS_MARK: Record<ChangeStatus, string> = { added: '+', removed: '-', changed: '~' };

/** `3f9c2a1`, `3f9c2a1-dirty`, or `uncommitted specs`. */
export function describeSource(source: SourceInfo): string {
  if (!source.commit) return 'uncommitted specs';
  return `${source.commit.slice(0, 7)}${source.dirty ? '-dirty' : ''}`;
}

/**
 * The commit message of a publish: a subject naming the source commit and
 * the services that changed, a body listing each changed folder (and, given
 * `images`, the image each changed service deploys), and
 * `Source-Repository` / `Source-Commit` trailers (git interpret-trailers
 * format) that tie the rendered commit to the code commit.
 */
export function commitMessage(
  source: SourceInfo,
  units: readonly UnitChange[],
  images: readonly string[] = [],
): string {
  const names: string[] = [];
  for (const u of units) {
    const name = u.service ?? u.unit;
    if (!names.includes(name)) names.push(name);
  }
  const shown =
    names.length > SUBJECT_NAMES
      ? [...names.slice(0, SUBJECT_NAMES - 1), `${names.length - SUBJECT_NAMES + 1} more`]
      : names;
  const subject = `Render ${describeSource(source)}: ${joinNames(shown)}`;

  const width = Math.max(...units.map((u) => u.unit.length));
  const lines = units.map((u) => {
    const files = u.files.map((f) => `${STATUS_MARK[f.status]}${f.path.slice(u.unit.length + 1) || f.path}`);
    const listed =
      files.length > FILES_PER_UNIT
        ? [...files.slice(0, FILES_PER_UNIT), `and ${files.length - FILES_PER_UNIT} more`]
        : files;
    return `  ${u.unit.padEnd(width)}  ${u.status}${u.status === 'changed' ? `: ${listed.join(' ')}` : ''}`;
  });
  const from = source.commit
    ? `${source.repository} at ${source.commit}${source.dirty ? ' with uncommitted changes' : ''}`
    : `${source.repository} (specs not committed)`;
  const trailers = [
    `${SOURCE_REPOSITORY_TRAILER}: ${source.repository}`,
    `${SOURCE_COMMIT_TRAILER}: ${source.commit ? `${source.commit}${source.dirty ? ' (dirty)' : ''}` : 'none'}`,
  ];
  // Only a publish with --allow-dirty gets this far with a dirty source: the commit says so.
  if (source.dirty) {
    trailers.push(`${PUBLISHED_WITH_TRAILER}: --allow-dirty`);
    trailers.push(`${SOURCE_UNCOMMITTED_TRAILER}: ${describeUncommitted(source)}`);
  }
  const deploys = images.length ? `\n\nDeploys:\n${images.join('\n')}` : '';
  const body = `Rendered by gitops-synth from ${from}.\n\n${lines.join('\n')}${deploys}`;
  return `${subject}\n\n${body}\n\n${trailers.join('\n')}\n`;
}

/** `apps/web.yaml (modified), apps/new.yaml (untracked)`, or why there is no commit at all. */
export function describeUncommitted(source: SourceInfo, limit = UNCOMMITTED_LISTED): string {
  if (source.unreviewable) return source.unreviewable;
  const listed = source.uncommitted.slice(0, limit).map((f) => `${f.path} (${f.change})`);
  const more = source.uncommitted.length - listed.length;
  return `${listed.join(', ')}${more > 0 ? `, and ${more} more` : ''}`;
}

function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
