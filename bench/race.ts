/**
 * Publishers racing for one devops branch while Image Updater writes tags
 * back into it: the harness behind the race tests (test/publish-race.test.ts)
 * and `npm run bench -- --race` (the full size, through the real CLI).
 *
 * A local bare repository stands in for the devops repository; every racer
 * is a project of one service (`web`, in environment `stage`) in its own git
 * clone, publishing to its own folder (`team<n>`) of the same branch, through
 * the settings' https URL sent to the bare repository by git's insteadOf. Each
 * round gives the service a new tag, commits it and publishes; a writer
 * commits `.argocd-source-web-stage.yaml` files into the racers' folders
 * between them, as Image Updater does (the branch only, retrying its own
 * refused pushes). raceViolations then checks what must hold: nothing failed,
 * nothing lost, nothing forced.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The devops repository's URL in the racers' settings. */
export const RACE_DEVOPS_URL = 'https://github.com/acme-race/race-deploy.git';

export interface Racer {
  /** 1-based. */
  readonly index: number;
  /** The folder of the devops branch this racer publishes to. */
  readonly team: string;
  readonly project: string;
}

/** One publish of one round, as the racer saw it. */
export interface Published {
  readonly racer: number;
  readonly round: number;
  readonly outcome: 'pushed' | 'up-to-date' | 'dry-run' | 'failed';
  /** The pushed commit (full id). */
  readonly commit?: string;
  /** Push attempts; more than one when a push was refused and retried. */
  readonly attempts: number;
  /** Why it failed. */
  readonly error?: string;
  readonly ms: number;
  /** What the publish logged (the CLI's stderr). */
  readonly log?: string;
}

export interface WrittenBack {
  readonly file: string;
  readonly content: string;
  readonly commit: string;
}

export interface RaceOptions {
  readonly publishers: number;
  readonly rounds: number;
  readonly writeBacks: number;
  /** An empty folder for the remote, the projects and the writer's clone. */
  readonly work: string;
  /** The tag of a racer's round; vary it every round (two alternating tags keep the render caches warm). */
  readonly tag: (racer: number, round: number) => string;
  /** Publishes the racer's project once (through the CLI, or publish() in process); never throws. */
  readonly publish: (racer: Racer, round: number, env: NodeJS.ProcessEnv) => Promise<Published>;
}

export interface RaceReport {
  readonly remote: string;
  readonly racers: readonly Racer[];
  readonly published: readonly Published[];
  readonly written: readonly WrittenBack[];
  readonly options: RaceOptions;
  readonly ms: number;
}

/** A HOME without configuration, like a fresh CI machine, and an identity for every commit. */
export function raceGitEnv(remote: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: '/nonexistent/gitops-synth-race-home',
    XDG_CONFIG_HOME: '/nonexistent/gitops-synth-race-home',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Race',
    GIT_AUTHOR_EMAIL: 'race@example.com',
    GIT_COMMITTER_NAME: 'Race',
    GIT_COMMITTER_EMAIL: 'race@example.com',
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: `url.${remote}.insteadOf`,
    GIT_CONFIG_VALUE_0: RACE_DEVOPS_URL,
    // The racers' own commits start no background maintenance: the race measures publishing.
    GIT_CONFIG_KEY_1: 'maintenance.auto',
    GIT_CONFIG_VALUE_1: 'false',
  };
}

