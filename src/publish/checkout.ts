import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RenderedTree } from '../output/tree.js';
import type { DevopsRepository } from '../resolve/repository.js';
import type { GitAccess } from './credentials.js';
import { GitFailure, PublishError } from './errors.js';
import { gitMessage, runGit, type GitOutput } from './git.js';
import { planTree, type FileChange, type TreePlan } from './plan.js';
import { WORK_CLONE_MARKER } from './work-dir.js';

export { GitFailure } from './errors.js';

/** Identity of publish commits when neither the environment nor git's configuration names one. */
export const DEFAULT_IDENTITY = { name: 'gitops-synth', email: 'gitops-synth@users.noreply.github.com' };

/**
 * Where the devops repository records the commit gitops-synth last published
 * to a branch. Pushed atomically with the branch, so it is always in the
 * branch's history until someone rewrites that history; Image Updater's
 * pushes (the branch only) keep it so.
 */
export const PUBLISHED_REF_PREFIX = 'refs/gitops-synth/published/';

export function publishedRef(branch: string): string {
  return `${PUBLISHED_REF_PREFIX}${branch}`;
}

/** The work clone's copies of the remote's branch and records (never its own branches). */
const FETCHED_HEAD = 'refs/gitops-synth/fetched/head';
const FETCHED_RECORDS = 'refs/gitops-synth/fetched/published/';
const RECORD_SPEC = `+${PUBLISHED_REF_PREFIX}*:${FETCHED_RECORDS}*`;
/** Commits fetched below the head: the last publish is nearly always among them; when not, all are fetched. */
const FETCH_DEPTH = 50;
/** Looks again at a branch behind its record, waiting this much longer each time (1.5 s in all). */
const SETTLE_LOOKS = 5;
const SETTLE_MS = 100;

/** The remote branch as the last fetch found it. */
export interface FetchedBranch {
  /** Head commit of the branch; undefined when the branch does not exist. */
  readonly head?: string;
  /** The commit gitops-synth last published to the branch, when the repository records one. */
  readonly published?: string;
}

/** The rendered folder of the devops repository after a plan was applied. */
export interface AppliedPlan {
  readonly plan: TreePlan;
  /** Files under the rendered folder before, relative to it. */
  readonly before: readonly string[];
  /** Files under the rendered folder after, relative to it. */
  readonly after: readonly string[];
  /** What differs, relative to the rendered folder. */
  readonly changes: readonly FileChange[];
}

/** A tree built from a fetched head and the render; committed by publish, compared by diff. */
export interface BuiltTree {
  /** The head it was built on; undefined for a new branch. */
  readonly base?: string;
  /** What the tree is compared with: the head's tree (`<head>^{tree}`), or the empty tree for a new branch. */
  readonly baseTree: string;
  readonly tree: string;
  readonly applied: AppliedPlan;
}

/** What a push came to: pushed, or refused with git's reason (someone pushed first, a hook declined). */
export type PushResult =
  | { readonly pushed: true; readonly warning?: string }
  | { readonly pushed: false; readonly reason: string };

/**
 * A work clone of the devops repository. Only its `.git` is used: each
 * attempt fetches the branch, builds the new commit on the fetched head with
 * git's plumbing (the head's tree read into a private index, only the
 * changed files of the rendered folder hashed and updated, write-tree,
 * commit-tree) and pushes that commit. Nothing is checked out, so a retry
 * costs a fetch and a few small git commands, and the window between reading
 * the head and pushing stays short. Nothing is ever forced.
 */
export class DevopsCheckout {
  /** Servers without atomic pushes get the branch first and the record after. */
  private atomic = true;
  private identity?: string[];
  /** Renders whose files are in the object store already. */
  private readonly stored = new WeakSet<RenderedTree>();

  private constructor(
    readonly dir: string,
    readonly repository: DevopsRepository,
    private readonly access: GitAccess,
    private readonly gitDir: string,
    /** The run's own index file: two runs in one work clone never share one. */
    private readonly indexFile: string,
    private readonly objectFormat: string,
    /** Made by an earlier run: objects of earlier fetches are there already. */
    private readonly reused: boolean,
  ) {}

