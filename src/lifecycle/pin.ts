import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { imageSpec } from '../spec/service-schema.js';
import type { LoadedService } from '../spec/load.js';
import { ArgumentError, LifecycleError } from './errors.js';
import {
  checkEnvironment,
  commitChange,
  findService,
  loadValidProject,
  specPath,
  type ChangeResult,
  type RenderOptions,
} from './project.js';
import { deleteEntry, entryComment, hasEntry, removeTrailingComment, setEntryComment, setScalar } from './yaml-edit.js';

/**
 * `app pin` / `app unpin`: the hold that keeps an automatic image policy from
 * undoing a manual rollback. A pin is `environments.<env>.image: {tag,
 * autoUpdate: false}` in the service spec, with the reason as the comment at
 * the end of the autoUpdate line (`# pinned: <reason>`). Not auto-updated, the
 * service leaves the environment's ImageUpdater, and its Image Updater
 * write-back file is removed from dist/ and the devops repository
 * (decideWriteBacks), so the pinned tag is what Argo CD deploys.
 * Unpin turns auto-update back on from the pinned tag.
 */

/** The comment a pin writes starts with this; `app list` reads the reason after it. */
export const PIN_COMMENT = 'pinned';
/** Longest reason kept (one comment line). */
const MAX_REASON = 200;

export interface PinResult {
  readonly service: string;
  /** The spec, relative to the project. */
  readonly file: string;
  readonly environment: string;
  readonly tag: string;
  readonly reason: string | null;
  /** The tag and auto-update before the command. */
  readonly before: { readonly tag: string; readonly autoUpdate: boolean };
  /** Set when nothing had to change: why. */
  readonly unchanged?: string;
  /** Set when the reason could not be written as a comment in this file's layout. */
  readonly reasonNotWritten?: boolean;
  readonly change?: ChangeResult;
}

export interface UnpinResult {
  readonly service: string;
  readonly file: string;
  readonly environment: string;
  /** The tag auto-update starts from. */
  readonly tag: string;
  readonly unchanged?: string;
  readonly change?: ChangeResult;
}

/** What the spec says about the image, read loosely (the file already passed validation). */
interface ImageView {
  image?: { tag?: string | number; autoUpdate?: boolean; policy?: unknown } | null;
  environments?: Record<string, { enabled?: boolean; image?: ImageView['image'] } | null>;
}

/** The tag and auto-update a service has in an environment, per its spec. */
export function imageIn(spec: ImageView, env: string): { tag?: string; autoUpdate: boolean } {
  const override = spec.environments?.[env]?.image;
  const tag = override?.tag ?? spec.image?.tag;
  const autoUpdate =
    override && override.autoUpdate !== undefined && override.autoUpdate !== null
      ? override.autoUpdate
      : (spec.image?.autoUpdate ?? false);
  return { tag: tag === undefined ? undefined : String(tag), autoUpdate };
}

/**
 * The reason of a pin: the comment of the `autoUpdate: false` that pins the
 * service in `env` (the environment's own, else the spec's top level),
 * without the `pinned:` prefix a pin writes. Null when there is no comment.
 */
export function pinReason(text: string, env: string): string | null {
  for (const path of [
    ['environments', env, 'image', 'autoUpdate'],
    ['image', 'autoUpdate'],
  ]) {
    if (!hasEntry(text, path)) continue;
    const comment = entryComment(text, path);
    if (comment === undefined) return null;
    const reason = comment.replace(new RegExp(`^${PIN_COMMENT}\\b:?\\s*`), '').trim();
    return reason || null;
  }
  return null;
}

export async function pinService(
  projectDir: string,
  name: string,
  env: string,
  tag: string,
  reason?: string,
  render: RenderOptions = {},
): Promise<PinResult> {
  const checkedTag = imageSpec.shape.tag.safeParse(tag);
  if (!checkedTag.success || !tag)
    throw new ArgumentError(
      `--tag ${JSON.stringify(tag)}: expected an image tag: letters, digits, "_", "." and "-", ` +
        'at most 128 characters, e.g. 1.4.1',
    );
  const why = reason === undefined ? null : cleanReason(reason);
  const { project, svc, path, text } = open(projectDir, name, env, 'pin');
  const spec = svc.spec as ImageView;
  const before = imageIn(spec, env);
  const base = { service: name, file: svc.source.file, environment: env, tag, reason: why };
  const beforeState = { tag: before.tag ?? '', autoUpdate: before.autoUpdate };
  const pinnedHere = spec.environments?.[env]?.image?.autoUpdate === false;
  if (pinnedHere && before.tag === tag && (why === null || pinReason(text, env) === why))
    return { ...base, before: beforeState, unchanged: `already pinned to ${tag} in ${env}` };

  let out = setScalar(text, ['environments', env, 'image', 'tag'], tag);
  out = setScalar(out, ['environments', env, 'image', 'autoUpdate'], false);
  const comment = why ? `${PIN_COMMENT}: ${why}` : PIN_COMMENT;
  const commented = setEntryComment(out, ['environments', env, 'image', 'autoUpdate'], comment);
  const change = await commitChange(project.root, (files) => files.write(path, commented ?? out), render);
  return { ...base, before: beforeState, change, reasonNotWritten: commented === undefined && why !== null };
}

export async function unpinService(
  projectDir: string,
  name: string,
  env: string,
  render: RenderOptions = {},
): Promise<UnpinResult> {
  const { project, svc, path, text } = open(projectDir, name, env, 'unpin');
  const spec = svc.spec as ImageView;
  const before = imageIn(spec, env);
  const base = { service: name, file: svc.source.file, environment: env, tag: before.tag ?? '' };
  if (before.autoUpdate) return { ...base, unchanged: `not pinned in ${env}: its image policy already moves the tag` };

  const at = ['environments', env, 'image', 'autoUpdate'];
  let out = text;
  if (spec.environments?.[env]?.image?.autoUpdate === false) {
    out = removeTrailingComment(out, at, (c) => c === PIN_COMMENT || c.startsWith(`${PIN_COMMENT}:`));
    out = deleteEntry(out, at);
  }
  // Still not auto-updated (the spec's top level says so): this environment turns it on.
  if (!imageIn((parse(out) ?? {}) as ImageView, env).autoUpdate) out = setScalar(out, at, true);
  const change = await commitChange(project.root, (files) => files.write(path, out), render);
  return { ...base, change };
}

function open(
  projectDir: string,
  name: string,
  env: string,
  verb: 'pin' | 'unpin',
): { project: ReturnType<typeof loadValidProject>['project']; svc: LoadedService; path: string; text: string } {
  const { project } = loadValidProject(projectDir);
  checkEnvironment(project, env);
  const svc = findService(project, name);
  if ((svc.spec as ImageView).environments?.[env]?.enabled === false)
    throw new LifecycleError(
      `service "${name}" does not run in ${env} (environments.${env}.enabled: false in ${svc.source.file}); ` +
        `nothing to ${verb}`,
    );
  const path = specPath(project, svc);
  return { project, svc, path, text: readFileSync(path, 'utf8') };
}

/** One line of plain text: control characters and runs of space become one space. */
function cleanReason(reason: string): string | null {
  const line = reason.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  if (line.length > MAX_REASON)
    throw new ArgumentError(`--reason: at most ${MAX_REASON} characters (one comment line); got ${line.length}`);
  return line || null;
}