function gitSync(cwd: string, args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

async function gitAsync(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return (await execFileAsync('git', args, { cwd, env, encoding: 'utf8' })).stdout.trim();
}

/** Auto-updated: the write-backs landing beside it are its own (a pinned service's would be removed). */
function serviceSpec(tag: string): string {
  return `image: {repository: ghcr.io/acme/web, tag: "${tag}", autoUpdate: true}\nport: 8080\n`;
}

function makeRacer(work: string, index: number, env: NodeJS.ProcessEnv, tag: string): Racer {
  const team = `team${index}`;
  const project = join(work, `racer-${index}`);
  const files: Record<string, string> = {
    'apps/web.yaml': serviceSpec(tag),
    'environments/stage.yaml':
      'namespace: race\ndomain: race.example.com\ncluster: https://kubernetes.default.svc\n' +
      'ingress: {className: nginx}\nimagePolicy: {strategy: newest-build, allowTags: any}\n',
    'environments/_settings.yaml': `project: race\nrepository: {url: ${RACE_DEVOPS_URL}, branch: main, path: ${team}}\n`,
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(project, path, '..'), { recursive: true });
    writeFileSync(join(project, path), content);
  }
  gitSync(work, ['init', '-q', '-b', 'main', project], env);
  gitSync(project, ['add', '-A'], env);
  gitSync(project, ['commit', '-q', '-m', 'specs'], env);
  return { index, team, project };
}

/** Image Updater's write-backs: each into a racer's folder, on the newest head, retrying refused pushes. */
async function writeBacks(remote: string, work: string, options: RaceOptions, env: NodeJS.ProcessEnv) {
  const clone = join(work, 'writer');
  gitSync(work, ['clone', '-q', remote, clone], env);
  const written: WrittenBack[] = [];
  for (let n = 1; n <= options.writeBacks; n++) {
    const team = `team${((n - 1) % options.publishers) + 1}`;
    const file = `${team}/stage/web/.argocd-source-web-stage.yaml`;
    const content = `kustomize:\n  images:\n  - ghcr.io/acme/web:w${n}\n`;
    for (let attempt = 1; ; attempt++) {
      try {
        await gitAsync(clone, ['fetch', '-q', '--no-auto-gc', 'origin'], env);
        await gitAsync(clone, ['reset', '-q', '--hard', 'origin/main'], env);
      } catch {
        /* the branch may not exist yet */
      }
      mkdirSync(join(clone, team, 'stage', 'web'), { recursive: true });
      writeFileSync(join(clone, file), content);
      await gitAsync(clone, ['add', file], env);
      await gitAsync(clone, ['commit', '-q', '-m', `build: automatic update of ${file}`], env);
      try {
        await gitAsync(clone, ['push', '-q', 'origin', 'HEAD:refs/heads/main'], env);
        written.push({ file, content, commit: await gitAsync(clone, ['rev-parse', 'HEAD'], env) });
        break;
      } catch (err) {
        if (attempt > 500) throw err;
        await sleep(5 + Math.random() * 20);
      }
    }
    // Between the publishes, not in one burst: Image Updater commits a tag at a time.
    await sleep(50 + Math.random() * 150);
  }
  return written;
}

/** Runs the race: every racer's rounds and the writer's write-backs at once. */
export async function race(options: RaceOptions): Promise<RaceReport> {
  const remote = join(options.work, 'devops.git');
  const env = raceGitEnv(remote);
  gitSync(options.work, ['init', '-q', '--bare', '-b', 'main', remote], env);
  // Every update of every ref is logged: the check that nothing was forced reads it.
  gitSync(remote, ['config', 'core.logAllRefUpdates', 'always'], env);
  // A server that does not gc after every push (hosting services do it on their own schedule).
  gitSync(remote, ['config', 'receive.autogc', 'false'], env);
  const racers = Array.from({ length: options.publishers }, (_, i) =>
    makeRacer(options.work, i + 1, env, options.tag(i + 1, 0)),
  );
  const started = performance.now();
  const runRacer = async (racer: Racer): Promise<Published[]> => {
    const out: Published[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      writeFileSync(join(racer.project, 'apps', 'web.yaml'), serviceSpec(options.tag(racer.index, round)));
      await gitAsync(racer.project, ['commit', '-q', '-am', `web: round ${round}`], env);
      out.push(await options.publish(racer, round, env));
    }
    return out;
  };
  const [written, ...published] = await Promise.all([
    writeBacks(remote, options.work, options, env),
    ...racers.map(runRacer),
  ]);
  return { remote, racers, published: published.flat(), written, options, ms: performance.now() - started };
}