  /**
   * Opens (creating when needed) a work clone in `dir`, which checkWorkDir
   * accepted. The marker goes in first, so a clone interrupted half-way is
   * still known as gitops-synth's. The remote URL is stored without credentials.
   */
  static async open(dir: string, repository: DevopsRepository, access: GitAccess): Promise<DevopsCheckout> {
    const gitDir = join(dir, '.git');
    mkdirSync(gitDir, { recursive: true });
    writeFileSync(
      join(gitDir, WORK_CLONE_MARKER),
      'A work clone gitops-synth made for publish and diff (only this .git folder is used).\n',
    );
    const run = (args: string[]) => runGit(args, { cwd: dir, env: access.env });
    const must = async (operation: string, args: string[]): Promise<string> => {
      const r = await run(args);
      if (r.code !== 0) throw new GitFailure(operation, access.redact(gitMessage(r)));
      return r.stdout;
    };
    // No template: a work clone needs no sample hooks, and none of a machine's own template's.
    const reused = existsSync(join(gitDir, 'HEAD'));
    if (!reused) await must('git init', ['init', '-q', '--template=']);
    const config = (): string => readFileSync(join(gitDir, 'config'), 'utf8');
    if (!config().includes(`\turl = ${repository.gitUrl}\n`))
      await must('git config', ['config', 'remote.origin.url', repository.gitUrl]);
    // The object format git chose at init (sha256 when the machine's configuration asks for it).
    const format = /^\s*objectformat\s*=\s*sha256\s*$/im.test(config()) ? 'sha256' : 'sha1';
    const index = join(gitDir, `gitops-synth-index-${process.pid}-${randomBytes(4).toString('hex')}`);
    return new DevopsCheckout(dir, repository, access, gitDir, index, format, reused);
  }

  /** Removes what this run kept in the work clone for itself (its index). */
  close(): void {
    rmSync(this.indexFile, { force: true });
  }

  /** In a work clone kept between runs, lets git pack what the runs left (it does nothing most of the time). */
  async tidy(): Promise<void> {
    if (this.reused) await this.git(['-c', 'gc.autoDetach=false', 'gc', '--auto', '--quiet']);
  }

  /**
   * Stores every rendered file as a blob (one `git fast-import` for all of
   * them), once per render: building a commit after a fetch then hashes
   * nothing, which keeps the window between fetching and pushing short.
   */
  async store(rendered: RenderedTree): Promise<void> {
    if (this.stored.has(rendered)) return;
    const blobs = new Map<string, Buffer>();
    for (const [, content] of rendered.entries()) {
      const bytes = Buffer.from(content, 'utf8');
      blobs.set(this.blobId(bytes), bytes);
    }
    if (this.reused) {
      // A kept work clone holds most of them already (fetched before): store only what it lacks.
      const ids = [...blobs.keys()];
      const out = await this.must('git cat-file', ['cat-file', '--batch-check'], `${ids.join('\n')}\n`);
      const present = new Set(
        out
          .split('\n')
          .filter((l) => !l.endsWith(' missing'))
          .map((l) => l.split(' ')[0]),
      );
      for (const id of ids) if (present.has(id)) blobs.delete(id);
    }
    const parts = [...blobs.values()].flatMap((b) => [Buffer.from(`blob\ndata ${b.length}\n`), b, Buffer.from('\n')]);
    if (parts.length) await this.must('git fast-import', ['fast-import', '--quiet'], Buffer.concat(parts));
    this.stored.add(rendered);
  }

  /** Fetches the branch (shallow) and the records of the last publishes. */
  async fetch(): Promise<FetchedBranch> {
    const branch = this.repository.branch;
    // No gc or forced-update scan after each fetch: a retry fetches again at once.
    const base = ['fetch', '-q', '--no-tags', '--prune', '--no-auto-gc', '--no-show-forced-updates', 'origin'];
    let r = await this.git([...base, `--depth=${FETCH_DEPTH}`, this.headSpec(), RECORD_SPEC]);
    let exists = true;
    if (r.code !== 0 && /couldn't find remote ref/i.test(r.stderr)) {
      // No branch: only records, if any (a shallow fetch of nothing fails without a word, so not shallow).
      exists = false;
      r = await this.git([...base, RECORD_SPEC]);
    }
    if (r.code !== 0) throw this.failure(`fetching ${this.where()}`, r);
    if (!exists) await this.git(['update-ref', '-d', FETCHED_HEAD]);
    const [head, published] = await Promise.all([
      exists ? this.fetchedRef(FETCHED_HEAD) : undefined,
      this.fetchedRef(`${FETCHED_RECORDS}${branch}`),
    ]);
    return { head, published };
  }

