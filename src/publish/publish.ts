import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DevopsRepository } from '../resolve/repository.js';
import { validate, type RenderResult } from '../pipeline/pipeline.js';
import { DevopsCheckout, GitFailure, type AppliedPlan } from './checkout.js';
import { gitAccess, type GitAccess } from './credentials.js';
import { deployedImageLines, deployedImages } from './images.js';
import { commitMessage, type SourceInfo } from './message.js';
import { groupChanges, type UnitChange } from './plan.js';
import { sourceInfo } from './source.js';

/** A publish or diff that could not finish; the message is free of credentials and says what to do. */
export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

export interface DevopsOptions {
  /** The project folder holding apps/ and environments/. */
  readonly projectDir: string;
  /** Work clone of the devops repository; kept afterwards. @default a temporary folder, removed afterwards */
  readonly workDir?: string;
  /** Where credentials and commit identity come from. @default process.env */
  readonly environ?: NodeJS.ProcessEnv;
  /** Progress lines (already free of credentials). @default none */
  readonly log?: (line: string) => void;
}

export interface PublishOptions extends DevopsOptions {
  /** Show what would change and commit nothing. @default false */
  readonly dryRun?: boolean;
  /** Push attempts before giving up, the first included. @default 5 */
  readonly attempts?: number;
  /** First wait after a rejected push, in milliseconds; doubles each retry (capped at 30 s), with jitter. @default 1000 */
  readonly retryDelayMs?: number;
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
}

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_RETRY_DELAY_MS = 1000;
const MAX_RETRY_DELAY_MS = 30_000;

/** What publish and diff share: the checked render, the devops repository and its credentials. */
export interface DevopsContext {
  readonly rendered: RenderResult;
  readonly repository: DevopsRepository;
  readonly access: GitAccess;
}

/** Renders and checks the project exactly as synth does (schemas, kubectl kustomize), writing nothing, and resolves the devops repository. */
export async function prepare(options: DevopsOptions): Promise<DevopsContext> {
  const { rendered } = await validate({ projectDir: options.projectDir });
  const { repository } = rendered.context.resolved.settings;
  return { rendered, repository, access: gitAccess(repository.gitUrl, options.environ ?? process.env) };
}

/** Runs `body` with a work clone of the devops branch, in `workDir` or a temporary folder removed afterwards. */
export async function withCheckout<T>(
  options: DevopsOptions,
  context: DevopsContext,
  body: (checkout: DevopsCheckout) => Promise<T>,
): Promise<T> {
  const dir = options.workDir ? resolve(options.workDir) : mkdtempSync(join(tmpdir(), 'gitops-synth-devops-'));
  try {
    const checkout = await DevopsCheckout.open(dir, context.repository, context.access);
    return await body(checkout);
  } catch (err) {
    if (err instanceof GitFailure) throw new PublishError(`${err.message}\n  (credentials: ${context.access.method})`);
    throw err;
  } finally {
    if (!options.workDir) rmSync(dir, { recursive: true, force: true });
  }
}

/** Resets the checkout to the remote branch and applies the rendered tree; returns the applied plan and its changes by folder. */
export async function applyRendered(
  checkout: DevopsCheckout,
  context: DevopsContext,
): Promise<{ base?: string; applied: AppliedPlan; units: UnitChange[] }> {
  const base = await checkout.reset();
  const applied = await checkout.apply(context.rendered.tree);
  return { base, applied, units: groupChanges(applied.changes, applied.before, applied.after) };
}

/**
 * Commits the freshly rendered tree to the devops repository and pushes it.
 * The project is rendered in memory with every check synth makes, so what is
 * published is exactly what the specs render now, never a stale or edited
 * `dist/`. A rejected push (someone pushed first) is retried from the new
 * head with a bounded, jittered exponential backoff; nothing is ever forced,
 * so no one else's commit can be lost.
 */
export async function publish(options: PublishOptions): Promise<PublishResult> {
  const log = options.log ?? (() => {});
  const attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
  const baseDelay = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const context = await prepare(options);
  const source = await sourceInfo(options.projectDir, options.environ ?? process.env);

  return withCheckout(options, context, async (checkout) => {
    const where = checkout.where();
    log(`gitops-synth: publishing to ${where} (${context.access.method})`);
    for (let attempt = 1; ; attempt++) {
      const { base, applied, units } = await applyRendered(checkout, context);
      const result = {
        where,
        source,
        base,
        units,
        removedWriteBacks: applied.plan.orphanedWriteBacks,
        overridingWriteBacks: applied.plan.overridingWriteBacks,
      };
      if (units.length === 0) return { ...result, outcome: 'up-to-date', attempts: attempt - 1 };
      const images = deployedImages(units, context.rendered.tree, applied, join(checkout.dir, context.repository.path));
      const message = commitMessage(source, units, deployedImageLines(images));
      if (options.dryRun) return { ...result, outcome: 'dry-run', message, attempts: 0 };
      const commit = await checkout.commit(message);
      try {
        await checkout.push();
        return { ...result, outcome: 'pushed', commit, message, attempts: attempt };
      } catch (err) {
        if (!(err instanceof GitFailure)) throw err;
        if (attempt >= attempts) {
          throw new PublishError(
            `the push to ${where} was refused ${attempts} time${attempts === 1 ? '' : 's'}; giving up. Nothing was forced: the branch holds what it held, plus what others pushed.\n` +
              `Last answer from git: ${err.detail}`,
          );
        }
        const delay = Math.round(
          Math.min(MAX_RETRY_DELAY_MS, baseDelay * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2),
        );
        log(
          `gitops-synth: push refused (attempt ${attempt} of ${attempts}): ${firstLine(err.detail)}; fetching the new head and re-applying in ${delay} ms`,
        );
        await sleep(delay);
      }
    }
  });
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.trim().length > 0)
      ?.trim() ?? text
  );
}
