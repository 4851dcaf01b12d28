import { SpecError, type SpecProblem } from '../spec/errors.js';
import { ENVIRONMENTS_DIR } from '../spec/layout.js';
import type { LoadedProject } from '../spec/load.js';
import { SETTINGS_FILE } from '../spec/settings-schema.js';

/**
 * The devops repository the rendered tree is published to and Argo CD reads,
 * with every default of `repository` in the settings filled in.
 */
export interface DevopsRepository {
  /**
   * The URL Argo CD reads (ApplicationSets, AppProjects, the root
   * Application), exactly as the settings write it. Never carries credentials.
   */
  readonly url: string;
  /** The URL git fetches from and pushes to: the same URL (credentials come from the environment). */
  readonly gitUrl: string;
  /** @default "main" */
  readonly branch: string;
  /** Folder of the rendered tree inside the repository, without leading or trailing slash. @default "dist" */
  readonly path: string;
}

export const DEFAULT_BRANCH = 'main';
export const DEFAULT_PATH = 'dist';

const SETTINGS_PATH = `${ENVIRONMENTS_DIR}/${SETTINGS_FILE}`;

/**
 * `repository` from the settings with its defaults. The URL is required and
 * must be one Argo CD can reach (the schema checks its form): never taken
 * from this clone's remote, which may be a local path or spelt differently on
 * every machine. Throws a SpecError naming the settings field when the URL is
 * missing or carries credentials, or the path leaves the repository.
 */
export function resolveRepository(project: LoadedProject): DevopsRepository {
  const spec = project.settings.spec.repository;
  const source = project.settings.source;
  const at = (field: string[], message: string): SpecProblem =>
    source ? source.problem(field, message) : { file: SETTINGS_PATH, field: field.join('.'), message };
  const problems: SpecProblem[] = [];

  const url = spec?.url ?? '';
  if (!spec)
    problems.push(
      at(
        ['repository'],
        'is required; expected the devops repository Argo CD reads, e.g. ' +
          'repository: {url: https://github.com/org/deploy.git, branch: main, path: dist}',
      ),
    );
  else if (spec.url === undefined)
    problems.push(
      at(
        ['repository', 'url'],
        'is required; expected the URL of the devops repository Argo CD reads and publish pushes to, ' +
          'e.g. https://github.com/org/deploy.git or git@github.com:org/deploy.git',
      ),
    );
  else if (hasCredentials(url))
    problems.push(
      at(
        ['repository', 'url'],
        'expected a URL without credentials: give the pipeline a token in GITOPS_SYNTH_GIT_TOKEN instead',
      ),
    );

  const path = (spec?.path ?? DEFAULT_PATH).replace(/\/+$/, '');
  if (path.split('/').some((s) => s === '.' || s === '..' || s.toLowerCase() === '.git'))
    problems.push(
      at(
        ['repository', 'path'],
        'expected a folder inside the repository such as dist or clusters/shop, without ., .. or .git parts',
      ),
    );

  if (problems.length) throw new SpecError(problems);
  return { url, gitUrl: url, branch: spec?.branch ?? DEFAULT_BRANCH, path };
}

/**
 * A password or token in the URL: any user part of an https
 * URL (a token may be the user name), user:password otherwise.
 */
function hasCredentials(url: string): boolean {
  if (/^https:\/\/[^/]*@/i.test(url)) return true;
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(url);
}

/**
 * The URL without a password or token (`https://user:token@host/x`
 * → `https://host/x`, `ssh://git:pw@host/x` → `ssh://git@host/x`).
 */
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
