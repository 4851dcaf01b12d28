import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DevopsRepository } from '../resolve/repository.js';
import { validate, type PhaseListener, type RenderResult } from '../pipeline/pipeline.js';
import { DevopsCheckout, publishedRef, type BuiltTree, type FetchedBranch } from './checkout.js';
import { gitAccess, type GitAccess } from './credentials.js';
import { GitFailure, PublishError } from './errors.js';
import { deployedImageLines, deployedImages } from './images.js';
import { commitMessage, type SourceInfo } from './message.js';
import { groupChanges, type UnitChange } from './plan.js';
import { sourceInfo } from './source.js';
import { checkWorkDir } from './work-dir.js';
import { checkChanges, isBlocking, type ChangeReport } from '../guard/check.js';
import { ChangeRefusedError } from '../guard/refused.js';
import { noPreviousRender, readPreviousCommit } from '../guard/previous.js';
import type { RemovalAllowance } from '../guard/removals.js';

export { PublishError } from './errors.js';

export interface DevopsOptions {
  /** The project folder holding apps/ and environments/. */
  readonly projectDir: string;
  /**
   * Work clone of the devops repository, kept and reused: a folder that does not exist, an empty one, or a
   * work clone an earlier run made (see checkWorkDir). @default a temporary folder, removed afterwards
   */
  readonly workDir?: string;
  /** Where credentials and commit identity come from. @default process.env */
  readonly environ?: NodeJS.ProcessEnv;
  /** Progress lines (already free of credentials). @default none */
  readonly log?: (line: string) => void;
  /** Told each stage of the render, for a progress line. @default none */
  readonly onPhase?: PhaseListener;
}

export interface PublishOptions extends DevopsOptions {
  /** Show what would change and commit nothing. @default false */
  readonly dryRun?: boolean;
  /** Publish even when files that feed the render differ from the source commit; the commit says so. @default false */
  readonly allowDirty?: boolean;
  /** How long refused pushes are retried, in milliseconds from the first attempt. @default 180000 (3 minutes) */
  readonly retryForMs?: number;
  /**
   * Longest first wait after a refused push, in milliseconds; doubles each retry (at most 8 s); each wait is a
   * random part of it (full jitter). @default 250
   */
  readonly retryDelayMs?: number;
  /** What may leave the devops branch beyond routine removals (`--allow-removal`). @default nothing */
  readonly removals?: RemovalAllowance;
}

export interface PublishResult {
  /** pushed: a new commit is on the branch; up-to-date: nothing to commit; dry-run: nothing was committed. */
  readonly outcome: 'pushed' | 'up-to-date' | 'dry-run';
  /** `<url> <branch>:<path>`, without credentials. */
  readonly where: string;
  readonly source: SourceInfo;
  /** The branch head the last attempt started from; undefined for a new branch. */
  readonly base?: string;
  /** The pushed commit. */
  readonly commit?: string;
  /** The message of the pushed commit, or of the commit a dry run would make. */
  readonly message?: string;
  readonly units: readonly UnitChange[];
  /** Write-back files removed with the folder of a removed service. */
  readonly removedWriteBacks: readonly string[];
  /** Write-back files removed because the service's tag is pinned there (they would override the pin). */
  readonly overridingWriteBacks: readonly string[];
  /** Push attempts made (0 when nothing was pushed). */
  readonly attempts: number;
  /** Something that did not stop the publish but should be known (a record the server would not update). */
  readonly warnings: readonly string[];
  /** The comparison with the branch: acknowledged changes and what to do about them. */
  readonly changes: ChangeReport;
}

export const DEFAULT_RETRY_FOR_MS = 180_000;
export const DEFAULT_RETRY_DELAY_MS = 250;
const MIN_RETRY_DELAY_MS = 50;
const MAX_RETRY_DELAY_MS = 8_000;

/** What publish and diff share: the checked render, the devops repository and its credentials. */
export interface DevopsContext {
  readonly rendered: RenderResult;
  readonly repository: DevopsRepository;
  readonly access: GitAccess;
}

/**
 * Renders and checks the project exactly as synth does (schemas, kubectl
 * kustomize), writing nothing, and resolves the devops repository.
 */
export async function prepare(options: DevopsOptions): Promise<DevopsContext> {
  const { rendered } = await validate({ projectDir: options.projectDir, onPhase: options.onPhase });
  const { repository } = rendered.context.resolved.settings;
  return { rendered, repository, access: gitAccess(repository.gitUrl, options.environ ?? process.env) };
}

