import { posix } from 'node:path';
import type { RenderContext } from '../output/renderer.js';
import type { RenderedTree } from '../output/tree.js';
import { quantityValue } from '../resolve/quantity.js';
import type { ResolvedService } from '../resolve/model.js';
import { writtenAt } from '../resolve/written-at.js';
import type { SpecProblem } from '../spec/errors.js';
import type { LoadedService } from '../spec/load.js';
import { checkUpdate, type RefusedField } from './immutable.js';
import { isObject, type KubeObject, objectLabel, objectsInFile, type PlacedObject } from './objects.js';
import type { PreviousRender } from './previous.js';
import { checkRemovals, type RemovalAllowance, type RemovalRefusal } from './removals.js';
import { type ClaimRef, copySteps, growSteps } from './steps.js';

/**
 * What a render changes that the cluster or a person must agree to, compared
 * with the previous render: removals that need confirming (removals.ts), and
 * changes the API server refuses as an update (immutable.ts) unless the spec
 * acknowledges them with `recreate:` (Argo CD deletes and creates the object)
 * or, for a claim, `replaces:` (a new claim beside the old one, the data
 * copied by a person). Data is never abandoned silently.
 */

/** A change the API server refuses, that the spec does not acknowledge. */
export interface RefusedChange {
  /** Where in the specs it comes from; the message names object, field and values in one line. */
  readonly at: SpecProblem;
  /** The rendered file, relative to the rendered root. */
  readonly file: string;
  /** `StatefulSet shop-prod/postgres`. */
  readonly object: string;
  readonly field: string;
  readonly old: string;
  readonly new: string;
  /** Why the API server refuses it. */
  readonly why: string;
  /** The documented way to make the change. */
  readonly how: string;
}

/** A refused change the spec acknowledges: it happens at the next sync. */
export interface AcknowledgedChange {
  readonly file: string;
  readonly object: string;
  readonly field: string;
  readonly old: string;
  readonly new: string;
  /** How: `recreated (recreate: in apps/postgres.yaml)`. */
  readonly by: string;
}

export interface ChangeReport {
  /** What the render was compared with. */
  readonly origin: string;
  readonly removals: readonly RemovalRefusal[];
  /** `--allow-removal` entries that name nothing the render removes. */
  readonly unmatchedAllowances: readonly string[];
  readonly refused: readonly RefusedChange[];
  readonly acknowledged: readonly AcknowledgedChange[];
  /** What to do about acknowledged changes, and reminders: each a paragraph of lines. */
  readonly notes: readonly (readonly string[])[];
}

/** Whether the report stops synth and publish. */
export function isBlocking(report: ChangeReport): boolean {
  return report.removals.length > 0 || report.unmatchedAllowances.length > 0 || report.refused.length > 0;
}

const SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';

/** Argo CD deletes and creates the object instead of updating it (`Force=true,Replace=true`). */
function isRecreated(o: KubeObject): boolean {
  const options = (o.metadata.annotations?.[SYNC_OPTIONS] ?? '').split(',').map((s) => s.trim());
  return options.includes('Force=true') && options.includes('Replace=true');
}

/** The kinds `recreate:` may name. */
const RECREATABLE = new Set(['Deployment', 'StatefulSet', 'Service']);

/**
 * Objects of the files that differ between the two renders, by identity:
 * the only ones that can have changed. Files only the new render has are
 * read only in folders where a claim, or a StatefulSet with claim
 * templates, changed or left: there they may hold the claims that replace
 * it. Everything else new is created, never updated.
 */
