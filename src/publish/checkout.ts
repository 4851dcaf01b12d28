import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { DevopsRepository } from '../resolve/repository.js';
import type { RenderedTree } from '../output/tree.js';
import type { GitAccess } from './credentials.js';
import { planTree, type FileChange, type TreePlan } from './plan.js';

/** Identity of publish commits when neither the environment nor git's configuration names one. */
export const DEFAULT_IDENTITY = { name: 'gitops-synth', email: 'gitops-synth@users.noreply.github.com' };

/** A git failure, its text already free of credentials. */
export class GitFailure extends Error {
  constructor(
    readonly operation: string,
    readonly detail: string,
  ) {
    super(`${operation} failed: ${detail}`);
    this.name = 'GitFailure';
  }
}

/** The rendered folder of the devops repository after a plan was applied and staged. */
export interface AppliedPlan {
  readonly plan: TreePlan;
  /** Files under the rendered folder before, relative to it. */
  readonly before: readonly string[];
  /** Files under the rendered folder after, relative to it. */
  readonly after: readonly string[];
  /** What git sees as changed, relative to the rendered folder. */
  readonly changes: readonly FileChange[];
}

/**
 * A work clone of the devops repository's branch. Every attempt starts from
 * the branch exactly as the remote holds it (fetch, hard reset, clean), so a
 * retry re-applies the rendered tree on top of whatever others pushed in
 * between, and nothing is ever forced.
 */
export class DevopsCheckout {
  private constructor(
    readonly dir: string,
    readonly repository: DevopsRepository,
    private readonly git: SimpleGit,
    private readonly access: GitAccess,
  ) {}

  /** Opens (creating when needed) a work clone in `dir`; the remote URL is stored without credentials. */
  static async open(dir: string, repository: DevopsRepository, access: GitAccess): Promise<DevopsCheckout> {
    mkdirSync(dir, { recursive: true });
    const git = simpleGit({
      baseDir: dir,
      allowEnvironment: access.gitVariables,
      unsafe: { allowUnsafeConfigEnvCount: true, allowUnsafeSshCommand: true },
    }).env(access.env);
    const checkout = new DevopsCheckout(dir, repository, git, access);
    if (!existsSync(join(dir, '.git'))) await checkout.run('git init', ['init', '-q']);
    // Files go in byte for byte, whatever the machine's git configuration says about line endings.
    await checkout.run('git config', ['config', 'core.autocrlf', 'false']);
    const remotes = (await checkout.run('git remote', ['remote'])).split('\n');
    await checkout.run(
      'git remote',
      remotes.includes('origin')
        ? ['remote', 'set-url', 'origin', repository.gitUrl]
        : ['remote', 'add', 'origin', repository.gitUrl],
    );
    return checkout;
  }

  /** The remote branch's head commit, or undefined when the branch does not exist yet. */
  async remoteHead(): Promise<string | undefined> {
    const ref = `refs/heads/${this.repository.branch}`;
    const out = await this.run(`reading ${this.where()}`, ['ls-remote', '--heads', 'origin', ref]);
    const line = out.split('\n').find((l) => l.endsWith(`\t${ref}`));
    return line?.split('\t')[0];
  }

