import { ProblemList, type SpecProblem } from '../spec/errors.js';
import type { LoadedEnvironment, LoadedProject, PartialProject, UnloadedSpecs } from '../spec/load.js';
import { fieldsIn } from '../spec/overrides.js';
import { SETTINGS_FILE } from '../spec/settings-schema.js';
import { MAX_PROBLEMS_PER_FILE, moreProblems } from '../spec/zod-problems.js';
import {
  checkEnvironmentTraffic,
  checkRenderedGateways,
  checkSecretsProvider,
  resolveEnvironmentTraffic,
} from './environment.js';
import { assignHosts } from './hosts.js';
import { allowTagsProblems, defaultAllowTags, imageTagFormats, type ImageTagFormats } from './image-tags.js';
import { assignNetworkPolicies } from './network.js';
import type { ResolvedEnvironment, ResolvedPort, ResolvedService, ResolvedSettings } from './model.js';
import { serviceHost, type ReferenceContext } from './references.js';
import { resolvePorts } from './service/ports.js';
import type { Merged } from './service/scope.js';
import { resolveService } from './service/service.js';
import { resolveSettings } from './settings.js';
import { writtenAt } from './written-at.js';
import { ownValue } from '../util/own.js';
import { unknownName } from '../spec/suggest.js';
import { DEFAULT_WAIT_IMAGE } from '../spec/environment-schema.js';

/** Argo CD's namespace when the settings name none. */
const DEFAULT_ARGOCD_NAMESPACE = 'argocd';

export interface ResolvedProject {
  /** The project settings with every default applied. */
  readonly settings: ResolvedSettings;
  readonly environments: readonly ResolvedEnvironment[];
  /** Per environment name, the enabled services sorted by name. */
  readonly services: ReadonlyMap<string, readonly ResolvedService[]>;
}

/**
 * Resolves every service for every environment. Collects the problems of all
 * environments before throwing, so one run shows them all.
 */
export function resolveProject(project: LoadedProject): ResolvedProject {
  return resolveLoaded(project, { services: new Set(), environments: new Set(), settings: false }, new ProblemList());
}

/**
 * Resolves the files that loaded (loadProjectPartially) and throws one
 * SpecError with both the files' own problems and the problems between the
 * files that loaded, so one run shows them all. A check that needs a file
 * that failed to load is skipped, never reported.
 */
export function resolvePartialProject({ project, problems: own, unloaded }: PartialProject): ResolvedProject {
  const problems = new ProblemList();
  own.forEach((p) => problems.add(p));
  return resolveLoaded(project, unloaded, problems);
}

function resolveLoaded(project: LoadedProject, unloaded: UnloadedSpecs, problems: ProblemList): ResolvedProject {
  const tags = imageTagFormats(project.settings.spec);
  const environments = project.environments.map((e) =>
    resolveEnvironment(e, project.settings.spec.project ?? 'app', tags),
  );
  // The tag formats come from the settings: with a broken settings file they are unknown.
  if (!unloaded.settings) for (const env of environments) checkAllowTags(env, tags, problems);
  checkNamespaces(
    environments,
    unloaded.settings ? undefined : (project.settings.spec.argocd?.namespace ?? DEFAULT_ARGOCD_NAMESPACE),
    problems,
  );
  for (const env of environments) checkSecretsProvider(env, (p) => problems.add(p));
  checkRenderedGateways(environments, (p) => problems.add(p));
  // With a broken settings file its own problems stand; its defaults would only add false ones.
  const settings = unloaded.settings ? undefined : resolveSettings(project, environments, unloaded, problems);
  const services = new Map<string, ResolvedService[]>();
  const perEnvironment = new EnvironmentProblems();
  for (const env of environments) {
    const resolved = resolveServices(project, env, perEnvironment, unloaded, tags);
    const spec = project.environments.find((e) => e.name === env.name)!.spec;
    checkEnvironmentTraffic(env, spec, resolved, (p) => perEnvironment.add(p, env.name, [env.name]));
    services.set(env.name, resolved);
  }
  perEnvironment.addTo(problems);
  problems.throwIfAny();
  // No problem was reported, so the settings resolved (or there is no environment, which load reports).
  return { settings: settings!, environments, services };
}

/** Namespaces of the cluster's own components, never an environment's. */
const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];

/** The name Argo CD gives the cluster it runs in, and that cluster's API server address. */
const IN_CLUSTER_NAME = 'in-cluster';
const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/**
 * Where each environment deploys must be its own: not Argo CD's namespace
 * (its services would overwrite Argo CD's objects, and the root Application
 * would prune them), not a system namespace, and not the namespace of
 * another environment on the same cluster (two Applications would own the
 * same objects and prune each other's). `argocdNamespace` is undefined when
 * the settings file is broken.
 */
