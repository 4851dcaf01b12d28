import { posix } from 'node:path';
import { ENVIRONMENT_FOLDER } from '../environment/model.js';
import type { RenderedTree } from '../output/tree.js';
import { codeUnitOrder } from '../util/order.js';
import { objectLabel, objectsInFile } from './objects.js';
import type { PreviousRender } from './previous.js';

/**
 * Removals a person must confirm: what the ApplicationSet mass-deletion
 * incidents are made of. Compared with the previous render, a run is refused
 * when an environment disappears, when an environment loses more than half
 * of its services (two at least), or when no service is left at all, unless
 * `--allow-removal` names what may go. Removing one service at a time (`app
 * remove`) needs no confirmation.
 */

/** The file Argo CD's git files generator reads; its folder is a service folder. */
const SERVICE_MARKER = 'app.json';
const ARGOCD_FOLDER = 'argocd';
const ENVIRONMENT_LABEL = 'gitops-synth/environment';

/** What may go: `--allow-removal` entries (`<env>` or `<env>/<service>`), and the service `app remove` removes. */
export interface RemovalAllowance {
  /** Named by the user: each must name something this run removes. */
  readonly allow?: readonly string[];
  /** The service `app remove` removes: it may go from every environment. */
  readonly removing?: string;
}

/** Something that leaves the render: a service folder or an Argo CD object. */
export interface RemovedItem {
  /** The file or folder, relative to the rendered root. */
  readonly path: string;
  /** For people: `the folder of Application api-stage (8 files)`, `ApplicationSet argocd/stage`. */
  readonly what: string;
}

export interface RemovalRefusal {
  /** One line: what disappears and why that needs confirming. */
  readonly reason: string;
  readonly items: readonly RemovedItem[];
  /** The `--allow-removal` value that confirms it. */
  readonly allowWith: string;
}

export interface RemovalCheck {
  readonly refusals: readonly RemovalRefusal[];
  /** `--allow-removal` entries that name nothing this run removes. */
  readonly unmatched: readonly string[];
}

const ENTRY = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\/[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/;

/**
 * `--allow-removal` values (repeatable, comma-separated) as entries; throws
 * with a message saying what is expected when one is malformed.
 */
export function parseAllowRemoval(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const raw of String(value).split(',')) {
      const entry = raw.trim();
      if (!ENTRY.test(entry))
        throw new Error(
          `--allow-removal ${JSON.stringify(entry)}: expected an environment (stage) or environment/service ` +
            `(prod/api), comma-separated`,
        );
      if (!out.includes(entry)) out.push(entry);
    }
  }
  return out;
}

function envFile(env: string): string {
  return `environments/${env}.yaml`;
}

/** `<env>/<service>` folders holding app.json. */
function serviceFolders(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const suffix = `/${SERVICE_MARKER}`;
  for (const p of paths) {
    // Without splitting: every file of the output is looked at, and few are app.json.
    if (!p.endsWith(suffix)) continue;
    const dir = p.slice(0, -suffix.length);
    const slash = dir.indexOf('/');
    if (slash > 0 && slash === dir.lastIndexOf('/') && dir.slice(0, slash) !== ARGOCD_FOLDER) out.add(dir);
  }
  return out;
}

/** The environments of the previous render: with service folders, or with an ApplicationSet of their own. */
function environmentsOf(previous: PreviousRender): Set<string> {
  const out = new Set<string>();
  for (const folder of serviceFolders(previous.paths)) out.add(folder.split('/')[0]!);
  for (const p of previous.paths) {
    if (!p.startsWith(`${ARGOCD_FOLDER}/`)) continue;
    const content = previous.read(p) ?? '';
    // Only files that may hold one are parsed: an ImageUpdater of a large environment is large.
    if (!content.includes('ApplicationSet')) continue;
    for (const { object } of objectsInFile(p, content))
      if (object.kind === 'ApplicationSet') out.add(object.metadata.name);
  }
  return out;
}

/**
 * What the render removes that needs confirming, compared with `previous`.
 * `environments` are those of the new render (the resolved environments).
 */