  /**
   * Whether the fetched branch's history still holds the last publish (true
   * when none is recorded). A shallow fetch that does not reach it is deepened
   * to the whole history before the answer is no. A branch behind the record
   * (or missing) may be another publish's atomic push seen half-way (the
   * record moved, the branch not yet): it is fetched again a few times before
   * the answer is no, since a branch reset to an older commit looks the same
   * and stays so. The branch as last fetched comes back too.
   */
  async historyKept(fetched: FetchedBranch): Promise<{ kept: boolean; fetched: FetchedBranch }> {
    let now = fetched;
    let deepened = false;
    for (let look = 1; ; look++) {
      const { head, published } = now;
      if (!published) return { kept: true, fetched: now };
      if (head && (published === head || (await this.isAncestor(published, head)))) return { kept: true, fetched: now };
      if (!head || (await this.isAncestor(head, published))) {
        if (look > SETTLE_LOOKS) return { kept: false, fetched: now };
        await sleep(SETTLE_MS * look);
        now = await this.fetch();
      } else if (!deepened && existsSync(join(this.gitDir, 'shallow'))) {
        deepened = true;
        const deeper = await this.git([
          'fetch',
          '-q',
          '--no-tags',
          '--unshallow',
          'origin',
          this.headSpec(),
          RECORD_SPEC,
        ]);
        if (deeper.code !== 0) throw this.failure(`fetching the history of ${this.where()}`, deeper);
        now = { ...now, head: await this.fetchedRef(FETCHED_HEAD) };
      } else return { kept: false, fetched: now };
    }
  }

  /**
   * Builds the tree of the fetched head with the rendered folder replaced by
   * `rendered` (stored before, see store), keeping what the generator does
   * not own (see planTree). Reads the head's tree into the run's own index
   * while listing the rendered folder, updates only the entries that differ,
   * and writes the tree.
   */
  async build(rendered: RenderedTree, fetched: FetchedBranch): Promise<BuiltTree> {
    const root = this.repository.path;
    const head = fetched.head;
    const baseTree = head ? `${head}^{tree}` : this.emptyTree();
    const [, listing] = await Promise.all([
      this.must('git read-tree', head ? ['read-tree', head] : ['read-tree', '--empty']),
      head ? this.must('git ls-tree', ['ls-tree', '-r', '-t', '-z', '--full-tree', head, '--', root]) : '',
    ]);
    const current = new Map<string, { mode: string; id: string }>();
    let rootIsFolder = false;
    for (const entry of listing.split('\0')) {
      const m = /^(\d+) (\S+) ([0-9a-f]+)\t(.*)$/s.exec(entry);
      if (!m) continue;
      if (m[4] === root && m[2] === 'tree') rootIsFolder = true;
      else if (m[2] !== 'tree' && m[4]!.startsWith(`${root}/`))
        current.set(m[4]!.slice(root.length + 1), { mode: m[1]!, id: m[3]! });
    }
    // Where the folder is missing, a file may stand where it (or a folder above it) belongs.
    if (head && !rootIsFolder) await this.refuseFileAt(head, root);
    const before = [...current.keys()].sort();
    const plan = planTree(before, rendered);
    const writes: { path: string; mode: string; id: string }[] = [];
    const changes: FileChange[] = plan.remove.map((path) => ({ path, status: 'removed' }));
    for (const [path, content] of plan.write) {
      // Git records the executable bit; the bootstrap script must arrive runnable.
      const mode = rendered.isExecutable(path) ? '100755' : '100644';
      const id = this.blobId(Buffer.from(content, 'utf8'));
      const now = current.get(path);
      if (now && now.id === id && now.mode === mode) continue;
      writes.push({ path, mode, id });
      changes.push({ path, status: now ? 'changed' : 'added' });
    }
    if (changes.length === 0) {
      const applied = { plan, before, after: before, changes: [] };
      return { base: head, baseTree, tree: baseTree, applied };
    }
    const zero = '0'.repeat(this.emptyTree().length);
    // Removals first; --index-info replaces a file by a folder of the same name (and the reverse) as it goes.
    const entries = [
      ...plan.remove.map((p) => `0 ${zero}\t${root}/${p}`),
      ...writes.map((w) => `${w.mode} ${w.id}\t${root}/${w.path}`),
    ];
    await this.must('git update-index', ['update-index', '-z', '--index-info'], `${entries.join('\0')}\0`);
    // write-tree refuses a tree naming a blob the repository lacks: nothing unstored gets in.
    const tree = await this.mustLine('git write-tree', ['write-tree']);
    const removed = new Set(plan.remove);
    const after = [...new Set([...before.filter((p) => !removed.has(p)), ...writes.map((w) => w.path)])].sort();
    changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { base: head, baseTree, tree, applied: { plan, before, after, changes } };
  }

