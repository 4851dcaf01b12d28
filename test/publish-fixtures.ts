import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { CLI, copyExample, REPO, tempDir } from './helpers.js';

/**
 * Real git for the publish and diff tests: local bare repositories stand in
 * for the devops remote. The settings name it by an https URL, as they must
 * (Argo CD cannot read a local path); git's own URL rewriting, given through
 * GIT_CONFIG_* variables (devopsEnv), sends that URL to the bare repository.
 * Every git call gets an explicit identity and an empty HOME, like a CI
 * machine without any global git configuration.
 */

/** The devops repository's URL in the test projects' settings. */
export const DEVOPS_URL = 'https://github.com/acme-shop/shop-deploy.git';

/** Git configuration through the environment that sends DEVOPS_URL to the bare repository `remote`. */
export function devopsEnv(remote: string): NodeJS.ProcessEnv {
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `url.${remote}.insteadOf`,
    GIT_CONFIG_VALUE_0: DEVOPS_URL,
  };
}

/** The environment of a test's git and CLI runs; with `remote`, DEVOPS_URL leads there. */
export function gitEnv(remote?: string): NodeJS.ProcessEnv {
  return {
    HOME: NO_HOME,
    XDG_CONFIG_HOME: NO_HOME,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Publish Test',
    GIT_AUTHOR_EMAIL: 'publish-test@example.com',
    GIT_COMMITTER_NAME: 'Publish Test',
    GIT_COMMITTER_EMAIL: 'publish-test@example.com',
    ...(remote ? devopsEnv(remote) : {}),
  };
}

/** A HOME that does not exist: no global git configuration, as on a fresh CI machine. */
export const NO_HOME = '/nonexistent/gitops-synth-test-home';

/** Runs git in `cwd` and returns its trimmed stdout; throws with stderr on failure. */
export function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...gitEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** git that may fail: exit status and output. */
export function gitTry(cwd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...gitEnv() } });
  return { code: r.status ?? -1, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

/**
 * An empty bare repository with branch main as HEAD, logging every
 * update of its refs (for checking there was no force-push).
 */
export function bareRepo(parent: string = tempDir('gitops-synth-devops-')): string {
  const dir = join(parent, 'devops.git');
  git(parent, ['init', '-q', '--bare', '-b', 'main', dir]);
  git(dir, ['config', 'core.logAllRefUpdates', 'always']);
  return dir;
}

/**
 * Sets `repository:` (and any other top-level settings) in a project's environments/_settings.yaml, keeping the rest.
 */
export function setSettings(project: string, values: Record<string, unknown>): void {
  const file = join(project, 'environments', '_settings.yaml');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    /* no settings yet */
  }
  const doc = parseDocument(text);
  for (const [k, v] of Object.entries(values)) doc.set(k, v);
  writeFileSync(file, doc.toString());
}

/** Edits a YAML spec file of a project through the document API (comments kept). */
export function editSpec(project: string, file: string, path: (string | number)[], value: unknown): void {
  const full = join(project, file);
  const doc = parseDocument(readFileSync(full, 'utf8'));
  if (value === undefined) doc.deleteIn(path);
  else doc.setIn(path, value);
  writeFileSync(full, doc.toString());
}

/**
 * A copy of the shipped example that publishes to DEVOPS_URL at `path`, as a git clone with an origin and one commit.
 */
export function exampleProject(path = 'clusters/shop'): string {
  const project = copyExample();
  setSettings(project, { repository: { url: DEVOPS_URL, branch: 'main', path } });
  git(project, ['init', '-q', '-b', 'main']);
  git(project, ['remote', 'add', 'origin', 'https://github.com/acme-shop/shop.git']);
  git(project, ['add', '-A']);
  git(project, ['commit', '-q', '-m', 'specs']);
  return project;
}

/** Commits everything in a project (so the publish names a clean source commit). */
export function commitProject(project: string, message: string): string {
  git(project, ['add', '-A']);
  git(project, ['commit', '-q', '-m', message]);
  return git(project, ['rev-parse', 'HEAD']);
}

/** A clone of `remote`'s main branch that commits a file the way Image Updater writes back, and pushes. */
export function writeBack(remote: string, file: string, content: string): string {
  const dir = tempDir('gitops-synth-writeback-');
  // An empty remote clones to an unborn main all the same: the first write-back makes the branch by hand.
  git(dir, ['clone', '-q', remote, 'clone']);
  const clone = join(dir, 'clone');
  mkdirSync(dirname(join(clone, file)), { recursive: true });
  writeFileSync(join(clone, file), content);
  git(clone, ['add', file]);
  git(clone, ['commit', '-q', '-m', `build: automatic update of ${file}`]);
  git(clone, ['push', '-q', 'origin', 'HEAD:refs/heads/main']);
  return git(clone, ['rev-parse', 'HEAD']);
}

/** Files of `ref` below `path` in a repository, path (relative to `path`) → content. */
export function filesAt(repo: string, ref: string, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const names = git(repo, ['ls-tree', '-r', '--name-only', ref, '--', path]).split('\n').filter(Boolean);
  for (const name of names)
    out[name.slice(path.length + 1)] = execFileSync('git', ['show', `${ref}:${name}`], { cwd: repo, encoding: 'utf8' });
  return out;
}

/** Every ref of a repository with its commit: for checking that nothing moved. */
export function refs(repo: string): string {
  return git(repo, ['for-each-ref', '--format=%(objectname) %(refname)']);
}

/** Commits on a branch, newest first. */
export function commits(repo: string, ref = 'main'): string[] {
  const out = gitTry(repo, ['rev-list', ref]);
  return out.code === 0 ? out.stdout.split('\n').filter(Boolean) : [];
}

/** The ref updates recorded in a bare repository's reflog for a branch: [old, new] pairs, oldest first. */
export function refUpdates(repo: string, branch = 'main'): [string, string][] {
  const log = readFileSync(join(repo, 'logs', 'refs', 'heads', branch), 'utf8');
  return log
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').slice(0, 2) as [string, string]);
}

/** Whether `ancestor` is an ancestor of (or equal to) `commit`. */
export function isAncestor(repo: string, ancestor: string, commit: string): boolean {
  return gitTry(repo, ['merge-base', '--is-ancestor', ancestor, commit]).code === 0;
}

export function trailers(repo: string, commit: string): Record<string, string> {
  const message = git(repo, ['log', '-1', '--format=%B', commit]);
  const parsed = execFileSync('git', ['interpret-trailers', '--parse'], { input: message, encoding: 'utf8' });
  return Object.fromEntries(
    parsed
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
  );
}

/** Runs the real CLI without blocking this process (for tests that serve the remote themselves, or race). */
export function runCliAsync(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1', ...gitEnv(), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}