function checkNamespaces(
  environments: readonly ResolvedEnvironment[],
  argocdNamespace: string | undefined,
  problems: ProblemList,
): void {
  const taken = new Map<string, ResolvedEnvironment>();
  for (const env of environments) {
    const at = (message: string) => problems.add(env.source.problem(['namespace'], message));
    if (env.namespace === argocdNamespace) {
      at(
        `${env.namespace} is Argo CD's own namespace (argocd.namespace in ${SETTINGS_FILE}): the services ` +
          `would be rendered over Argo CD's objects (a service named argocd-server would replace its ` +
          `Deployment), and the root Application would prune them; expected a namespace of the environment's ` +
          `own, such as ${env.name === 'argocd' ? 'apps' : env.name}`,
      );
      continue;
    }
    if (SYSTEM_NAMESPACES.includes(env.namespace)) {
      at(
        `${env.namespace} belongs to Kubernetes itself; expected a namespace of the environment's own, such ` +
          `as ${env.name}`,
      );
      continue;
    }
    const key = `${clusterIdentity(env)}\0${env.namespace}`;
    const other = taken.get(key);
    if (other)
      at(
        `namespace ${env.namespace} on cluster ${env.cluster.server ?? env.cluster.name} is also environment ` +
          `${other.name}'s (${other.source.file}): two Argo CD Applications would own the same objects and ` +
          `prune each other's; expected a namespace of its own on each cluster`,
      );
    else taken.set(key, env);
  }
}

/**
 * The same key for two ways of naming one cluster: the in-cluster name and
 * address, a server with or without a trailing "/".
 */
function clusterIdentity(env: ResolvedEnvironment): string {
  const server = env.cluster.server?.replace(/\/+$/, '').toLowerCase();
  if (server === IN_CLUSTER_SERVER || env.cluster.name === IN_CLUSTER_NAME) return `server:${IN_CLUSTER_SERVER}`;
  return server ? `server:${server}` : `name:${env.cluster.name}`;
}

/** An environment's allowTags must suit its strategy and the tags the pipeline produces (allowTagsProblems). */
function checkAllowTags(env: ResolvedEnvironment, tags: ImageTagFormats, problems: ProblemList): void {
  for (const message of allowTagsProblems(env.imagePolicy, tags))
    problems.add(env.source.problem(['imagePolicy', 'allowTags'], message));
}

export function resolveEnvironment(e: LoadedEnvironment, partOf: string, tags: ImageTagFormats): ResolvedEnvironment {
  const s = e.spec;
  const policy = s.imagePolicy;
  return {
    name: e.name,
    namespace: s.namespace,
    domain: s.domain,
    cluster: /^https?:\/\//.test(s.cluster) ? { server: s.cluster } : { name: s.cluster },
    storageClass: s.storageClass,
    ...resolveEnvironmentTraffic(s),
    imagePolicy: {
      strategy: policy.strategy,
      constraint: policy.strategy === 'semver' ? policy.constraint : undefined,
      allowTags: policy.allowTags ?? defaultAllowTags(policy.strategy, tags),
    },
    waitImage: s.waitImage ?? DEFAULT_WAIT_IMAGE,
    sync: {
      automated: s.sync?.automated ?? true,
      prune: s.sync?.prune ?? true,
      selfHeal: s.sync?.selfHeal ?? true,
      windows: (s.sync?.windows ?? []).map((w) => ({
        kind: w.kind,
        schedule: w.schedule,
        duration: w.duration,
        timeZone: w.timeZone,
        manualSync: w.manualSync ?? false,
      })),
    },
    monitoring: {
      serviceMonitors: s.monitoring?.serviceMonitors ?? false,
      labels: { ...(s.monitoring?.labels ?? {}) },
    },
    defaults: { replicas: s.defaults?.replicas, resources: s.defaults?.resources },
    partOf,
    source: e.source,
  };
}

/**
 * Problems found while resolving one environment after another. A mistake in
 * a base field shows up in every environment; it is reported once, naming the
 * environments only when it does not occur in all those the service runs in.
 */
class EnvironmentProblems {
  private readonly seen = new Map<
    string,
    { problem: SpecProblem; environments: string[]; enabledIn: readonly string[] }
  >();

  /** Per file, the problems (path and message) located so far, and those past the limit, only counted. */
  private readonly perFile = new Map<string, { located: Set<string>; skipped: Set<string> }>();

  /**
   * Whether a problem of `file` is to be located and reported: at most
   * MAX_PROBLEMS_PER_FILE different ones are, the others only counted, so
   * that a file with thousands of mistakes costs no more than a few dozen.
   */
  admit(file: string, path: readonly (string | number)[], message: string): boolean {
    const entry = this.perFile.get(file) ?? { located: new Set<string>(), skipped: new Set<string>() };
    this.perFile.set(file, entry);
    const key = JSON.stringify([path, message]);
    if (entry.located.has(key)) return true;
    if (entry.located.size < MAX_PROBLEMS_PER_FILE) {
      entry.located.add(key);
      return true;
    }
    entry.skipped.add(key);
    return false;
  }