  /** Makes the commit of a built tree on its base and returns it. */
  async commit(built: BuiltTree, message: string): Promise<string> {
    const parent = built.base ? ['-p', built.base] : [];
    const args = [...(await this.identityArgs()), 'commit-tree', built.tree, ...parent, '-F', '-'];
    return this.mustLine('git commit-tree', args, message);
  }

  /**
   * Pushes `commit` as a fast-forward of the branch, and as the record of the
   * last publish, in one atomic push: both move or neither does. Never
   * forced. A refused push (someone pushed first, a hook declined) comes back
   * with git's reason; a failure to talk to the remote at all throws.
   */
  async push(commit: string): Promise<PushResult> {
    const branchRef = `refs/heads/${this.repository.branch}`;
    const recordRef = publishedRef(this.repository.branch);
    if (this.atomic) {
      const r = await this.git([
        'push',
        '--porcelain',
        '--atomic',
        'origin',
        `${commit}:${branchRef}`,
        `${commit}:${recordRef}`,
      ]);
      if (r.code === 0) return { pushed: true };
      if (!/does not support --atomic/i.test(r.stderr)) return this.refusal(r);
      this.atomic = false;
    }
    // Without atomic pushes the record follows the branch, so it is never ahead of what the branch holds.
    const r = await this.git(['push', '--porcelain', 'origin', `${commit}:${branchRef}`]);
    if (r.code !== 0) return this.refusal(r);
    const record = await this.git(['push', '--porcelain', 'origin', `${commit}:${recordRef}`]);
    if (record.code === 0) return { pushed: true };
    return { pushed: true, warning: `the record ${recordRef} was not updated: ${this.reason(record)}` };
  }

  /** The unified diff of one file or folder (relative to the rendered folder) between a built tree and its base. */
  async patch(built: BuiltTree, path: string): Promise<string> {
    const target = path ? `${this.repository.path}/${path}` : this.repository.path;
    return this.must('git diff', [
      'diff',
      '--no-color',
      '--no-renames',
      '--no-ext-diff',
      '--no-textconv',
      '--src-prefix=a/',
      '--dst-prefix=b/',
      '-U3',
      built.baseTree,
      built.tree,
      '--',
      target,
    ]);
  }

  /** The content of a file (relative to the rendered folder) at a commit, or undefined. */
  async contentAt(commit: string | undefined, path: string): Promise<string | undefined> {
    if (!commit) return undefined;
    const r = await this.git(['cat-file', 'blob', `${commit}:${this.repository.path}/${path}`]);
    return r.code === 0 ? r.stdout : undefined;
  }

  /** `<url> <branch>:<path>` for messages, without credentials. */
  where(): string {
    return this.access.redact(`${this.repository.gitUrl} ${this.repository.branch}:${this.repository.path}`);
  }

  /** A file where the rendered folder or one of the folders above it belongs would be replaced silently: refuse. */
  private async refuseFileAt(head: string, root: string): Promise<void> {
    const parts = root.split('/');
    const paths = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    const listing = await this.must('git ls-tree', ['ls-tree', '-z', '--full-tree', head, '--', ...paths]);
    for (const entry of listing.split('\0')) {
      const m = /^\d+ (\S+) [0-9a-f]+\t(.*)$/s.exec(entry);
      if (m && m[1] !== 'tree' && paths.includes(m[2]!))
        throw new PublishError(
          `${this.where()}: the branch holds a file at ${m[2]}, where the rendered folder ${root}/ goes; ` +
            'nothing was pushed. Move that file, or set repository.path to another folder.',
        );
    }
  }