function changedObjects(
  previous: PreviousRender,
  tree: RenderedTree,
): { olds: Map<string, PlacedObject>; news: Map<string, PlacedObject> } {
  const olds = new Map<string, PlacedObject>();
  const news = new Map<string, PlacedObject>();
  const add = (into: Map<string, PlacedObject>, file: string, content: string | undefined): void => {
    if (content !== undefined) for (const o of objectsInFile(file, content)) into.set(o.key, o);
  };
  if (previous.paths.size === 0) return { olds, news };
  for (const path of previous.paths) {
    if (previous.unchanged(path)) continue;
    const [was, now] = [previous.read(path), tree.get(path)];
    if (was === now) continue;
    add(olds, path, was);
    add(news, path, now);
  }
  const claimFolders = new Set(
    [...olds.values()]
      .filter((o) => o.object.kind === 'PersistentVolumeClaim' || o.object.kind === 'StatefulSet')
      .map((o) => posix.dirname(o.file)),
  );
  for (const path of tree.paths())
    if (!previous.paths.has(path) && claimFolders.has(posix.dirname(path))) add(news, path, tree.get(path));
  return { olds, news };
}

/** The environment and service of a file in a service folder (`<env>/<service>/<file>`). */
function serviceFolderOf(file: string): { env: string; service: string } | undefined {
  const parts = file.split('/');
  return parts.length === 3 && parts[0] !== 'argocd' ? { env: parts[0]!, service: parts[1]! } : undefined;
}

/** Compares a render with the previous one; see ChangeReport. */
export function checkChanges(
  previous: PreviousRender,
  tree: RenderedTree,
  context: RenderContext,
  allowance: RemovalAllowance = {},
): ChangeReport {
  const environments = context.resolved.environments.map((e) => e.name);
  const removal = checkRemovals(previous, tree, environments, allowance);
  const { olds, news } = changedObjects(previous, tree);
  const specs = new SpecIndex(context);
  const refused: RefusedChange[] = [];
  const acknowledged: AcknowledgedChange[] = [];
  const notes: string[][] = [];
  /** `<env>/<service>|<Kind>/<name>` of objects recreated for a refused change now. */
  const recreatedNow = new Set<string>();

  // In file order, whatever order the previous render's folder listed them in: the report is deterministic.
  const ordered = [...news].sort(([ka, a], [kb, b]) =>
    a.file === b.file ? (ka < kb ? -1 : 1) : a.file < b.file ? -1 : 1,
  );
  for (const [key, now] of ordered) {
    const was = olds.get(key);
    if (!was) continue;
    const { refused: fields, cautions } = checkUpdate(was.object, now.object);
    const label = objectLabel(now.object);
    for (const c of cautions)
      notes.push([
        `${label} (${now.file}): ${c.field} ${c.old} → ${c.new}: ${c.why}.`,
        `Check before the sync: kubectl -n ${now.object.metadata.namespace} get ${now.object.kind.toLowerCase()} ` +
          `${now.object.metadata.name} -o jsonpath='{.spec.storageClassName}'`,
      ]);
    if (!fields.length) continue;
    const folder = serviceFolderOf(now.file);
    const recreated = isRecreated(now.object) && now.object.kind !== 'PersistentVolumeClaim';
    if (!recreated) {
      for (const f of fields) refused.push(specs.refusal(f, now));
      continue;
    }
    const ref = `${now.object.kind}/${now.object.metadata.name}`;
    if (folder) recreatedNow.add(`${folder.env}/${folder.service}|${ref}`);
    const by = folder ? `recreated (recreate: in ${specs.service(folder.service)?.source.file})` : 'recreated';
    for (const f of fields) acknowledged.push({ file: now.file, object: label, ...pick(f), by });
    notes.push(specs.recreateNote(now, fields));
  }

  const renames = claimRenames(olds, news);
  for (const r of renames) {
    const svc = specs.resolved(r.env, r.service);
    const volume = svc?.volumes.find((v) => v.owned && v.replaces === r.gone.volume);
    if (!svc || !volume) {
      refused.push(specs.renameRefusal(r));
      continue;
    }
    if (!svc.suspended) {
      refused.push(specs.unsuspendedRefusal(r, svc, volume.name));
      continue;
    }
    const to: ClaimRef = {
      name: volume.claimName,
      statefulSet: svc.workload === 'statefulset' ? svc.name : undefined,
    };
    acknowledged.push({
      file: r.gone.file,
      object: r.gone.object,
      field: 'claim',
      old: r.gone.display,
      new: claimDisplay(to),
      by: `replaced (replaces: ${r.gone.volume} on volume ${volume.name} in ${svc.source.file})`,
    });
    notes.push([
      `${r.env}/${r.service}: volume ${volume.name} replaces ${r.gone.volume}; copy its data from ` +
        `${r.gone.display} to ${claimDisplay(to)} in namespace ${svc.environment.namespace}:`,
      ...copySteps({
        namespace: svc.environment.namespace,
        service: svc.name,
        environment: r.env,
        image: svc.environment.waitImage,
        from: r.gone.claim,
        to,
        templateSpec: to.statefulSet ? templateSpecOf(news, r, volume.claimName) : undefined,
        suspendedEverywhere: specs.service(svc.name)?.spec.suspended === true,
      }).map((l) => `  ${l}`),
    ]);
  }

  notes.push(...specs.idleRecreateNotes(recreatedNow));
  return {
    origin: previous.origin,
    removals: removal.refusals,
    unmatchedAllowances: removal.unmatched,
    // As spec problems are listed: by file and position.
    refused: refused.sort(
      (a, b) =>
        a.at.file.localeCompare(b.at.file) ||
        (a.at.line ?? 0) - (b.at.line ?? 0) ||
        (a.at.column ?? 0) - (b.at.column ?? 0) ||
        a.at.message.localeCompare(b.at.message),
    ),
    acknowledged,
    notes,
  };
}

