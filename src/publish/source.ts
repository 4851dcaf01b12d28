import { simpleGit } from 'simple-git';
import { canonicalUrl, withoutPassword } from '../resolve/repository.js';
import { APPS_DIR, ENVIRONMENTS_DIR } from '../spec/load.js';
import type { SourceInfo } from './message.js';

/**
 * Which commit of which repository the specs in `projectDir` come from, for
 * the commit message and its trailers. Outside a git clone the commit is
 * unknown; uncommitted changes to apps/ or environments/ mark it dirty.
 */
export async function sourceInfo(projectDir: string, environ: NodeJS.ProcessEnv = process.env): Promise<SourceInfo> {
  const git = simpleGit({ baseDir: projectDir });
  const fromActions =
    environ.GITHUB_SERVER_URL && environ.GITHUB_REPOSITORY
      ? `${environ.GITHUB_SERVER_URL}/${environ.GITHUB_REPOSITORY}`
      : undefined;
  let commit: string | undefined;
  try {
    commit = (await git.raw(['rev-parse', '-q', '--verify', 'HEAD^{commit}'])).trim() || undefined;
  } catch {
    return { repository: fromActions ?? 'unknown', dirty: true };
  }
  const origin = (await git.raw(['config', '--get', 'remote.origin.url']).catch(() => '')).trim();
  const repository = origin ? canonicalUrl(withoutPassword(origin)) : (fromActions ?? 'unknown');
  const status = await git.raw(['status', '--porcelain', '--', APPS_DIR, ENVIRONMENTS_DIR]).catch(() => '');
  return { repository, commit, dirty: status.trim().length > 0 };
}