  /**
   * Makes the work tree exactly the remote branch (or an empty, unborn
   * branch when it does not exist) and returns the head it is at.
   */
  async reset(): Promise<string | undefined> {
    const branch = this.repository.branch;
    const head = await this.remoteHead();
    await this.run('git symbolic-ref', ['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
    if (head) {
      await this.run(`fetching ${this.where()}`, [
        'fetch',
        '-q',
        '--depth=1',
        '--no-tags',
        'origin',
        `+refs/heads/${branch}:refs/remotes/origin/${branch}`,
      ]);
      await this.run('git reset', ['reset', '-q', '--hard', `refs/remotes/origin/${branch}`]);
    } else {
      // A branch that does not exist yet: start from nothing, not from another branch.
      await this.run('git update-ref', ['update-ref', '-d', `refs/heads/${branch}`]);
      await this.run('git read-tree', ['read-tree', '--empty']);
    }
    await this.run('git clean', ['clean', '-q', '-ffdx']);
    return head ? this.headCommit() : undefined;
  }

  /** Replaces the rendered folder with `rendered`, keeping what the generator does not own, and stages the result. */
  async apply(rendered: RenderedTree): Promise<AppliedPlan> {
    const root = join(this.dir, this.repository.path);
    const before = listFiles(root);
    const plan = planTree(before, rendered);
    for (const path of plan.remove) rmSync(join(root, path), { force: true });
    removeEmptyFolders(root);
    for (const [path, content] of plan.write) {
      const target = join(root, path);
      if (existsSync(target) && lstatSync(target).isDirectory()) rmSync(target, { recursive: true, force: true });
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
      // Git records the executable bit; the bootstrap script must arrive runnable.
      chmodSync(target, rendered.isExecutable(path) ? 0o755 : 0o644);
    }
    // --force: a .gitignore in the devops repository must not keep a rendered file out.
    await this.run('git add', ['add', '-A', '--force', '--', this.repository.path]);
    const out = await this.run('git diff', [
      'diff',
      '--cached',
      '--name-status',
      '--no-renames',
      '-z',
      '--',
      this.repository.path,
    ]);
    const fields = out.split('\0').filter((f) => f.length > 0);
    const changes: FileChange[] = [];
    const prefix = `${this.repository.path}/`;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const status = fields[i]![0] === 'A' ? 'added' : fields[i]![0] === 'D' ? 'removed' : 'changed';
      changes.push({ path: fields[i + 1]!.slice(prefix.length), status });
    }
    return { plan, before, after: listFiles(root), changes: changes.sort((a, b) => (a.path < b.path ? -1 : 1)) };
  }

  /** The staged unified diff of one file (relative to the rendered folder), without colour. */
  async stagedPatch(path: string): Promise<string> {
    return this.run('git diff', [
      'diff',
      '--cached',
      '--no-color',
      '--no-renames',
      '--no-ext-diff',
      '--src-prefix=a/',
      '--dst-prefix=b/',
      '-U3',
      '--',
      `${this.repository.path}/${path}`,
    ]);
  }

  /** The content of a file (relative to the rendered folder) at the branch head, or undefined. */
  async headContent(path: string): Promise<string | undefined> {
    try {
      return await this.git.raw(['show', `HEAD:${this.repository.path}/${path}`]);
    } catch {
      return undefined;
    }
  }

  /** Commits what is staged and returns the new commit. */
  async commit(message: string): Promise<string> {
    // GIT_AUTHOR_*/GIT_COMMITTER_* still win over these; they only fill in what nothing names.
    const identity: string[] = [];
    if (!(await this.config('user.name'))) identity.push('-c', `user.name=${DEFAULT_IDENTITY.name}`);
    if (!(await this.config('user.email'))) identity.push('-c', `user.email=${DEFAULT_IDENTITY.email}`);
    const messageFile = join(this.dir, '.git', 'GITOPS_SYNTH_MSG');
    writeFileSync(messageFile, message);
    await this.run('git commit', [
      ...identity,
      'commit',
      '-q',
      '--no-verify',
      '--cleanup=whitespace',
      '-F',
      messageFile,
    ]);
    return this.headCommit();
  }

  /** Pushes the new commit as a fast-forward of the branch; never forced. Throws GitFailure when the remote refuses. */
  async push(): Promise<void> {
    await this.run(`pushing to ${this.where()}`, ['push', '-q', 'origin', `HEAD:refs/heads/${this.repository.branch}`]);
  }

  async headCommit(): Promise<string> {
    return (await this.run('git rev-parse', ['rev-parse', 'HEAD'])).trim();
  }

  /** `<url> <branch>:<path>` for messages, without credentials. */
  where(): string {
    return this.access.redact(`${this.repository.gitUrl} ${this.repository.branch}:${this.repository.path}`);
  }

  private async config(key: string): Promise<string> {
    return (await this.git.raw(['config', '--get', key]).catch(() => '')).trim();
  }

  private async run(operation: string, args: string[]): Promise<string> {
    try {
      return await this.git.raw(args);
    } catch (err) {
      const text = (err instanceof Error ? err.message : String(err))
        .split('\n')
        .filter((l) => !l.startsWith('hint:'))
        .join('\n');
      throw new GitFailure(operation, this.access.redact(text.trim()));
    }
  }
}

/** Every file below `root`, relative and sorted; `[]` when it does not exist. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(dir, entry.name), path);
      else out.push(path);
    }
  };
  if (existsSync(root) && lstatSync(root).isDirectory()) walk(root, '');
  return out.sort();
}

function removeEmptyFolders(root: string): void {
  const prune = (dir: string): boolean => {
    let empty = true;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && prune(join(dir, entry.name)))
        rmSync(join(dir, entry.name), { recursive: true, force: true });
      else empty = false;
    }
    return empty;
  };
  if (existsSync(root) && lstatSync(root).isDirectory()) prune(root);
}
