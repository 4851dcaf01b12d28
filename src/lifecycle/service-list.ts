import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applicationName } from '../argocd/names.js';
import { appliedWriteBackFiles, writtenBackTag } from '../output/write-back.js';
import { parseReleaseRecord, releaseRecordPath } from '../publish/release-record.js';
import { imageTagFormats, tagAllowed } from '../resolve/image-tags.js';
import type { ResolvedProject } from '../resolve/resolve.js';
import type { ResolvedService } from '../resolve/model.js';
import { openDevopsTree, type DevopsTree } from './devops-tree.js';
import { imageUpdaterFile } from './image-updater-file.js';
import { pinReason } from './pin.js';
import { checkEnvironment, loadValidProject } from './project.js';

/** `app list --json`: what runs where. Keys are stable; absent facts are null, never left out. */
export interface ServiceListing {
  /** The environments listed, in the project's order. */
  readonly environments: readonly string[];
  /** Where written-back tags were read from, or why they could not be. */
  readonly devopsRepository: { readonly readFrom: string | null; readonly error: string | null };
  readonly services: readonly ListedService[];
}

export interface ListedService {
  readonly name: string;
  /** The spec, relative to the project. */
  readonly file: string;
  /** Per environment name. */
  readonly environments: Readonly<Record<string, ListedEnvironment>>;
}

export interface ListedEnvironment {
  /** False when the service has `enabled: false` for this environment; the other facts are then null. */
  readonly deployed: boolean;
  readonly namespace: string;
  readonly image: {
    readonly repository: string;
    /** The tag that runs: the written-back one when there is one, else the pinned one. */
    readonly tag: string;
    /** The tag in the spec. */
    readonly pinnedTag: string;
    readonly tagFrom: 'spec' | 'image-updater';
    /** When Image Updater's write-back was last committed (ISO 8601 UTC); null when not known. */
    readonly writtenBackAt: string | null;
    readonly autoUpdate: boolean;
    /**
     * Set when the tag is pinned here (not auto-updated): the spec's tag, and the
     * reason written beside the pin (`app pin --reason`), null when none.
     */
    readonly pin: { readonly tag: string; readonly reason: string | null } | null;
    /** The image policy that moves the tag (the environment's, or the service's own); null when pinned. */
    readonly policy: {
      readonly strategy: 'newest-build' | 'semver';
      readonly constraint: string | null;
      readonly allowTags: string;
      /** Whether it is the service's own image.policy rather than the environment's imagePolicy. */
      readonly own: boolean;
    } | null;
    /** For a release tag (X.Y.Z): which build it is and whether another environment ran it; null for other tags. */
    readonly release: ListedRelease | null;
  } | null;
  /** The fixed replica count (0 when suspended); null under autoscaling. */
  readonly replicas: number | null;
  readonly autoscaling: { readonly minReplicas: number; readonly maxReplicas: number } | null;
  readonly url: string | null;
  readonly volumes: readonly ListedVolume[] | null;
  readonly suspended: boolean | null;
}

/**
 * What is known, without asking the registry, about the image a release tag
 * names: build-image.yml adds a release tag to the image built for its
 * commit (the same digest, checked) and records which build that was in the
 * devops repository; the devops repository's history shows which builds
 * other environments ran. A release without a record is unknown (null),
 * never guessed.
 */
export interface ListedRelease {
  /** The build tag (short commit sha) the release tag was added to; null without a release record. */
  readonly build: string | null;
  readonly commit: string | null;
  /** The digest the release and build tags name, per the record. */
  readonly digest: string | null;
  /** When the record was committed (ISO 8601 UTC). */
  readonly recordedAt: string | null;
  /** Other environments of the service whose history in the devops repository shows that build, and since when. */
  readonly testedIn: readonly { readonly environment: string; readonly since: string }[];
  /** Whether this environment runs a digest another environment ran: true, false, or null when unknown (no record). */
  readonly runsTestedDigest: boolean | null;
}

/** How far back the devops repository's history is searched per file. */
const HISTORY_LIMIT = 200;

export interface ListedVolume {
  readonly name: string;
  readonly mountPath: string;
  /** Owned volumes: the size (per replica for a StatefulSet). */
  readonly size: string | null;
  /** A Deployment's claim, or a StatefulSet's claim template. */
  readonly claim: string | null;
  readonly perReplica: boolean;
  /** The service whose claim is mounted, for `from:` volumes. */
  readonly from: string | null;
}