/** Everything that must hold after a race, as sentences; empty when it all holds. */
export function raceViolations(report: RaceReport): string[] {
  const { remote, racers, published, written, options } = report;
  const env = raceGitEnv(remote);
  const git = (args: string[]) => gitSync(remote, args, env);
  const ok = (args: string[]) => {
    try {
      git(args);
      return true;
    } catch {
      return false;
    }
  };
  const out: string[] = [];
  for (const p of published)
    if (p.outcome !== 'pushed') out.push(`racer ${p.racer} round ${p.round}: ${p.outcome} ${p.error ?? ''}`.trim());
  if (written.length !== options.writeBacks) out.push(`${written.length} of ${options.writeBacks} write-backs pushed`);
  const head = git(['rev-parse', 'main']);

  for (const p of published) {
    if (!p.commit) continue;
    const team = `team${p.racer}`;
    const kustomization = git(['show', `${p.commit}:${team}/stage/web/kustomization.yaml`]);
    if (!kustomization.includes(`newTag: ${options.tag(p.racer, p.round)}`))
      out.push(`racer ${p.racer} round ${p.round}: ${p.commit} does not carry tag ${options.tag(p.racer, p.round)}`);
    const touched = git(['diff-tree', '--no-commit-id', '--name-only', '-r', '--root', p.commit]).split('\n');
    const elsewhere = touched.filter((f) => f && !f.startsWith(`${team}/`));
    if (elsewhere.length) out.push(`racer ${p.racer} round ${p.round} changed ${elsewhere.join(', ')}`);
  }

  // Nothing lost: every pushed commit is on the branch, and the branch holds nothing else.
  const pushed = [...published.flatMap((p) => (p.commit ? [p.commit] : [])), ...written.map((w) => w.commit)];
  for (const c of pushed) if (!ok(['merge-base', '--is-ancestor', c, head])) out.push(`${c} is not on main (lost)`);
  const onBranch = new Set(git(['rev-list', 'main']).split('\n').filter(Boolean));
  const extra = [...onBranch].filter((c) => !pushed.includes(c));
  if (extra.length) out.push(`main holds commits nobody reported pushing: ${extra.join(', ')}`);

  // Nothing forced: linear history, every update of the branch a fast-forward.
  if (git(['rev-list', '--min-parents=2', 'main'])) out.push('main has merge commits');
  const log = readFileSync(join(remote, 'logs', 'refs', 'heads', 'main'), 'utf8')
    .split('\n')
    .filter(Boolean);
  if (log.length !== pushed.length) out.push(`main was updated ${log.length} times for ${pushed.length} pushes`);
  for (const line of log) {
    const [from, to] = line.split(' ');
    if (!/^0+$/.test(from!) && !ok(['merge-base', '--is-ancestor', from!, to!]))
      out.push(`main moved ${from} → ${to} without a fast-forward (forced)`);
  }

  // The end state: each racer's last round, each write-back file's last content, the record of the last publish.
  for (const r of racers) {
    const tag = options.tag(r.index, options.rounds);
    if (!git(['show', `main:${r.team}/stage/web/kustomization.yaml`]).includes(`newTag: ${tag}`))
      out.push(`main does not end with ${r.team}'s last tag ${tag}`);
  }
  for (const [file, content] of new Map(written.map((w) => [w.file, w.content])))
    if (`${git(['show', `main:${file}`])}\n` !== content) out.push(`main lost the last write-back of ${file}`);
  const firstParent = git(['rev-list', '--first-parent', 'main']).split('\n');
  const lastPublished = firstParent.find((c) => published.some((p) => p.commit === c));
  const record = ok(['rev-parse', '-q', '--verify', 'refs/gitops-synth/published/main'])
    ? git(['rev-parse', 'refs/gitops-synth/published/main'])
    : undefined;
  if (record !== lastPublished) out.push(`the record is ${record}, the last publish ${lastPublished}`);
  return out;
}