export function checkRemovals(
  previous: PreviousRender,
  rendered: RenderedTree,
  environments: readonly string[],
  allowance: RemovalAllowance = {},
): RemovalCheck {
  const allow = new Set(allowance.allow ?? []);
  if (previous.paths.size === 0) return { refusals: [], unmatched: [...allow] };
  const before = serviceFolders(previous.paths);
  const after = serviceFolders(rendered.paths());
  const envsBefore = environmentsOf(previous);
  const envsAfter = new Set(environments);
  const removedFolders = [...before].filter((f) => !after.has(f)).sort();
  const folderAllowed = (folder: string): boolean => {
    const [env, svc] = folder.split('/') as [string, string];
    return allow.has(env) || allow.has(folder) || svc === allowance.removing;
  };
  const filesIn = new Map<string, number>();
  for (const p of previous.paths) filesIn.set(posix.dirname(p), (filesIn.get(posix.dirname(p)) ?? 0) + 1);
  const folderItem = (folder: string): RemovedItem => {
    const [env, svc] = folder.split('/') as [string, string];
    const files = filesIn.get(folder) ?? 0;
    return {
      path: `${folder}/`,
      what: `the folder of Application ${svc}-${env} (${files} file${files === 1 ? '' : 's'})`,
    };
  };

  const refusals: RemovalRefusal[] = [];
  const goneEnvs = [...envsBefore].filter((e) => !envsAfter.has(e)).sort();
  for (const env of goneEnvs) {
    if (allow.has(env)) continue;
    const items: RemovedItem[] = [
      ...argocdObjectsOf(env, previous, rendered),
      ...removedFolders.filter((f) => f.startsWith(`${env}/`)).map(folderItem),
      ...otherFoldersGone(env, previous, rendered, before),
    ];
    refusals.push({
      reason: `environment ${env} is no longer rendered (is ${envFile(env)} gone?): all of it would be removed`,
      items,
      allowWith: env,
    });
  }
  const counted = new Set(refusals.flatMap((r) => r.items.map((i) => i.path)));
  if (before.size > 0 && after.size === 0) {
    // Every service goes: one refusal names them all, whatever environment they were in.
    const gone = removedFolders.filter((f) => !folderAllowed(f) && !counted.has(`${f}/`));
    if (gone.length)
      refusals.push({
        reason: 'no service would be left at all (is apps/ empty?)',
        items: gone.map(folderItem),
        allowWith: gone.join(','),
      });
  } else {
    for (const env of [...envsBefore].filter((e) => envsAfter.has(e)).sort()) {
      const had = [...before].filter((f) => f.startsWith(`${env}/`));
      const gone = removedFolders.filter((f) => f.startsWith(`${env}/`));
      if (gone.length < 2 || gone.length * 2 <= had.length || gone.every(folderAllowed)) continue;
      refusals.push({
        reason: `environment ${env} would lose ${gone.length} of its ${had.length} services, more than half`,
        items: gone.map(folderItem),
        allowWith: gone.join(','),
      });
    }
  }

  const removedEnvs = new Set(removedFolders.map((f) => f.split('/')[0]!));
  const unmatched = [...allow].filter((entry) =>
    entry.includes('/') ? !removedFolders.includes(entry) : !goneEnvs.includes(entry) && !removedEnvs.has(entry),
  );
  return { refusals, unmatched };
}

/** The Argo CD objects of environment `env` the previous render has and the new one does not. */
function argocdObjectsOf(env: string, previous: PreviousRender, rendered: RenderedTree): RemovedItem[] {
  const items: RemovedItem[] = [];
  for (const path of [...previous.paths].sort()) {
    if (!path.startsWith(`${ARGOCD_FOLDER}/`)) continue;
    const now = new Set(objectsInFile(path, rendered.get(path) ?? '').map((o) => o.key));
    for (const { key, object } of objectsInFile(path, previous.read(path) ?? '')) {
      if (now.has(key)) continue;
      const mine =
        object.metadata.labels?.[ENVIRONMENT_LABEL] === env ||
        (['ApplicationSet', 'AppProject', 'ImageUpdater'].includes(object.kind) && object.metadata.name === env);
      if (mine) items.push({ path, what: objectLabel(object) });
    }
  }
  return items;
}

/**
 * The folders of an environment that are not service folders (its own objects in `_environment/`) and whose
 * files the render no longer has.
 */
function otherFoldersGone(
  env: string,
  previous: PreviousRender,
  rendered: RenderedTree,
  services: ReadonlySet<string>,
) {
  const files = new Map<string, number>();
  for (const p of previous.paths) {
    const dir = posix.dirname(p);
    if (!p.startsWith(`${env}/`) || services.has(dir) || rendered.has(p)) continue;
    files.set(dir, (files.get(dir) ?? 0) + 1);
  }
  return [...files]
    .sort(([a], [b]) => codeUnitOrder(a, b))
    .map(
      ([dir, n]): RemovedItem => ({
        path: `${dir}/`,
        what:
          dir === `${env}/${ENVIRONMENT_FOLDER}`
            ? `the environment's own objects, ` +
              `the folder of Application ${env}-environment (${n} file${n === 1 ? '' : 's'})`
            : `${n} file${n === 1 ? '' : 's'} of the environment`,
      }),
    );
}
