/**
 * The documentation stays true: README.md and docs/**\/*.md are read, and
 *
 * - every fenced block has an info string from the convention of
 *   docs/development.md (`sh` runs, the others are shown only);
 * - no command line in a shell-like block starts with a bare `gitops-synth`,
 *   which is not on PATH in a clone (`npx gitops-synth` is);
 * - every relative link and #anchor between the pages resolves, and both the
 *   README and the index docs/README.md link to every page;
 * - the README stays at most 12 KB;
 * - every `sh` block runs, in bash with `set -euo pipefail`, exit status 0, in
 *   a fresh copy of the project as a clone looks after the set-up command
 *   (the files git knows, build/, node_modules, dist/ rendered). The blocks
 *   of one page run in order in one copy, each in a new shell starting at
 *   the project root; every page starts from a fresh copy.
 *   The devops repository of the shipped settings
 *   (https://github.com/acme-shop/shop-deploy.git) is redirected to an empty
 *   local bare repository with git's own url.<base>.insteadOf, written to the
 *   git configuration under $XDG_CONFIG_HOME (the CLI drops GIT_* variables
 *   such as GIT_CONFIG_COUNT from the environment of its git processes, but
 *   git reads $XDG_CONFIG_HOME/git/config itself).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './helpers.js';

/** Info strings a fenced block may have; `sh` is the one that runs. */
const RUNNABLE = 'sh';
const SHOWN_ONLY = ['shell', 'console', 'text', 'yaml', 'json'];
const README_LIMIT = 12_000; // "README ≤ 12 KB", read strictly
/** The devops repository the shipped settings name. */
const DEVOPS_URL = 'https://github.com/acme-shop/shop-deploy.git';
const IDENTITY = {
  GIT_AUTHOR_NAME: 'Docs Test',
  GIT_AUTHOR_EMAIL: 'docs@example.com',
  GIT_COMMITTER_NAME: 'Docs Test',
  GIT_COMMITTER_EMAIL: 'docs@example.com',
};

interface Block {
  readonly page: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly info: string;
  readonly code: string;
}

/** README.md and every Markdown file under docs/, relative to the repository. */
function pages(): string[] {
  const out = ['README.md'];
  const walk = (dir: string): void => {
    if (!existsSync(join(REPO, dir))) return;
    for (const name of readdirSync(join(REPO, dir)).sort()) {
      const path = join(dir, name);
      if (statSync(join(REPO, path)).isDirectory()) walk(path);
      else if (name.endsWith('.md')) out.push(path);
    }
  };
  walk('docs');
  return out;
}