function pick(f: RefusedField): { field: string; old: string; new: string } {
  return { field: f.field, old: f.old, new: f.new };
}

/** A claim that leaves a service folder, named by the volume it belonged to. */
interface GoneClaim {
  readonly volume: string;
  readonly claim: ClaimRef;
  /** `api-uploads`, or `data-postgres-<N>` for a template. */
  readonly display: string;
  readonly file: string;
  readonly object: string;
}

/** A claim of a service leaving the render while another of the same service appears: its data would stay behind. */
interface ClaimRename {
  readonly env: string;
  readonly service: string;
  readonly gone: GoneClaim;
  readonly appearing: readonly ClaimRef[];
}

function claimDisplay(c: ClaimRef): string {
  return c.statefulSet ? `${c.name}-${c.statefulSet}-<N>` : c.name;
}

function templateNames(o: KubeObject | undefined): string[] {
  const list = o && isObject(o.spec) && Array.isArray(o.spec.volumeClaimTemplates) ? o.spec.volumeClaimTemplates : [];
  return list.flatMap((t: unknown) =>
    isObject(t) && isObject(t.metadata) && typeof t.metadata.name === 'string' ? [t.metadata.name] : [],
  );
}

function claimRenames(olds: Map<string, PlacedObject>, news: Map<string, PlacedObject>): ClaimRename[] {
  const byFolder = new Map<string, { gone: GoneClaim[]; appearing: ClaimRef[] }>();
  const entry = (file: string) => {
    const folder = serviceFolderOf(file);
    if (!folder) return undefined;
    const key = `${folder.env}/${folder.service}`;
    if (!byFolder.has(key)) byFolder.set(key, { gone: [], appearing: [] });
    return { folder, lists: byFolder.get(key)! };
  };
  for (const [key, o] of olds) {
    const at = entry(o.file);
    if (!at) continue;
    const { service } = at.folder;
    if (o.object.kind === 'PersistentVolumeClaim' && !news.has(key)) {
      const name = o.object.metadata.name;
      at.lists.gone.push({
        volume: name.startsWith(`${service}-`) ? name.slice(service.length + 1) : name,
        claim: { name },
        display: name,
        file: o.file,
        object: objectLabel(o.object),
      });
    }
    if (o.object.kind === 'StatefulSet') {
      const kept = new Set(templateNames(news.get(key)?.object));
      for (const t of templateNames(o.object))
        if (!kept.has(t)) {
          const claim = { name: t, statefulSet: o.object.metadata.name };
          at.lists.gone.push({
            volume: t,
            claim,
            display: claimDisplay(claim),
            file: o.file,
            object: `${objectLabel(o.object)} claim template ${t}`,
          });
        }
    }
  }
  for (const [key, o] of news) {
    const at = entry(o.file);
    if (!at) continue;
    if (o.object.kind === 'PersistentVolumeClaim' && !olds.has(key))
      at.lists.appearing.push({ name: o.object.metadata.name });
    if (o.object.kind === 'StatefulSet') {
      const had = new Set(templateNames(olds.get(key)?.object));
      for (const t of templateNames(o.object))
        if (!had.has(t)) at.lists.appearing.push({ name: t, statefulSet: o.object.metadata.name });
    }
  }
  const out: ClaimRename[] = [];
  for (const [key, { gone, appearing }] of [...byFolder].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!gone.length || !appearing.length) continue;
    const [env, service] = key.split('/') as [string, string];
    for (const g of gone) out.push({ env, service, gone: g, appearing });
  }
  return out;
}