  add(problem: SpecProblem, environment: string, enabledIn: readonly string[]): void {
    const key = JSON.stringify([problem.file, problem.line, problem.column, problem.field, problem.message]);
    const entry = this.seen.get(key);
    if (entry) entry.environments.push(environment);
    else this.seen.set(key, { problem, environments: [environment], enabledIn });
  }

  addTo(problems: ProblemList): void {
    for (const { problem, environments, enabledIn } of this.seen.values()) {
      const named = environments.some(
        (e) => problem.message.includes(`environment ${e}`) || problem.field.startsWith(`environments.${e}.`),
      );
      const suffix =
        environments.length < enabledIn.length && !named
          ? ` (environment${environments.length > 1 ? 's' : ''} ${environments.join(', ')})`
          : '';
      problems.add({ ...problem, message: problem.message + suffix });
    }
    for (const [file, { skipped }] of this.perFile) if (skipped.size) problems.add(moreProblems(file, skipped.size));
  }
}

function resolveServices(
  project: LoadedProject,
  env: ResolvedEnvironment,
  problems: EnvironmentProblems,
  unloaded: UnloadedSpecs,
  tags: ImageTagFormats,
): ResolvedService[] {
  const merged = new Map<string, Merged>();
  for (const svc of project.services) {
    const enabledIn = project.environments
      .filter((e) => ownValue(svc.spec.environments, e.name)?.enabled !== false)
      .map((e) => e.name);
    const fields = fieldsIn(svc.spec, env.name);
    if (fields === undefined) continue;
    const m: Merged = {
      svc,
      fields,
      problem(path, message, atKey = false, span) {
        if (!problems.admit(svc.source.file, path, message)) return;
        // Blame the override when it wrote (more of) the path than the base did: that value won the merge.
        const at = writtenAt(svc, env.name, path);
        problems.add(
          span ? svc.source.problemInValue(at, span, message) : svc.source.problem(at, message, atKey),
          env.name,
          enabledIn,
        );
      },
    };
    // An override may be partial; the merged result must be a complete, valid spec (checked with the file).
    for (const i of svc.overrideIssues.get(env.name) ?? []) m.problem(i.path, i.message, i.atKey);
    merged.set(svc.name, m);
  }

  // Ports first: references and dependencies need every service's ports.
  const ports = new Map<string, ResolvedPort[]>();
  for (const m of merged.values()) ports.set(m.svc.name, resolvePorts(m));

  const refContext = (m: Merged): ReferenceContext => ({
    envName: env.name,
    namespace: env.namespace,
    domain: env.domain,
    serviceHost(name) {
      if (!merged.has(name)) {
        const known = project.services.some((s) => s.name === name);
        if (!known && unloaded.services.has(name)) return { unchecked: true };
        return {
          error: known
            ? `service "${name}" is disabled in environment ${env.name}; expected a service that runs there`
            : `unknown service "${name}" in \${service:${name}}` +
              unknownName(name, [...merged.keys()], 'a service of apps/'),
        };
      }
      if (!ports.get(name)!.length)
        return {
          error:
            `service "${name}" has no ports, so it has no Service and no DNS name; ` +
            'expected a service with port: or ports:',
        };
      void m;
      return { host: serviceHost(name, env) };
    },
  });

  const out: Parameters<typeof assignNetworkPolicies>[1][number][] = [];
  const declared = new Set(project.services.map((s) => s.name));
  for (const m of merged.values()) {
    const r = resolveService(m, {
      env,
      ports: ports.get(m.svc.name)!,
      refs: refContext(m),
      services: merged,
      portsOf: ports,
      declared,
      unloaded,
      tags,
    });
    if (r) out.push(r);
  }
  checkDependencyCycles(merged);
  // Hosts and NetworkPolicies depend on every service of the environment.
  const hosted = assignHosts(
    out.map((p) => p.service),
    (name, message) => {
      const m = merged.get(name)!;
      const e = m.fields.expose;
      m.problem(e?.path ? ['expose', 'path'] : e?.subdomain ? ['expose', 'subdomain'] : ['expose'], message);
    },
  );
  return assignNetworkPolicies(
    env,
    out.map((p, i) => ({ service: hosted[i]!, network: p.network })),
  );

  function checkDependencyCycles(all: Map<string, Merged>): void {
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (name: string): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(name)), name];
        const first = all.get(cycle[0]!)!;
        const idx = (first.fields.dependsOn ?? []).indexOf(cycle[1]!);
        first.problem(
          ['dependsOn', idx],
          `dependency cycle ${cycle.join(' -> ')}; expected no cycles: remove one of these dependsOn entries`,
        );
        return;
      }
      state.set(name, 'visiting');
      stack.push(name);
      // A self-dependency is reported on its own (see resolveService).
      for (const dep of all.get(name)?.fields.dependsOn ?? []) if (dep !== name && all.has(dep)) visit(dep);
      stack.pop();
      state.set(name, 'done');
    };
    for (const name of [...all.keys()].sort()) if (state.get(name) !== 'done') visit(name);
  }
}