/** The fenced code blocks of a page (``` fences, also indented in list items). */
function fencedBlocks(page: string, text: string): Block[] {
  const lines = text.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, rest] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^( *)(`{3,})\s*$/.exec(lines[j]!);
      if (close && close[2]!.length >= fence!.length) break;
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!.trimStart());
    }
    if (j === lines.length) throw new Error(`${page}:${i + 1}: code fence never closed`);
    out.push({ page, line: i + 1, info: rest!.trim().split(/\s+/)[0] ?? '', code: body.join('\n') + '\n' });
    i = j;
  }
  return out;
}

/**
 * Lines of a shell-like block that run a bare `gitops-synth` (at
 * the start of a command, after a prompt or variable assignments).
 */
function bareInvocations(block: Block): string[] {
  const bare = /(?:^|&&|\|\||[;|(]|\$\()\s*(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*gitops-synth(?![\w.\-/])/;
  // In a console block only the lines after a `$ ` prompt are commands; the rest is output.
  const commands =
    block.info === 'console'
      ? block.code
          .split('\n')
          .filter((l) => l.startsWith('$ '))
          .map((l) => l.slice(2))
      : block.code.split('\n');
  return commands.filter((l) => bare.test(l.replace(/#.*$/, '')));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a page's headings, duplicates numbered as GitHub does. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let inFence = false;
  for (const line of text.split('\n')) {
    if (/^ *```/.test(line)) inFence = !inFence;
    const h = inFence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = slug(h[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** Markdown links of a page outside code, as written. */
function links(text: string): string[] {
  const prose = text.replace(/^( *)```[\s\S]*?^\1```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

/** Top-level entries of the repository a clone has (tracked or new, not ignored), without the test suite. */
function cloneEntries(): string[] {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
  return [...new Set(files.map((f) => f.split('/')[0]!))]
    .filter((e) => e !== 'test' && existsSync(join(REPO, e)))
    .sort();
}

interface Scratch {
  /** The project: <base>/run/gitops-synth, so its `..` is private to the run. */
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Fresh clones of the project, as a clone looks after the set-up command
 * (`npm install && npm run synth`): the files git knows, build/ (what
 * `prepare` compiled) and node_modules (a link), committed in a git
 * repository of its own, with dist/ rendered once so the caches are warm.
 * The real `npx gitops-synth` is checked once; the blocks' calls then go
 * through a shim that runs the same bin/gitops-synth.js without npm.
 * Every clone is made at the same path, so the caches (one store per project
 * path) stay warm from page to page, as they would in one clone. Caches and
 * git's user configuration live in the run's own folder, never in the shared
 * node_modules/.cache.
 */
class Clones {
  private readonly base = mkdtempSync(join(tmpdir(), 'gitops-synth-docs-'));
  /** The clone's only commit, which every page starts from. */
  private readonly first: string;
  private readonly devops = join(this.base, 'devops-remote.git');
  readonly dir = join(this.base, 'run', 'gitops-synth');
  readonly env: NodeJS.ProcessEnv = {};

  constructor() {
    try {
      const home = join(this.base, 'home');
      for (const [k, v] of Object.entries(process.env)) {
        // What npx/vitest put in the environment, and the suite's own cache settings, are not a user's shell.
        if (/^(npm_|VITEST|GIT_|GITOPS_SYNTH_)/i.test(k) || ['INIT_CWD', 'NODE_ENV', 'TEST', 'FORCE_COLOR'].includes(k))
          continue;
        this.env[k] = v;
      }
      Object.assign(this.env, IDENTITY, {
        XDG_CONFIG_HOME: join(home, 'config'),
        XDG_CACHE_HOME: join(home, 'cache'),
        GITOPS_SYNTH_CACHE_DIR: join(home, 'gitops-synth-cache'),
      });
      for (const k of ['GITOPS_SYNTH_KUBECTL', 'GITOPS_SYNTH_HELM']) if (process.env[k]) this.env[k] = process.env[k];
      mkdirSync(join(home, 'config', 'git'), { recursive: true });
      writeFileSync(join(home, 'config', 'git', 'config'), `[url "${this.devops}"]\n\tinsteadOf = ${DEVOPS_URL}\n`);

      mkdirSync(this.dir, { recursive: true });
      for (const entry of [...cloneEntries(), 'build'])
        cpSync(join(REPO, entry), join(this.dir, entry), { recursive: true });
      symlinkSync(realpathSync(join(REPO, 'node_modules')), join(this.dir, 'node_modules'));
      // The set-up command's synth: warm caches, and dist/ as the specs render it (committed, as in CI).
      const synth = spawnSync(process.execPath, ['bin/gitops-synth.js', 'synth'], {
        cwd: this.dir,
        env: this.env,
        encoding: 'utf8',
      });
      if (synth.status !== 0)
        throw new Error(`the set-up synth failed in the fresh clone:\n${synth.stdout}${synth.stderr}`);
      const git = (...args: string[]) => execFileSync('git', args, { cwd: this.dir, env: this.env, stdio: 'pipe' });
      git('init', '-q', '-b', 'main');
      // .gitignore's `node_modules/` matches a folder, not the link that stands in for it here.
      writeFileSync(join(this.dir, '.git', 'info', 'exclude'), '/node_modules\n');
      git('add', '-A');
      git('-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'A fresh clone');
      git('remote', 'add', 'origin', 'https://github.com/acme-shop/shop.git');

      // The real npx finds the package's own command in the clone...
      const npx = spawnSync('npx', ['gitops-synth', '--help'], { cwd: this.dir, env: this.env, encoding: 'utf8' });
      if (npx.status !== 0 || !npx.stdout.includes('gitops-synth <command>'))
        throw new Error(`npx gitops-synth does not run in the fresh clone:\n${npx.stdout}${npx.stderr}`);
      // ... so the blocks' `npx gitops-synth …` may skip npm's start-up (about 1 s of CPU per call):
      // a shim first on PATH runs the same command directly, and hands anything else to the real npx.
      const realNpx = execFileSync('bash', ['-c', 'command -v npx'], { env: this.env, encoding: 'utf8' }).trim();
      const shims = join(this.base, 'bin');
      mkdirSync(shims);
      writeFileSync(
        join(shims, 'npx'),
        `#!/usr/bin/env bash\n` +
          `if [ "\${1-}" = gitops-synth ]; then shift; exec node ` +
          `${JSON.stringify(join(this.dir, 'bin', 'gitops-synth.js'))} "$@"; fi\n` +
          `exec ${JSON.stringify(realNpx)} "$@"\n`,
        { mode: 0o755 },
      );
      this.env.PATH = `${shims}:${this.env.PATH}`;
      this.first = git('rev-parse', 'HEAD').toString().trim();
    } catch (err) {
      this.remove();
      throw err;
    }
  }

  /**
   * The clone as fresh as after the set-up command: its first commit checked
   * out, everything git does not know removed (but build/ and node_modules),
   * nothing else beside it, and an empty devops repository behind the
   * shipped URL. The caches stay warm.
   */
  fresh(): Scratch {
    const run = dirname(this.dir);
    for (const name of readdirSync(run))
      if (name !== basename(this.dir)) rmSync(join(run, name), { recursive: true, force: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: this.dir, env: this.env, stdio: 'pipe' });
    git('checkout', '-q', '-f', 'main');
    git('reset', '-q', '--hard', this.first);
    git('clean', '-q', '-f', '-d', '-x', '-e', '/node_modules', '-e', '/build');
    rmSync(join(this.base, 'home', 'cache'), { recursive: true, force: true });
    rmSync(this.devops, { recursive: true, force: true });
    execFileSync('git', ['init', '-q', '--bare', this.devops]);
    return { dir: this.dir, env: this.env };
  }

  remove(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

interface BlockRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function runBlock(code: string, scratch: Pick<Scratch, 'dir' | 'env'>): BlockRun {
  const start = Date.now();
  const r = spawnSync('bash', ['-c', `set -euo pipefail\n${code}`], {
    cwd: scratch.dir,
    env: scratch.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr + (r.error ? `\n${r.error.message}` : ''),
    ms: Date.now() - start,
  };
}

/** CPU time of the waited-for child processes so far, from Linux's /proc (for DOCS_TEST_TIMES=1). */
function childCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

function failure(block: Block, run: BlockRun): string {
  return [
    `${block.page}:${block.line}: this sh block exited with ${run.status ?? 'a signal'} (every sh block must ` +
      'run as written and exit 0; see docs/development.md)',
    '--- block',
    block.code.trimEnd(),
    '--- stdout',
    run.stdout.trimEnd(),
    '--- stderr',
    run.stderr.trimEnd(),
  ].join('\n');
}

const ALL = pages().map((page) => ({ page, text: readFileSync(join(REPO, page), 'utf8') }));
const BLOCKS = ALL.flatMap(({ page, text }) => fencedBlocks(page, text));

describe('the documentation', () => {
  it(`README.md is at most ${README_LIMIT} bytes`, () => {
    expect(statSync(join(REPO, 'README.md')).size).toBeLessThanOrEqual(README_LIMIT);
  });

  it('README.md shows the two set-up commands', () => {
    const readme = ALL[0]!.text;
    expect(readme).toContain('npm install && npm run synth');
    expect(readme).toMatch(/^npm test\b/m);
  });

  it('every fenced block says what it is: sh runs, shell, console, text, yaml and json are shown only', () => {
    const unknown = BLOCKS.filter((b) => b.info !== RUNNABLE && !SHOWN_ONLY.includes(b.info)).map(
      (b) => `${b.page}:${b.line}: \`\`\`${b.info}`,
    );
    expect(unknown).toEqual([]);
    expect(BLOCKS.some((b) => b.info === RUNNABLE)).toBe(true);
  });

  it('no command starts with a bare gitops-synth, which is not on PATH in a clone (npx gitops-synth is)', () => {
    const bare = BLOCKS.filter((b) => ['sh', 'shell', 'console'].includes(b.info)).flatMap((b) =>
      bareInvocations(b).map((l) => `${b.page}:${b.line}: ${l.trim()}`),
    );
    expect(bare).toEqual([]);
  });

  it('every relative link and anchor resolves, and the README and docs/README.md link to every page', () => {
    const anchorsOf = new Map(ALL.map(({ page, text }) => [page, anchors(text)]));
    const broken: string[] = [];
    for (const { page, text } of ALL) {
      for (const link of links(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
        const [path, anchor] = link.split('#') as [string, string | undefined];
        const target = path ? relative(REPO, resolve(REPO, dirname(page), path)) : page;
        if (!existsSync(join(REPO, target))) broken.push(`${page}: ${link} (no ${target})`);
        else if (anchor !== undefined && target.endsWith('.md') && !anchorsOf.get(target)?.has(anchor))
          broken.push(`${page}: ${link} (no heading #${anchor} in ${target})`);
      }
    }
    expect(broken).toEqual([]);
    const linkedFrom = (page: string): Set<string> =>
      new Set(
        links(ALL.find((p) => p.page === page)!.text).map((l) =>
          relative(REPO, resolve(REPO, dirname(page), l.split('#')[0]!)),
        ),
      );
    const docs = ALL.map((p) => p.page).filter((p) => p.startsWith('docs/'));
    const fromReadme = linkedFrom('README.md');
    expect(docs.filter((p) => !fromReadme.has(p))).toEqual([]);
    const fromIndex = linkedFrom(join('docs', 'README.md'));
    expect(docs.filter((p) => p !== join('docs', 'README.md') && !fromIndex.has(p))).toEqual([]);
  });

  it('the block runner fails on a failing command, inside a pipe or not', () => {
    const here = { dir: REPO, env: { PATH: process.env.PATH } };
    expect(runBlock('true\n', here).status).toBe(0);
    expect(runBlock('false\necho after\n', here).status).not.toBe(0);
    expect(runBlock('false | cat\n', here).status).not.toBe(0);
    expect(runBlock('echo "$UNSET_VARIABLE"\n', here).status).not.toBe(0);
  });

  describe('every sh block runs as written on a fresh clone', () => {
    const runnable = [...new Set(BLOCKS.filter((b) => b.info === RUNNABLE).map((b) => b.page))];
    let clones: Clones | undefined;
    beforeAll(() => {
      clones = new Clones();
    }, 300_000);
    afterAll(() => clones?.remove());
    it.each(runnable)(
      '%s',
      (page) => {
        const scratch = clones!.fresh();
        for (const block of BLOCKS.filter((b) => b.page === page && b.info === RUNNABLE)) {
          const timed = Boolean(process.env.DOCS_TEST_TIMES);
          const cpuBefore = timed ? childCpuMs() : 0;
          const run = runBlock(block.code, scratch);
          if (run.status !== 0) throw new Error(failure(block, run));
          if (timed)
            process.stderr.write(`${block.page}:${block.line} ${run.ms} ms wall, ${childCpuMs() - cpuBefore} ms CPU\n`);
        }
      },
      300_000,
    );
  });
});
