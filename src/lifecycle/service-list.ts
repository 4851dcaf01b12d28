import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedService } from '../resolve/model.js';
import { openDevopsTree, type DevopsTree } from './devops-tree.js';
import { imageUpdaterFile, writtenBackTag } from './image-updater-file.js';
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
  } | null;
  /** The fixed replica count (0 when suspended); null under autoscaling. */
  readonly replicas: number | null;
  readonly autoscaling: { readonly minReplicas: number; readonly maxReplicas: number } | null;
  readonly url: string | null;
  readonly volumes: readonly ListedVolume[] | null;
  readonly suspended: boolean | null;
}

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

  const services: ListedService[] = [];
  for (const loaded of project.services) {
    const perEnv: Record<string, ListedEnvironment> = {};
    const text = readFileSync(join(project.root, loaded.source.file), 'utf8');
    for (const env of environments) {
      const svc = resolved.services.get(env.name)?.find((s) => s.name === loaded.name);
      perEnv[env.name] = svc
        ? await describe(svc, tree, text)
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

async function describe(svc: ResolvedService, tree: DevopsTree | undefined, spec: string): Promise<ListedEnvironment> {
  const written = await tree?.read(imageUpdaterFile(svc.name, svc.environment.name));
  const writtenTag = written ? writtenBackTag(written.content, svc.image.repository) : undefined;
  const expose = svc.expose;
  return {
    deployed: true,
    namespace: svc.environment.namespace,
    image: {
      repository: svc.image.repository,
      tag: writtenTag ?? svc.image.tag,
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
      const tag =
        e.image.tagFrom === 'image-updater'
          ? `${e.image.tag} (Image Updater${e.image.writtenBackAt ? `, ${e.image.writtenBackAt}` : ''}; ${e.image.pin ? 'pinned' : 'spec'} ${e.image.pinnedTag})`
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
      rows.push([svc.name, envName, e.image.repository, tag, replicas, e.url ?? '-', volumes]);
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