/** The spec of the new claim template `name` of the service's StatefulSet, to create its claims before the copy. */
function templateSpecOf(
  news: Map<string, PlacedObject>,
  r: ClaimRename,
  name: string,
): Record<string, unknown> | undefined {
  for (const o of news.values()) {
    if (o.object.kind !== 'StatefulSet' || serviceFolderOf(o.file)?.service !== r.service) continue;
    if (serviceFolderOf(o.file)?.env !== r.env || !isObject(o.object.spec)) continue;
    const list = Array.isArray(o.object.spec.volumeClaimTemplates) ? o.object.spec.volumeClaimTemplates : [];
    const t = list.find((x: unknown) => isObject(x) && isObject(x.metadata) && x.metadata.name === name);
    if (isObject(t) && isObject(t.spec)) return t.spec;
  }
  return undefined;
}

/** Finds the spec keys behind rendered objects, and words the refusals and notes. */
class SpecIndex {
  constructor(private readonly context: RenderContext) {}

  service(name: string): LoadedService | undefined {
    return this.context.project.services.find((s) => s.name === name);
  }

  resolved(env: string, name: string): ResolvedService | undefined {
    return this.context.resolved.services.get(env)?.find((s) => s.name === name);
  }

  /** A problem at `path` of the service's spec as merged for `env`, in the file and place that wrote it. */
  private atService(env: string, name: string, path: (string | number)[] | undefined, message: string): SpecProblem {
    const svc = this.service(name);
    if (!svc) return { file: this.context.resolved.settings.settingsFile, field: '', message };
    if (!path) return { file: svc.source.file, field: '', message };
    return svc.source.problem(writtenAt(svc, env, path), message);
  }

  private volumeIndex(svc: ResolvedService | undefined, claimName: string): number {
    return svc ? svc.volumes.findIndex((v) => v.owned && v.claimName === claimName) : -1;
  }

  /** Where the refused value comes from: the spec key that sets it, or the service when gitops-synth derives it. */
  private locate(f: RefusedField, env: string, name: string, object: KubeObject, message: string): SpecProblem {
    const svc = this.resolved(env, name);
    const aspect = f.subject.type === 'object' ? 'other' : f.subject.aspect;
    const claimName = f.subject.type === 'template' ? f.subject.template : object.metadata.name;
    const i = this.volumeIndex(svc, claimName);
    if (aspect === 'storageClass') {
      const source = this.context.resolved.environments.find((e) => e.name === env)?.source;
      if (source) return source.problem(['storageClass'], message);
    }
    if (aspect === 'partOf') {
      const source = this.context.project.settings.source;
      if (source) return source.problem(['project'], message);
    }
    if (aspect === 'component') return this.atService(env, name, ['component'], message);
    if (aspect === 'removed') return this.atService(env, name, ['volumes'], message);
    if (i >= 0 && aspect === 'size') return this.atService(env, name, ['volumes', i, 'size'], message);
    if (i >= 0 && aspect === 'accessModes') return this.atService(env, name, ['volumes', i, 'accessMode'], message);
    if (i >= 0) return this.atService(env, name, ['volumes', i, 'name'], message);
    return this.atService(env, name, undefined, message);
  }