export interface ListOptions {
  /** Only this environment. */
  readonly environment?: string;
  /** @see DevopsTreeOptions.cacheDir */
  readonly cacheDir?: string;
}

export async function listServices(projectDir: string, options: ListOptions = {}): Promise<ServiceListing> {
  const { project, resolved } = loadValidProject(projectDir);
  checkEnvironment(project, options.environment);
  const environments = resolved.environments.filter(
    (e) => options.environment === undefined || e.name === options.environment,
  );

  let tree: DevopsTree | undefined;
  let error: string | null = null;
  try {
    tree = await openDevopsTree(project, { cacheDir: options.cacheDir });
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }

  const releaseTags = imageTagFormats(project.settings.spec).release.allowTags;
  const services: ListedService[] = [];
  for (const loaded of project.services) {
    const perEnv: Record<string, ListedEnvironment> = {};
    const text = readFileSync(join(project.root, loaded.source.file), 'utf8');
    for (const env of environments) {
      const svc = resolved.services.get(env.name)?.find((s) => s.name === loaded.name);
      perEnv[env.name] = svc
        ? await describe(svc, tree, text, resolved, releaseTags)
        : {
            deployed: false,
            namespace: env.namespace,
            image: null,
            replicas: null,
            autoscaling: null,
            url: null,
            volumes: null,
            suspended: null,
          };
    }
    services.push({ name: loaded.name, file: loaded.source.file, environments: perEnv });
  }
  return {
    environments: environments.map((e) => e.name),
    devopsRepository: { readFrom: tree?.origin ?? null, error },
    services,
  };
}

async function describe(
  svc: ResolvedService,
  tree: DevopsTree | undefined,
  spec: string,
  resolved: ResolvedProject,
  releaseTags: string,
): Promise<ListedEnvironment> {
  const written = await tree?.read(imageUpdaterFile(svc.name, svc.environment.name));
  const writtenTag = written ? writtenBackTag(written.content, svc.image.repository) : undefined;
  const tag = writtenTag ?? svc.image.tag;
  const release = tagAllowed(tag, releaseTags) ? await describeRelease(svc, tag, tree, resolved) : null;
  const expose = svc.expose;
  return {
    deployed: true,
    namespace: svc.environment.namespace,
    image: {
      repository: svc.image.repository,
      tag,
      pinnedTag: svc.image.tag,
      tagFrom: writtenTag ? 'image-updater' : 'spec',
      writtenBackAt: writtenTag ? (written?.committedAt ?? null) : null,
      autoUpdate: svc.image.autoUpdate,
      pin: svc.image.autoUpdate ? null : { tag: svc.image.tag, reason: pinReason(spec, svc.environment.name) },
      policy: svc.image.autoUpdate
        ? {
            strategy: svc.image.policy.strategy,
            constraint: svc.image.policy.constraint ?? null,
            allowTags: svc.image.policy.allowTags,
            own: svc.image.policy !== svc.environment.imagePolicy,
          }
        : null,
      release,
    },
    replicas: svc.replicas ?? null,
    autoscaling: svc.autoscaling
      ? { minReplicas: svc.autoscaling.minReplicas, maxReplicas: svc.autoscaling.maxReplicas }
      : null,
    url: expose
      ? `${expose.tlsSecretName ? 'https' : 'http'}://${expose.host}${expose.path === '/' ? '' : expose.path}`
      : null,
    volumes: svc.volumes.map((v) => ({
      name: v.name,
      mountPath: v.mountPath,
      size: v.owned?.size ?? null,
      claim: v.claimName,
      perReplica: svc.workload === 'statefulset' && v.owned !== undefined,
      from: v.fromService ?? null,
    })),
    suspended: svc.suspended ?? false,
  };
}

