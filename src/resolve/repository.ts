import { execFileSync } from 'node:child_process';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { SpecError, type SpecProblem } from '../spec/errors.js';
import { ENVIRONMENTS_DIR, type LoadedProject } from '../spec/load.js';
import { SETTINGS_FILE } from '../spec/settings-schema.js';

/**
 * The devops repository the rendered tree is published to and Argo CD reads,
 * with every default of `repository` in the settings filled in.
 */
export interface DevopsRepository {
  /**
   * The URL Argo CD reads (ApplicationSets, AppProjects, the root
   * Application). Never carries credentials. When it comes from `origin` it
   * is normalised (https, no `.git`, no user) so that every machine renders
   * the same bytes whether its clone uses SSH or https.
   */
  readonly url: string;
  /**
   * The URL git fetches from and pushes to: the settings URL, or `origin` as
   * this clone spells it (ssh or https) without any password or token in it.
   */
  readonly gitUrl: string;
  /** @default "main" */
  readonly branch: string;
  /** Folder of the rendered tree inside the repository, without leading or trailing slash. @default "dist" below the project's folder */
  readonly path: string;
  /** Where `url` came from. */
  readonly urlFrom: 'settings' | 'origin';
}

export const DEFAULT_BRANCH = 'main';
export const DEFAULT_PATH = 'dist';

const SETTINGS_PATH = `${ENVIRONMENTS_DIR}/${SETTINGS_FILE}`;

/**
 * `repository` from the settings with its defaults: the URL defaults to this
 * repository's `origin` remote, and then the path defaults to the project's
 * `dist/` as seen from the repository root (`examples/webfarm/dist` for a
 * project in a subfolder). Throws a SpecError naming the settings field when
 * there is no URL to be had, the URL carries credentials, or the path leaves
 * the repository.
 */
export function resolveRepository(project: LoadedProject): DevopsRepository {
  const spec = project.settings.spec.repository ?? {};
  const source = project.settings.source;
  const at = (field: string[], message: string): SpecProblem =>
    source ? source.problem(field, message) : { file: SETTINGS_PATH, field: field.join('.'), message };
  const problems: SpecProblem[] = [];

  let url: string;
  let gitUrl: string;
  let urlFrom: DevopsRepository['urlFrom'];
  let defaultPath = DEFAULT_PATH;
  if (spec.url !== undefined) {
    urlFrom = 'settings';
    url = gitUrl = spec.url;
    if (hasPassword(spec.url))
      problems.push(
        at(
          ['repository', 'url'],
          'expected a URL without credentials: give the pipeline a token in GITOPS_SYNTH_GIT_TOKEN instead',
        ),
      );
  } else {
    urlFrom = 'origin';
    const origin = gitOutput(project.root, ['config', '--get', 'remote.origin.url']);
    if (!origin) {
      problems.push(
        at(
          ['repository', 'url'],
          `not set, and ${project.root} is not in a git clone with an "origin" remote to default to: set repository.url`,
        ),
      );
      url = gitUrl = '';
    } else {
      gitUrl = withoutPassword(isLocalPath(origin) ? resolvePath(project.root, origin) : origin);
      url = canonicalUrl(gitUrl);
      defaultPath = `${gitOutput(project.root, ['rev-parse', '--show-prefix']) ?? ''}${DEFAULT_PATH}`;
    }
  }

  const path = (spec.path ?? defaultPath).replace(/\/+$/, '');
  if (path.split('/').some((s) => s === '.' || s === '..' || s.toLowerCase() === '.git'))
    problems.push(
      at(
        ['repository', 'path'],
        'expected a folder inside the repository such as dist or clusters/shop, without ., .. or .git parts',
      ),
    );

  if (problems.length) throw new SpecError(problems);
  return { url, gitUrl, branch: spec.branch ?? DEFAULT_BRANCH, path, urlFrom };
}

function gitOutput(cwd: string, args: string[]): string | undefined {
  try {
    const out = execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out.length ? out : args[0] === 'rev-parse' ? '' : undefined;
  } catch {
    return undefined;
  }
}

function isLocalPath(url: string): boolean {
  return isAbsolute(url) || url.startsWith('.');
}

function hasPassword(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(url);
}

/** The URL without a password or token (`https://user:token@host/x` → `https://host/x`, `ssh://git:pw@host/x` → `ssh://git@host/x`). */
export function withoutPassword(url: string): string {
  // https loses the whole user part (a token may be the user name); ssh keeps its user (git@).
  if (/^https?:\/\//i.test(url)) return url.replace(/^(https?:\/\/)[^/@]*@/i, '$1');
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@:]*):[^/@]*@/i, (_, scheme: string, user: string) =>
    user ? `${scheme}${user}@` : scheme,
  );
}

/**
 * One spelling per repository: `git@host:org/repo.git`,
 * `ssh://git@host/org/repo`, `https://user@host/org/repo.git/` all become
 * `https://host/org/repo`. Local paths and file:// URLs stay as they are.
 */
export function canonicalUrl(url: string): string {
  const scp = /^[^@/:]+@([^:/]+):(?!\/)(.+)$/.exec(url);
  let out = url;
  if (scp) out = `https://${scp[1]}/${scp[2]}`;
  else {
    const ssh = /^ssh:\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/(.+)$/.exec(url);
    if (ssh) out = `https://${ssh[1]}/${ssh[2]}`;
    else if (/^https?:\/\//i.test(url)) out = withoutPassword(url);
    else return url;
  }
  return out.replace(/\/+$/, '').replace(/\.git$/, '');
}