  refusal(f: RefusedField, now: PlacedObject): RefusedChange {
    const object = objectLabel(now.object);
    const folder = serviceFolderOf(now.file);
    const message = `${object} (${now.file}): ${f.field} ${f.old} → ${f.new}`;
    const at = folder
      ? this.locate(f, folder.env, folder.service, now.object, message)
      : { file: this.context.resolved.settings.settingsFile, field: '', message };
    return { at, file: now.file, object, ...pick(f), why: f.why, how: this.how(f, now) };
  }

  /** The documented way to make a refused change. */
  private how(f: RefusedField, now: PlacedObject): string {
    const { kind, metadata } = now.object;
    const folder = serviceFolderOf(now.file);
    const svc = folder && this.service(folder.service);
    const resolved = folder && this.resolved(folder.env, folder.service);
    if (kind === 'PersistentVolumeClaim') {
      const volume = resolved?.volumes.find((v) => v.claimName === metadata.name)?.name ?? metadata.name;
      return (
        `a claim is never recreated (its data would go with it): move the data to a new claim. Rename ` +
        `volume ${volume} ` +
        `(e.g. ${volume}-2) and add replaces: ${volume} to it, with ${folder?.service ?? 'the service'} ` +
        `suspended while ` +
        'the data is copied: the old claim stays, and the copy steps are printed'
      );
    }
    if (!folder || !svc || !RECREATABLE.has(kind))
      return (
        `gitops-synth does not recreate a ${kind}: delete it before the sync ` +
        `(kubectl${metadata.namespace ? ` -n ${metadata.namespace}` : ''} delete ${kind.toLowerCase()} ` +
        `${metadata.name}), ` +
        'and Argo CD creates it anew'
      );
    const consequence =
      kind === 'StatefulSet'
        ? 'its pods restart; its claims stay, as its persistentVolumeClaimRetentionPolicy is Retain'
        : kind === 'Deployment'
          ? 'its pods restart'
          : 'it gets a new cluster IP; its DNS name stays';
    let how =
      `add recreate: [${kind}/${metadata.name}] under environments.${folder.env} in ${svc.source.file}: ` +
      `Argo CD then deletes the ${kind} and creates it again at the next sync (${consequence}); ` +
      'remove the entry once synced';
    if (f.subject.type === 'template' && f.subject.aspect === 'size') {
      const grows = quantityValue(f.new) > quantityValue(f.old);
      how += grows
        ? `. The claims of its replicas keep ${f.old}: the steps that grow them are printed then`
        : `. The claims of its replicas keep ${f.old} (a claim never shrinks); to move the data to smaller claims, ` +
          `also rename volume ${f.subject.template} and add replaces: ${f.subject.template} to it`;
    } else if (
      f.subject.type === 'template' &&
      (f.subject.aspect === 'storageClass' || f.subject.aspect === 'accessModes')
    )
      how +=
        `. The claims of its replicas keep ${f.old === '(none)' ? 'the class they were given' : f.old} ` +
        '(a claim never changes that); to move the data, ' +
        `also rename volume ${f.subject.template} and add replaces: ${f.subject.template} to it`;
    return how;
  }

  recreateNote(now: PlacedObject, fields: readonly RefusedField[]): string[] {
    const { kind, metadata } = now.object;
    const folder = serviceFolderOf(now.file)!;
    const lines = [
      `${objectLabel(now.object)} (${now.file}): Argo CD deletes it and creates it again at the next ` +
        `sync, as recreate: in ${this.service(folder.service)?.source.file} asks, for ` +
        `${fields.map((f) => `${f.field} ${f.old} → ${f.new}`).join('; ')}.`,
      `Remove ${kind}/${metadata.name} from recreate: once Argo CD has synced: every sync recreates ` +
        `it while it is listed.`,
    ];
    for (const f of fields) {
      if (f.subject.type !== 'template' || f.subject.aspect !== 'size') continue;
      if (quantityValue(f.new) > quantityValue(f.old))
        lines.push(
          `The claims of its replicas keep ${f.old}; once synced, grow them to ${f.new} (their storage ` +
            `class must allow volume expansion):`,
          ...growSteps(metadata.namespace ?? 'default', f.subject.template, metadata.name, f.new).map((l) => `  ${l}`),
        );
      else
        lines.push(`The claims of its replicas keep ${f.old}: a claim never shrinks; only new replicas get ${f.new}.`);
    }
    return lines;
  }

