import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { canonicalUrl, DEFAULT_BRANCH, resolveRepository } from '../resolve/repository.js';
import { gitAccess } from '../publish/credentials.js';
import { gitMessage, runGit } from '../publish/git.js';
import type { LoadedProject } from '../spec/load.js';

/**
 * Reads files of the rendered tree as the devops repository holds them (what
 * Argo CD deploys), with the time of the last commit that changed each one.
 * Used for what only the devops repository knows, such as the tags Image
 * Updater wrote back. The repository is `repository.url` of the settings
 * (required, never a local path); two places it is read from:
 *  - this repository, when that URL is one of this clone's remotes: the
 *    working tree, times from `git log`;
 *  - any other: a bare clone in a cache folder, fetched on every read, with
 *    credentials from the environment as for publish.
 */
export interface DevopsTree {
  /** Where the files come from, for people. */
  readonly origin: string;
  /**
   * A file by its path inside the rendered tree (e.g.
   * `stage/api/.argocd-source-api-stage.yaml`); undefined when absent.
   */
  read(path: string): Promise<DevopsFile | undefined>;
  /** A file by its path from the repository's root (outside the rendered tree); undefined when absent or not in git. */
  readFromRoot(path: string): Promise<DevopsFile | undefined>;
  /**
   * The committed versions of a file of the rendered tree, newest first, at
   * most `limit`: what each commit that changed it left there (undefined
   * content where it deleted it). Empty without git.
   */
  history(path: string, limit: number): Promise<readonly HistoricFile[]>;
}

export interface HistoricFile {
  readonly content: string | undefined;
  /** ISO 8601 UTC time of the commit. */
  readonly committedAt: string;
}

export interface DevopsFile {
  readonly content: string;
  /**
   * ISO 8601 UTC time of the last commit that changed the file;
   * undefined when it was never committed (or there is no git).
   */
  readonly committedAt?: string;
}

export interface DevopsTreeOptions {
  /**
   * Where clones of remote devops repositories are kept.
   * @default $XDG_CACHE_HOME/gitops-synth/devops or ~/.cache/gitops-synth/devops
   */
  readonly cacheDir?: string;
}

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'gitops-synth', 'devops');
}

export async function openDevopsTree(project: LoadedProject, options: DevopsTreeOptions = {}): Promise<DevopsTree> {
  const repo = resolveRepository(project);
  const root = await gitRoot(project.root);
  if (root && (await isThisRepository(root, repo.gitUrl)))
    return workingTree(root, join(root, repo.path), `this repository's working tree (${repo.path}/)`);
  const clone = await fetchIntoCache(repo.gitUrl, repo.branch, options.cacheDir ?? defaultCacheDir());
  return gitBranch(clone, repo.branch, repo.path, `${repo.url} (branch ${repo.branch}, ${repo.path}/)`);
}

/** git for reading local repositories (this clone, the cache); simple-git keeps the caller's GIT_* out. */
function git(dir?: string): SimpleGit {
  return simpleGit(dir ? { baseDir: dir } : {});
}

async function gitRoot(dir: string): Promise<string | undefined> {
  try {
    return (await git(dir).revparse(['--show-toplevel'])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Whether `url` names the repository at `root`: one of its remotes. */
async function isThisRepository(root: string, url: string): Promise<boolean> {
  const remotes = await git(root).getRemotes(true);
  return remotes.some((r) => [r.refs.fetch, r.refs.push].some((u) => u && canonicalUrl(u) === canonicalUrl(url)));
}

function workingTree(root: string | undefined, treeDir: string, origin: string): DevopsTree {
  const readAt = async (file: string): Promise<DevopsFile | undefined> => {
    if (!existsSync(file)) return undefined;
    const content = readFileSync(file, 'utf8');
    if (!root) return { content };
    const time = (await git(root).raw(['log', '-1', '--format=%cI', '--', file])).trim();
    return { content, committedAt: time ? utc(time) : undefined };
  };
  return {
    origin,
    read: (path) => readAt(join(treeDir, path)),
    readFromRoot: async (path) => (root ? readAt(join(root, path)) : undefined),
    history: async (path, limit) =>
      root ? fileHistory(root, 'HEAD', relative(root, join(treeDir, path)).split(sep).join('/'), limit) : [],
  };
}

function gitBranch(repoDir: string, branch: string, treePath: string, origin: string): DevopsTree {
  const ref = `refs/heads/${branch}`;
  const readAt = async (file: string): Promise<DevopsFile | undefined> => {
    let content: string;
    try {
      content = await git(repoDir).raw(['show', `${ref}:${file}`]);
    } catch {
      return undefined;
    }
    const time = (await git(repoDir).raw(['log', '-1', '--format=%cI', ref, '--', file])).trim();
    return { content, committedAt: time ? utc(time) : undefined };
  };
  return {
    origin,
    read: (path) => readAt(`${treePath}/${path}`),
    readFromRoot: (path) => readAt(path),
    history: (path, limit) => fileHistory(repoDir, ref, `${treePath}/${path}`, limit),
  };
}

/** The versions of `file` (relative to the repository) that commits reachable from `ref` left, newest first. */
async function fileHistory(repoDir: string, ref: string, file: string, limit: number): Promise<HistoricFile[]> {
  let log: string;
  try {
    log = await git(repoDir).raw(['log', `-${limit}`, '--format=%H %cI', ref, '--', file]);
  } catch {
    return []; // No commit yet, or not a git repository.
  }
  const out: HistoricFile[] = [];
  for (const line of log.split('\n').filter(Boolean)) {
    const [commit, time] = line.split(' ');
    const content = await git(repoDir)
      .raw(['show', `${commit}:${file}`])
      .catch(() => undefined);
    out.push({ content, committedAt: utc(time!) });
  }
  return out;
}

/**
 * A bare clone of `url`'s `branch` under `cacheDir`, cloned the first time and fetched every time after,
 * with credentials from the environment as for publish (and prompts off: a missing credential fails at once).
 */
export async function fetchIntoCache(
  url: string,
  branch: string = DEFAULT_BRANCH,
  cacheDir: string = defaultCacheDir(),
): Promise<string> {
  const dir = join(cacheDir, createHash('sha256').update(url).digest('hex').slice(0, 16));
  const refspec = `+refs/heads/${branch}:refs/heads/${branch}`;
  const access = gitAccess(url);
  const run = async (args: string[], cwd?: string): Promise<void> => {
    const r = await runGit(args, { cwd, env: access.env });
    if (r.code !== 0)
      throw new Error(
        `could not fetch branch ${branch} of ${url} (${access.method}): ${access.redact(gitMessage(r)).trim()}`,
      );
  };
  if (existsSync(join(dir, 'HEAD'))) {
    await run(['fetch', '--quiet', '--no-tags', '--prune', url, refspec], dir);
    return dir;
  }
  mkdirSync(cacheDir, { recursive: true });
  // Cloned beside and renamed into place, so a clone interrupted half-way is never taken for a cache.
  const temp = `${dir}.${process.pid}.tmp`;
  rmSync(temp, { recursive: true, force: true });
  try {
    await run(['clone', '--bare', '--quiet', '--no-tags', '--single-branch', '--branch', branch, '--', url, temp]);
    if (existsSync(join(dir, 'HEAD'))) rmSync(temp, { recursive: true, force: true });
    else renameSync(temp, dir);
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

function utc(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
