import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path';
import { APPS_DIR, ENVIRONMENTS_DIR } from '../spec/layout.js';
import { WorkDirRefused } from './errors.js';

/**
 * The work clone of the devops repository that `publish` and `diff` keep in
 * `--work-dir`: a git repository of which gitops-synth only ever uses the
 * `.git` folder (commits are built with git's plumbing, nothing is checked
 * out). The marker inside `.git` says gitops-synth made it; a folder without
 * it is someone else's and is never used, so nothing in it can be changed.
 */
export const WORK_CLONE_MARKER = 'gitops-synth-work-clone';

/** Folders of the project that are never a work folder, nor anything inside them. */
const PROJECT_PARTS = [APPS_DIR, ENVIRONMENTS_DIR, 'src', '.git'];

/**
 * Checks that `dir` may hold the work clone and returns its absolute path
 * (symbolic links resolved). Accepted: a folder that does not exist yet, an
 * empty folder, or a work clone an earlier run made (its `.git` carries the
 * marker). Refused always, marker or not: `/`, the home folder, the project
 * folder or any folder above it, and the project's apps/, environments/,
 * src/ and .git (or anything inside them), or any folder inside a `.git`.
 * Throws WorkDirRefused; nothing is created or removed.
 */
export function checkWorkDir(dir: string, projectDir: string): string {
  const wanted = resolve(dir);
  const real = realPath(wanted);
  const project = realPath(resolve(projectDir));
  const shown = real === wanted ? wanted : `${wanted} (${real})`;
  const refuse = (why: string): never => {
    throw new WorkDirRefused(`--work-dir ${shown}: ${why}; nothing was changed`);
  };

  if (real === parse(real).root) refuse('the root folder is never a work folder');
  if (real === realPath(homedir())) refuse('the home folder is never a work folder');
  if (real === project || isInside(project, real))
    refuse(
      `this is the project folder${real === project ? '' : ' or a folder above it'}; expected a folder of its own`,
    );
  for (const part of PROJECT_PARTS) {
    const folder = join(project, part);
    if (real === folder || isInside(real, folder))
      refuse(`this is the project's ${part}/${real === folder ? '' : ' or inside it'}; expected a folder of its own`);
  }
  if (real.split(sep).includes('.git')) refuse("it is inside a repository's .git folder");

  if (!existsSync(real)) {
    if (isLink(real)) refuse('this is a symbolic link to nothing; expected a folder');
    return real;
  }
  if (!statSync(real).isDirectory()) refuse('this is a file; expected a folder');
  const entries = readdirSync(real);
  if (entries.length === 0) return real;
  const marker = join(real, '.git', WORK_CLONE_MARKER);
  if (existsSync(marker) && lstatSync(marker).isFile()) return real;
  const listed = entries.slice(0, 5).join(', ') + (entries.length > 5 ? `, and ${entries.length - 5} more` : '');
  return refuse(
    `the folder holds files gitops-synth did not make (${listed}); expected a folder that does not exist, ` +
      'an empty one, or a work clone an earlier publish or diff made there',
  );
}

/** Whether `inner` is strictly inside `outer` (both absolute). */
function isInside(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The path with symbolic links resolved, for the part of it that exists. */
function realPath(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  const parent = dirname(path);
  return parent === path ? path : join(realPath(parent), basename(path));
}
