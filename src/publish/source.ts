import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalUrl, withoutPassword } from '../resolve/repository.js';
import { APPS_DIR, ENVIRONMENTS_DIR } from '../spec/layout.js';
import { runGit } from './git.js';
import type { SourceInfo, UncommittedFile } from './message.js';

/** Files of the project, besides apps/ and environments/ (settings included), that shape what is rendered. */
const PROJECT_INPUTS = [APPS_DIR, ENVIRONMENTS_DIR, 'cdk8s.yaml', 'package.json', 'package-lock.json'];
/** gitops-synth's own files, when it runs from a checkout in the same repository as the project (like this one). */
const GENERATOR_INPUTS = ['src', 'bin', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
const PACKAGE_NAME = 'gitops-synth';

/**
 * Which commit of which repository the specs in `projectDir` come from, and
 * what in the checkout differs from it, for the dirty check and the commit
 * message. What feeds the render: the project's apps/ and environments/
 * (settings included), its cdk8s.yaml and package files (they pin the
 * generator), and, when gitops-synth itself runs from a checkout in the same
 * repository (as in its own repository), its source. Modified, staged,
 * deleted and untracked files count, and so do ignored spec files (they are
 * read like any other). Paths are relative to the repository root, so a
 * project in a subfolder is checked in its own folders.
 */
export async function sourceInfo(
  projectDir: string,
  environ: NodeJS.ProcessEnv = process.env,
  /** gitops-synth's package folder. @default the package this code runs from */
  generatorRoot: string | undefined = packageRoot(),
): Promise<SourceInfo> {
  const env = localGitEnv(environ);
  const git = (args: string[]) => runGit(args, { cwd: projectDir, env });
  const fromActions =
    environ.GITHUB_SERVER_URL && environ.GITHUB_REPOSITORY
      ? `${environ.GITHUB_SERVER_URL}/${environ.GITHUB_REPOSITORY}`
      : undefined;
  const outside = (why: string): SourceInfo => ({
    repository: fromActions ?? 'unknown',
    dirty: true,
    uncommitted: [],
    unreviewable: why,
  });

  const top = await git(['rev-parse', '--show-toplevel', '--show-prefix']);
  if (top.code !== 0)
    return outside(
      /not a git repository/i.test(top.stderr)
        ? `${projectDir} is not in a git repository`
        : `git cannot read the checkout at ${projectDir}: ${top.stderr.trim().split('\n')[0]}`,
    );
  const [root = '', prefix = ''] = top.stdout.split('\n');
  const inputs = [...PROJECT_INPUTS.map((p) => `${prefix}${p}`), ...generatorInputs(root, generatorRoot)];
  const [originUrl, status] = await Promise.all([
    git(['config', '--get', 'remote.origin.url']),
    git([
      'status',
      '--porcelain=v2',
      '--branch',
      '-z',
      '--untracked-files=all',
      '--ignored=matching',
      '--no-renames',
      '--',
      ...[...new Set(inputs)].map((p) => `:(top,literal)${p}`),
    ]),
  ]);
  const origin = originUrl.stdout.trim();
  const repository = origin ? canonicalUrl(withoutPassword(origin)) : (fromActions ?? 'unknown');
  if (status.code !== 0)
    return { ...outside(`git status failed in ${root}: ${status.stderr.trim().split('\n')[0]}`), repository };
  const uncommitted: UncommittedFile[] = [];
  let commit: string | undefined;
  for (const entry of status.stdout.split('\0')) {
    const oid = /^# branch\.oid ([0-9a-f]+)$/.exec(entry);
    if (oid) commit = oid[1];
    const change = statusEntry(entry);
    // Ignored files count only where the specs are read: a .yaml (or a misspelt .yml) in apps/ or environments/.
    if (change && (change.change !== 'ignored' || isSpecFile(change.path, prefix))) uncommitted.push(change);
  }
  if (!commit) return { ...outside(`the repository at ${root} has no commit yet`), repository };
  return { repository, commit, dirty: uncommitted.length > 0, uncommitted };
}

/** One entry of `git status --porcelain=v2 -z` (no renames): a changed, unmerged, untracked or ignored file. */
function statusEntry(entry: string): UncommittedFile | undefined {
  if (entry.startsWith('? ')) return { path: entry.slice(2), change: 'untracked' };
  if (entry.startsWith('! ')) return { path: entry.slice(2), change: 'ignored' };
  // 1 XY sub mH mI mW hH hI path — and u XY sub m1 m2 m3 mW h1 h2 h3 path
  const fields = entry.split(' ');
  if (fields[0] === '1') return { path: fields.slice(8).join(' '), change: describeChange(fields[1]!) };
  if (fields[0] === 'u') return { path: fields.slice(10).join(' '), change: 'unmerged' };
  return undefined;
}

function describeChange(code: string): UncommittedFile['change'] {
  if (code.includes('D')) return 'deleted';
  if (code[0] === 'A') return 'added';
  return 'modified';
}

function isSpecFile(path: string, prefix: string): boolean {
  const rel = path.slice(prefix.length);
  return (
    path.startsWith(prefix) && /^(apps|environments)\/[^/]+\.ya?ml$/.test(rel) && !rel.split('/').pop()!.startsWith('.')
  );
}

/**
 * gitops-synth's own source folders, relative to the repository root, when the running
 * generator is a checkout inside that repository (not an installed package).
 */
function generatorInputs(root: string, pkg: string | undefined): string[] {
  if (!pkg) return [];
  let rel: string;
  try {
    rel = relative(realpathSync(root), realpathSync(pkg));
  } catch {
    return [];
  }
  if (rel.startsWith('..') || rel.split(sep).includes('node_modules')) return [];
  const base = rel ? `${rel.split(sep).join('/')}/` : '';
  return GENERATOR_INPUTS.map((p) => `${base}${p}`);
}

/** The folder of gitops-synth's package.json, above this file (src/publish or build/src/publish). */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        /* not ours */
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The environment of git in the project's checkout: none of the caller's
 * GIT_* variables that point git elsewhere (GIT_DIR, GIT_WORK_TREE,
 * GIT_INDEX_FILE), its own configuration variables kept.
 */
function localGitEnv(environ: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(environ))
    if (v !== undefined && (!/^GIT_/i.test(k) || /^GIT_CONFIG_/.test(k))) env[k] = v;
  env.GIT_OPTIONAL_LOCKS = '0';
  return env;
}