  /** The object id git gives `content` as a blob, computed here so unchanged files never reach git. */
  private blobId(bytes: Buffer): string {
    return createHash(this.objectFormat === 'sha256' ? 'sha256' : 'sha1')
      .update(`blob ${bytes.length}\0`)
      .update(bytes)
      .digest('hex');
  }

  private emptyTree(): string {
    return this.objectFormat === 'sha256'
      ? '6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321'
      : '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
  }

  private async identityArgs(): Promise<string[]> {
    if (this.identity) return this.identity;
    // GIT_AUTHOR_*/GIT_COMMITTER_* still win over these; they only fill in what nothing names.
    const env = this.access.env;
    const named = env.GIT_AUTHOR_NAME && env.GIT_AUTHOR_EMAIL && env.GIT_COMMITTER_NAME && env.GIT_COMMITTER_EMAIL;
    const identity: string[] = [];
    if (!named && !(await this.config('user.name'))) identity.push('-c', `user.name=${DEFAULT_IDENTITY.name}`);
    if (!named && !(await this.config('user.email'))) identity.push('-c', `user.email=${DEFAULT_IDENTITY.email}`);
    this.identity = identity;
    return identity;
  }

  private async config(key: string): Promise<string> {
    return (await this.git(['config', '--get', key])).stdout.trim();
  }

  /**
   * The commit a fetched ref names: read from its file as fetch wrote it, else asked of git (packed refs, reftable).
   */
  private async fetchedRef(ref: string): Promise<string | undefined> {
    try {
      const id = readFileSync(join(this.gitDir, ref), 'utf8').trim();
      if (/^[0-9a-f]{40,64}$/.test(id)) return id;
    } catch {
      /* not a loose ref */
    }
    const r = await this.git(['rev-parse', '-q', '--verify', `${ref}^{commit}`]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  private headSpec(): string {
    return `+refs/heads/${this.repository.branch}:${FETCHED_HEAD}`;
  }

  private async isAncestor(ancestor: string, commit: string): Promise<boolean> {
    return (await this.git(['merge-base', '--is-ancestor', ancestor, commit])).code === 0;
  }

  /** A refused push with git's reason; a push that never reached the refs (no connection, no access) throws. */
  private refusal(r: GitOutput): PushResult {
    if (!r.stdout.split('\n').some((l) => l.startsWith('!'))) throw this.failure(`pushing to ${this.where()}`, r);
    return { pushed: false, reason: this.reason(r) };
  }

  /**
   * git's reason for refusing refs, from `--porcelain` (`!  <src>:<ref>  [rejected] (fetch first)`) and the
   * remote's own words (`remote: …`, e.g. a hook's message). The branch comes first; the record of an
   * atomic push only when it says something else than the branch (not just "atomic push failed").
   */
  private reason(r: GitOutput): string {
    const lines = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.split('\t'))
      .map(([, refs, summary]) => ({ ref: (refs ?? '').split(':').pop() ?? '', summary: summary ?? '' }))
      .sort((a, b) => Number(b.ref.startsWith('refs/heads/')) - Number(a.ref.startsWith('refs/heads/')));
    const refused: string[] = [];
    const said = new Set<string>();
    for (const { ref, summary } of lines) {
      if (refused.length && (said.has(summary) || summary.includes('(atomic push failed)'))) continue;
      said.add(summary);
      refused.push(`${ref} ${summary}`.trim());
    }
    const remote = r.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('remote:') && l.length > 'remote:'.length);
    return this.access.redact([...refused, ...remote].join('; '));
  }

  private failure(operation: string, r: GitOutput): GitFailure {
    return new GitFailure(operation, this.access.redact(gitMessage(r) || `git exited with ${r.code}`));
  }

  private git(args: readonly string[], input?: string | Buffer): Promise<GitOutput> {
    return runGit(args, { cwd: this.dir, env: { ...this.access.env, GIT_INDEX_FILE: this.indexFile }, input });
  }

  private async must(operation: string, args: readonly string[], input?: string | Buffer): Promise<string> {
    const r = await this.git(args, input);
    if (r.code !== 0) throw this.failure(operation, r);
    return r.stdout;
  }

  private async mustLine(operation: string, args: readonly string[], input?: string): Promise<string> {
    return (await this.must(operation, args, input)).trim();
  }
}