/** One line of figures for a report. */
export function raceSummary(report: RaceReport): string {
  const { published } = report;
  const retried = published.filter((p) => p.attempts > 1);
  const attempts = published.map((p) => p.attempts);
  const times = published.map((p) => p.ms).sort((a, b) => a - b);
  const pct = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0);
  return (
    `${report.options.publishers} publishers × ${report.options.rounds} rounds, ${report.written.length} write-backs ` +
    `in ${(report.ms / 1000).toFixed(1)} s: ${published.filter((p) => p.outcome === 'pushed').length} pushed, ` +
    `${published.filter((p) => p.outcome === 'failed').length} failed; ${retried.length} needed retries ` +
    `(most attempts ${Math.max(0, ...attempts)}); publish time median ${pct(0.5)} ms, p95 ${pct(0.95)} ms, ` +
    `max ${pct(1)} ms`
  );
}

/**
 * `npm run bench -- --race [--publishers 4] [--rounds 20] [--write-backs 20] [--keep]`: the full-size race
 * through the real CLI (every publish renders, as a pipeline run does), at the shipped retry defaults.
 * Prints the figures and every violation; exit 1 when anything failed, was lost or was forced.
 */
export async function benchRace(argv: readonly string[], cli: string): Promise<number> {
  const number = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a whole number of at least 1`);
    return n;
  };
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const work = mkdtempSync(join(tmpdir(), 'gitops-synth-bench-race-'));
  const publishers = number('--publishers', 4);
  const rounds = number('--rounds', 20);
  process.stderr.write(`bench: racing ${publishers} CLI publishers for ${rounds} rounds in ${work}...\n`);
  try {
    const report = await race({
      publishers,
      rounds,
      writeBacks: number('--write-backs', 20),
      work,
      tag: (racer, round) => `p${racer}-r${round}`,
      publish: (racer, round, env) => cliPublish(cli, racer, round, env),
    });
    const violations = raceViolations(report);
    process.stdout.write(`${raceSummary(report)}\n`);
    for (const v of violations) process.stdout.write(`  VIOLATION: ${v}\n`);
    process.stdout.write(violations.length ? 'FAILED\n' : '0 failed, 0 lost, 0 forced\n');
    return violations.length ? 1 : 0;
  } finally {
    if (argv.includes('--keep')) process.stderr.write(`bench: kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

/** One publish through the real CLI, its commit resolved to the full id. */
export async function cliPublish(cli: string, racer: Racer, round: number, env: NodeJS.ProcessEnv): Promise<Published> {
  const started = performance.now();
  let stdout = '';
  let stderr = '';
  let code = 0;
  try {
    ({ stdout, stderr } = await execFileAsync(process.execPath, [cli, 'publish', '--project', racer.project], {
      env: { ...env, NO_COLOR: '1' },
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    }));
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    code = typeof e.code === 'number' ? e.code : 1;
    stdout = e.stdout ?? '';
    stderr = e.stderr ?? String(err);
  }
  const ms = performance.now() - started;
  const pushed = /published \S+ to .* as ([0-9a-f]{12})(?: \(after (\d+) attempts\))?/.exec(stdout);
  if (code !== 0 || !pushed)
    return { racer: racer.index, round, outcome: 'failed', attempts: 0, error: stderr.trim(), ms, log: stderr };
  const commit = await gitAsync(racer.project, ['rev-parse', '--verify', `${pushed[1]}^{commit}`], {
    ...env,
    GIT_DIR: join(racer.project, '..', 'devops.git'),
  });
  return { racer: racer.index, round, outcome: 'pushed', commit, attempts: Number(pushed[2] ?? 1), ms, log: stderr };
}