/**
 * Runs `body` with a work clone of the devops repository: in `workDir` when
 * checkWorkDir accepts it (else WorkDirRefused, before anything is made), or
 * in a temporary folder made here and removed afterwards.
 */
export async function withCheckout<T>(
  options: DevopsOptions,
  context: DevopsContext,
  body: (checkout: DevopsCheckout) => Promise<T>,
): Promise<T> {
  const dir = options.workDir
    ? checkWorkDir(options.workDir, options.projectDir)
    : mkdtempSync(join(tmpdir(), 'gitops-synth-devops-'));
  let checkout: DevopsCheckout | undefined;
  try {
    checkout = await DevopsCheckout.open(dir, context.repository, context.access);
    const result = await body(checkout);
    await checkout.tidy();
    return result;
  } catch (err) {
    if (err instanceof GitFailure) throw new PublishError(`${err.message}\n  (credentials: ${context.access.method})`);
    throw err;
  } finally {
    checkout?.close();
    if (!options.workDir) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Fetches the branch and builds the rendered tree on its head; returns the
 * tree, its changes by folder, and whether the branch's history still holds
 * the last publish (checked while the tree is built).
 */
export async function buildOnHead(
  checkout: DevopsCheckout,
  context: DevopsContext,
): Promise<{ fetched: FetchedBranch; historyKept: boolean; built: BuiltTree; units: UnitChange[] }> {
  const tree = context.rendered.tree;
  await checkout.store(tree);
  let fetched = await checkout.fetch();
  const [history, first] = await Promise.all([checkout.historyKept(fetched), checkout.build(tree, fetched)]);
  let built = first;
  // A history deepened to find the last publish was fetched again: build on the head it found.
  if (history.fetched.head !== fetched.head) {
    fetched = history.fetched;
    built = await checkout.build(tree, fetched);
  }
  const { changes, before, after } = built.applied;
  return { fetched, historyKept: history.kept, built, units: groupChanges(changes, before, after) };
}

/**
 * Compares the render with what the branch held at `base` (nothing for a new
 * branch): removals to confirm, changes the API server refuses.
 */
export async function compareWithBranch(
  checkout: DevopsCheckout,
  context: DevopsContext,
  base: string | undefined,
  allowance?: RemovalAllowance,
): Promise<ChangeReport> {
  const { tree, context: renderContext } = context.rendered;
  const origin = `${checkout.where()}${base ? ` at ${base.slice(0, 12)}` : ' (a new branch)'}`;
  const previous = base
    ? await readPreviousCommit(checkout.dir, base, context.repository.path, tree, origin)
    : noPreviousRender(origin);
  return checkChanges(previous, tree, renderContext, allowance);
}

/**
 * Commits the freshly rendered tree to the devops repository and pushes it.
 * The project is rendered in memory with every check synth makes, so what is
 * published is exactly what the specs render now, never a stale or edited
 * `dist/`; and only from a clean checkout (or with `allowDirty`), so it is
 * what was reviewed. The branch's history must still hold the last publish
 * (HistoryRewritten otherwise). A refused push (someone pushed first) is
 * retried from the new head with a jittered exponential backoff until
 * `retryForMs` has passed; nothing is ever forced, so no one else's commit
 * can be lost.
 */
export async function publish(options: PublishOptions): Promise<PublishResult> {
  // The cheap refusals first: a work folder that is not ours, a checkout that is not what was reviewed.
  if (options.workDir) checkWorkDir(options.workDir, options.projectDir);
  const source = await reviewedSource(options);
  return publishRendered(await prepare(options), options, source);
}

/** The source of a publish, or a PublishError listing what was not reviewed (unless `allowDirty`). */
export async function reviewedSource(options: PublishOptions): Promise<SourceInfo> {
  const source = await sourceInfo(options.projectDir, options.environ ?? process.env);
  if (source.dirty && !options.allowDirty) throw new PublishError(dirtyMessage(source));
  return source;
}

/**
 * publish() from a render made before (prepare): the dirty check (unless
 * `source` is given, already checked) and everything on the devops side.
 * For callers that publish one render several times, such as the race tests.
 */
export async function publishRendered(
  context: DevopsContext,
  options: PublishOptions,
  checked?: SourceInfo,
): Promise<PublishResult> {
  const log = options.log ?? (() => {});
  const retryFor = options.retryForMs ?? DEFAULT_RETRY_FOR_MS;
  const baseDelay = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const source = checked ?? (await reviewedSource(options));

  return withCheckout(options, context, async (checkout) => {
    const where = checkout.where();
    log(`gitops-synth: publishing to ${where} (${context.access.method})`);
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const { fetched, historyKept, built, units } = await buildOnHead(checkout, context);
      if (!historyKept) throw new PublishError(rewrittenMessage(where, context.repository, fetched));
      // Compared with the head this attempt builds on: what someone else pushed counts too. A confirmed
      // removal another publisher already pushed leaves its --allow-removal naming nothing: not a mistake then.
      const compared = await compareWithBranch(checkout, context, fetched.head, options.removals);
      const changes = attempt > 1 ? { ...compared, unmatchedAllowances: [] } : compared;
      if (isBlocking(changes)) throw new ChangeRefusedError(changes);
      const result = {
        where,
        source,
        base: fetched.head,
        units,
        removedWriteBacks: built.applied.plan.orphanedWriteBacks,
        overridingWriteBacks: built.applied.plan.overridingWriteBacks,
        warnings: [],
        changes,
      };
      if (units.length === 0) return { ...result, outcome: 'up-to-date', attempts: attempt - 1 };
      const kept = await keptContents(checkout, built, units);
      const images = deployedImages(units, context.rendered.tree, built.applied, (path) => kept.get(path));
      const message = commitMessage(source, units, deployedImageLines(images));
      if (options.dryRun) return { ...result, outcome: 'dry-run', message, attempts: 0 };
      const commit = await checkout.commit(built, message);
      const pushed = await checkout.push(commit);
      if (pushed.pushed)
        return {
          ...result,
          outcome: 'pushed',
          commit,
          message,
          attempts: attempt,
          warnings: pushed.warning ? [pushed.warning] : [],
        };
      // Full jitter: racing publishers spread out instead of colliding again in step.
      const delay = Math.round(
        MIN_RETRY_DELAY_MS + Math.random() * Math.min(MAX_RETRY_DELAY_MS, baseDelay * 2 ** Math.min(attempt - 1, 16)),
      );
      const spent = Date.now() - started;
      if (spent + delay > retryFor)
        throw new PublishError(
          `the push to ${where} was refused ${attempt} time${attempt === 1 ? '' : 's'} in ${seconds(spent)}; ` +
            `giving up (--retry-timeout ${seconds(retryFor)}). Nothing was forced: the branch holds what it held, ` +
            `plus what others pushed.\nLast answer from git: ${pushed.reason}`,
        );
      log(
        `gitops-synth: push refused (attempt ${attempt}): ${pushed.reason}; ` +
          `fetching the new head and rebuilding the commit in ${delay} ms`,
      );
      await sleep(delay);
    }
  });
}

/** The write-back files the plan keeps in changed service folders, as the fetched head holds them. */
async function keptContents(
  checkout: DevopsCheckout,
  built: BuiltTree,
  units: readonly UnitChange[],
): Promise<Map<string, string | undefined>> {
  const folders = new Set(units.filter((u) => u.service !== undefined && u.status !== 'removed').map((u) => u.unit));
  const paths = built.applied.plan.keep.filter((p) => folders.has(posix.dirname(p)));
  const contents = await Promise.all(paths.map((p) => checkout.contentAt(built.base, p)));
  return new Map(paths.map((p, i) => [p, contents[i]]));
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function dirtyMessage(source: SourceInfo): string {
  const head = source.unreviewable
    ? `${source.unreviewable}, so nothing of what would be published was reviewed`
    : 'the checkout has uncommitted changes in files that feed the render; they were not reviewed';
  const files = source.uncommitted.map((f) => `  ${f.change.padEnd(9)}  ${f.path}`);
  return [
    `${head}. Nothing was published.`,
    ...files,
    source.unreviewable
      ? 'Publish from a clone of the reviewed commit, or pass --allow-dirty to publish anyway ' +
        '(the commit then says so).'
      : 'Commit them (and have them reviewed), or pass --allow-dirty to publish anyway (the commit then says so).',
  ].join('\n');
}

function rewrittenMessage(where: string, repository: DevopsRepository, fetched: FetchedBranch): string {
  const record = publishedRef(repository.branch);
  const what = fetched.head
    ? `the history of branch ${repository.branch} no longer holds ${fetched.published}`
    : `branch ${repository.branch} no longer exists, though it held ${fetched.published}`;
  return (
    `${where}: ${what}, the commit gitops-synth last published there (recorded in ${record}). ` +
    'Someone rewrote the branch (a force-push, a reset, a deleted branch); publishing on top would hide that. ' +
    'Nothing was pushed.\n' +
    `Find out what happened to the branch. If its new history is intended, delete the record: ` +
    `git push ${repository.gitUrl} :${record} (the next publish starts a new one).`
  );
}