/** A release tag's build (from build-image.yml's record) and the other environments whose history shows it. */
async function describeRelease(
  svc: ResolvedService,
  tag: string,
  tree: DevopsTree | undefined,
  resolved: ResolvedProject,
): Promise<ListedRelease> {
  const unknown: ListedRelease = {
    build: null,
    commit: null,
    digest: null,
    recordedAt: null,
    testedIn: [],
    runsTestedDigest: null,
  };
  const file = tree ? await tree.readFromRoot(releaseRecordPath(svc.image.repository, tag)) : undefined;
  const record = file ? parseReleaseRecord(file.content, svc.image.repository, tag) : undefined;
  if (!tree || !file || !record) return unknown;
  const testedIn: { environment: string; since: string }[] = [];
  for (const env of resolved.environments) {
    if (env.name === svc.environment.name) continue;
    const other = resolved.services.get(env.name)?.find((s) => s.name === svc.name);
    if (!other || other.image.repository !== svc.image.repository) continue;
    const since = await firstRan(tree, other, record.build);
    if (since) testedIn.push({ environment: env.name, since });
  }
  return {
    build: record.build,
    commit: record.commit || null,
    digest: record.digest,
    recordedAt: file.committedAt ?? null,
    testedIn,
    runsTestedDigest: testedIn.length > 0,
  };
}

/**
 * When the devops repository first told Argo CD to run `build` for this
 * service in its environment (in its app.json, or an Image Updater
 * write-back over it), within the searched history; undefined when never.
 */
async function firstRan(tree: DevopsTree, svc: ResolvedService, build: string): Promise<string | undefined> {
  const folder = `${svc.environment.name}/${svc.name}`;
  const times: string[] = [];
  for (const file of appliedWriteBackFiles(applicationName(svc.name, svc.environment.name)))
    for (const v of await tree.history(`${folder}/${file}`, HISTORY_LIMIT))
      if (v.content !== undefined && writtenBackTag(v.content, svc.image.repository) === build)
        times.push(v.committedAt);
  for (const v of await tree.history(`${folder}/app.json`, HISTORY_LIMIT)) {
    try {
      const image = (JSON.parse(v.content ?? '') as { image?: { repository?: string; tag?: string } }).image;
      if (image?.repository === svc.image.repository && image.tag === build) times.push(v.committedAt);
    } catch {
      // Not JSON at that commit: not a render of ours.
    }
  }
  return times.sort()[0];
}

/** The listing as a plain-text table, one row per service and environment. */
export function formatListing(listing: ServiceListing): string {
  const header = ['SERVICE', 'ENV', 'IMAGE', 'TAG', 'REPLICAS', 'URL', 'VOLUMES'];
  const rows: string[][] = [];
  for (const svc of listing.services) {
    for (const envName of listing.environments) {
      const e = svc.environments[envName]!;
      if (!e.deployed || !e.image) {
        rows.push([svc.name, envName, '-', 'not deployed (enabled: false)', '-', '-', '-']);
        continue;
      }
      const release = e.image.release;
      const tested = !release?.build
        ? ''
        : release.runsTestedDigest
          ? `; build ${release.build}, ran in ${release.testedIn.map((t) => t.environment).join(', ')}`
          : `; build ${release.build}, ran in no other environment`;
      const tag =
        e.image.tagFrom === 'image-updater'
          ? `${e.image.tag} (Image Updater${e.image.writtenBackAt ? `, ${e.image.writtenBackAt}` : ''}; ` +
            `${e.image.pin ? 'pinned' : 'spec'} ${e.image.pinnedTag})`
          : e.image.pin
            ? `${e.image.tag} (pinned${e.image.pin.reason ? `: ${e.image.pin.reason}` : ''})`
            : e.image.tag;
      const replicas = e.suspended
        ? '0 (suspended)'
        : e.autoscaling
          ? `${e.autoscaling.minReplicas}-${e.autoscaling.maxReplicas} (autoscaled)`
          : String(e.replicas);
      const volumes =
        (e.volumes ?? [])
          .map((v) => (v.from ? `${v.name} (from ${v.from})` : `${v.name} ${v.size}${v.perReplica ? '/replica' : ''}`))
          .join(', ') || '-';
      rows.push([
        svc.name,
        envName,
        e.image.repository,
        tested ? `${tag} (${tested.slice(2)})` : tag,
        replicas,
        e.url ?? '-',
        volumes,
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  if (listing.devopsRepository.error)
    out.push('', `Written-back tags unknown (showing the pinned ones): ${listing.devopsRepository.error}`);
  else out.push('', `Written-back tags read from ${listing.devopsRepository.readFrom}.`);
  return `${out.join('\n')}\n`;
}