  renameRefusal(r: ClaimRename): RefusedChange {
    const svc = this.resolved(r.env, r.service);
    const newVolumes = r.appearing.map(
      (c) => svc?.volumes.find((v) => v.owned && v.claimName === c.name)?.name ?? c.name,
    );
    const i = this.volumeIndex(svc, r.appearing[0]!.name);
    const shown = r.appearing.map(claimDisplay).join(', ');
    const message = `${r.gone.object} (${r.gone.file}): claim ${r.gone.display} → ${shown}`;
    const target = newVolumes[0]!;
    return {
      at: this.atService(r.env, r.service, i >= 0 ? ['volumes', i, 'name'] : ['volumes'], message),
      file: r.gone.file,
      object: r.gone.object,
      field: 'claim',
      old: r.gone.display,
      new: shown,
      why:
        `the claim of volume ${r.gone.volume} leaves the render while ${shown} appears: the pods would ` +
        `start on the new, ` +
        `empty claim, and the data in ${r.gone.display} would be left behind (Argo CD never deletes ` +
        `a claim, but nothing mounts it any more)`,
      how:
        `if volume ${target} takes over that data, add replaces: ${r.gone.volume} to it, with ${r.service} suspended ` +
        `while the data is copied (the steps are printed); to start ${target} empty and leave the data aside, ` +
        `remove volume ${r.gone.volume} in one publish and add ${target} in the next`,
    };
  }

  unsuspendedRefusal(r: ClaimRename, svc: ResolvedService, volume: string): RefusedChange {
    const i = svc.volumes.findIndex((v) => v.name === volume);
    const shown = r.appearing.map(claimDisplay).join(', ');
    const loaded = this.service(svc.name);
    // A rename written at the top of the spec happens in every environment: suspend it everywhere.
    const everywhere = loaded !== undefined && writtenAt(loaded, r.env, ['volumes'])[0] !== 'environments';
    return {
      at: this.atService(
        r.env,
        r.service,
        ['volumes', i, 'replaces'],
        `${r.gone.object} (${r.gone.file}): claim ${r.gone.display} → ${shown}`,
      ),
      file: r.gone.file,
      object: r.gone.object,
      field: 'claim',
      old: r.gone.display,
      new: shown,
      why:
        `the pods of ${r.service} would start on the new, empty claim before the data of ${r.gone.display} ` +
        `is copied into it`,
      how:
        `suspend ${r.service} in this change (npx gitops-synth app suspend ${r.service}` +
        `${everywhere ? '' : ` --env ${r.env}`}), ` +
        'publish, copy the data (the steps are printed then), and resume it',
    };
  }

  /** Reminders for `recreate:` entries with nothing to recreate for now: every sync recreates them. */
  idleRecreateNotes(recreatedNow: ReadonlySet<string>): string[][] {
    const out: string[][] = [];
    for (const env of this.context.resolved.environments) {
      for (const svc of this.context.resolved.services.get(env.name) ?? []) {
        const loaded = this.service(svc.name);
        (svc.recreate ?? []).forEach((ref, i) => {
          if (recreatedNow.has(`${env.name}/${svc.name}|${ref}`) || !loaded) return;
          const where = loaded.source.locate(writtenAt(loaded, env.name, ['recreate', i]));
          out.push([
            `${where.file}:${where.line ?? 1}: recreate: ${ref} is still listed for environment ${env.name}: ` +
              `every sync deletes it and creates it again; remove it once Argo CD has synced the change it ` +
              `was for.`,
          ]);
        });
      }
    }
    return out;
  }
}
