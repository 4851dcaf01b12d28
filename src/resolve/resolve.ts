import { createHash } from 'node:crypto';
import semver from 'semver';
import { ProblemList, type SpecProblem } from '../spec/errors.js';
import type { LoadedEnvironment, LoadedProject, LoadedService, PartialProject, UnloadedSpecs } from '../spec/load.js';
import { serviceFieldsSchema, type ProbeSpec, type ServiceFields } from '../spec/service-schema.js';
import { checkSchema } from '../spec/zod-problems.js';
import type { ValueSpan } from '../spec/source.js';
import { deepMerge } from './merge.js';
import { FILES_VOLUME, TMP_VOLUME } from './model.js';
import type {
  ResolvedDependency,
  ResolvedEnvironment,
  ResolvedFile,
  ResolvedPort,
  ResolvedProbe,
  ResolvedService,
  ResolvedSettings,
  ResolvedVolume,
} from './model.js';
import { resolveSettings } from './settings.js';
import { imageTagFormats, tagAllowed, type ImageTagFormats } from './image-tags.js';
import { quantityValue } from './quantity.js';
import { SETTINGS_FILE } from '../spec/settings-schema.js';
import { dependentVariables, interpolate, isOnlyReferences, type ReferenceContext } from './references.js';
import { codeUnitOrder } from '../util/order.js';

export const DEFAULT_WAIT_IMAGE = 'busybox:1.37.0';
const WAIT_TIMEOUT_SECONDS = 300;
const CREDENTIAL_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|_KEY$|^KEY$|CREDENTIAL/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/:@\s]*:([^/@\s]+)@/i;
/** Longest suffix any object derived from a service name gets (`-headless`). */
const LABEL_MAX = 63;

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
  const environments = project.environments.map((e) => resolveEnvironment(e, project.settings.spec.project ?? 'app', tags));
  // The tag formats come from the settings: with a broken settings file they are unknown.
  if (!unloaded.settings) for (const env of environments) checkAllowTags(env, tags, problems);
  // With a broken settings file its own problems stand; its defaults would only add false ones.
  const settings = unloaded.settings ? undefined : resolveSettings(project, environments, unloaded, problems);
  const services = new Map<string, ResolvedService[]>();
  const perEnvironment = new EnvironmentProblems();
  for (const env of environments) services.set(env.name, resolveServices(project, env, perEnvironment, unloaded));
  perEnvironment.addTo(problems);
  problems.throwIfAny();
  // No problem was reported, so the settings resolved (or there is no environment, which load reports).
  return { settings: settings!, environments, services };
}

/**
 * An environment's allowTags must accept the tags the pipeline produces for its
 * strategy (or Image Updater would never move it), and a semver policy must
 * reject an all-digit short sha (which parses as a huge version).
 */
function checkAllowTags(env: ResolvedEnvironment, tags: ImageTagFormats, problems: ProblemList): void {
  const at = ['imagePolicy', 'allowTags'];
  const { allowTags, strategy } = env.imagePolicy;
  const sample = strategy === 'semver' ? tags.release.example : tags.build.example;
  if (!tagAllowed(sample, allowTags)) {
    problems.add(env.source.problem(at, `${allowTags} rejects "${sample}", the ${strategy === 'semver' ? 'release' : 'build'} tag format the image pipeline produces (imageTags in ${SETTINGS_FILE}); expected a filter that accepts it, or leave allowTags out to derive it`));
  }
  if (strategy === 'semver' && tagAllowed('1234567', allowTags)) {
    problems.add(env.source.problem(at, `${allowTags} accepts an all-digit short commit sha such as "1234567", which a semver policy reads as version 1234567.0.0 and would deploy; expected a strict filter such as ${tags.release.allowTags}`));
  }
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
    ingressClassName: s.ingress.className,
    clusterIssuer: s.ingress.tls?.clusterIssuer,
    imagePolicy: {
      strategy: policy.strategy,
      constraint: policy.strategy === 'semver' ? policy.constraint : undefined,
      allowTags: policy.allowTags ?? (policy.strategy === 'semver' ? tags.release.allowTags : tags.build.allowTags),
    },
    waitImage: s.waitImage ?? DEFAULT_WAIT_IMAGE,
    sync: {
      automated: s.sync?.automated ?? true,
      prune: s.sync?.prune ?? true,
      selfHeal: s.sync?.selfHeal ?? true,
      windows: (s.sync?.windows ?? []).map((w) => ({ kind: w.kind, schedule: w.schedule, duration: w.duration, timeZone: w.timeZone, manualSync: w.manualSync ?? false })),
    },
    monitoring: { serviceMonitors: s.monitoring?.serviceMonitors ?? false, labels: { ...(s.monitoring?.labels ?? {}) } },
    defaults: { replicas: s.defaults?.replicas, resources: s.defaults?.resources },
    partOf,
    source: e.source,
  };
}

/** A service's fields for one environment, with a way to point at where each came from. */
interface Merged {
  readonly svc: LoadedService;
  readonly fields: ServiceFields;
  /** Report a problem at `path` of the merged spec, in the file where that value was written; with `span`, at that piece of the value. */
  problem(path: (string | number)[], message: string, atKey?: boolean, span?: ValueSpan): void;
}

/**
 * Problems found while resolving one environment after another. A mistake in
 * a base field shows up in every environment; it is reported once, naming the
 * environments only when it does not occur in all those the service runs in.
 */
class EnvironmentProblems {
  private readonly seen = new Map<string, { problem: SpecProblem; environments: string[]; enabledIn: readonly string[] }>();

  add(problem: SpecProblem, environment: string, enabledIn: readonly string[]): void {
    const key = JSON.stringify([problem.file, problem.line, problem.column, problem.field, problem.message]);
    const entry = this.seen.get(key);
    if (entry) entry.environments.push(environment);
    else this.seen.set(key, { problem, environments: [environment], enabledIn });
  }

  addTo(problems: ProblemList): void {
    for (const { problem, environments, enabledIn } of this.seen.values()) {
      const named = environments.some((e) => problem.message.includes(`environment ${e}`) || problem.field.startsWith(`environments.${e}.`));
      const suffix = environments.length < enabledIn.length && !named ? ` (environment${environments.length > 1 ? 's' : ''} ${environments.join(', ')})` : '';
      problems.add({ ...problem, message: problem.message + suffix });
    }
  }
}

function resolveServices(project: LoadedProject, env: ResolvedEnvironment, problems: EnvironmentProblems, unloaded: UnloadedSpecs): ResolvedService[] {
  const merged = new Map<string, Merged>();
  for (const svc of project.services) {
    const enabledIn = project.environments.filter((e) => svc.spec.environments?.[e.name]?.enabled !== false).map((e) => e.name);
    const override = svc.spec.environments?.[env.name];
    if (override?.enabled === false) continue;
    const { name: _n, environments: _e, ...base } = svc.spec;
    const { enabled: _en, ...overrideFields } = override ?? {};
    const fields = deepMerge(base as ServiceFields, overrideFields);
    const m: Merged = {
      svc,
      fields,
      problem(path, message, atKey = false, span) {
        // Blame the override when it wrote (more of) the path than the base did: that value won the merge.
        const written = (prefix: (string | number)[]): number => {
          let depth = path.length;
          while (depth > 0 && !svc.source.has([...prefix, ...path.slice(0, depth)])) depth--;
          return depth;
        };
        const envPath = ['environments', env.name, ...path];
        const inOverride = written(['environments', env.name]);
        const at = inOverride > 0 && inOverride >= written([]) ? envPath : path;
        problems.add(span ? svc.source.problemInValue(at, span, message) : svc.source.problem(at, message, atKey), env.name, enabledIn);
      },
    };
    // An override may be partial; the merged result must be a complete, valid spec.
    if (Object.keys(overrideFields).length) checkSchema(serviceFieldsSchema, fields).issues.forEach((i) => m.problem(i.path, i.message, i.atKey));
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
        return { error: known ? `service "${name}" is disabled in environment ${env.name}; expected a service that runs there` : `unknown service "${name}" in \${service:${name}}; expected one of: ${[...merged.keys()].join(', ')}` };
      }
      if (!ports.get(name)!.length) return { error: `service "${name}" has no ports, so it has no Service and no DNS name; expected a service with port: or ports:` };
      void m;
      return { host: serviceHost(name, env) };
    },
  });

  const out: ResolvedService[] = [];
  const declared = new Set(project.services.map((s) => s.name));
  for (const m of merged.values()) {
    const r = resolveService(m, env, ports, merged, refContext(m), declared, unloaded);
    if (r) out.push(r);
  }
  checkDependencyCycles(merged);
  checkHosts(out, merged);
  return out;

  function checkDependencyCycles(all: Map<string, Merged>): void {
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (name: string): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(name)), name];
        const first = all.get(cycle[0]!)!;
        const idx = (first.fields.dependsOn ?? []).indexOf(cycle[1]!);
        first.problem(['dependsOn', idx], `dependency cycle ${cycle.join(' -> ')}; expected no cycles: remove one of these dependsOn entries`);
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

  function checkHosts(resolved: ResolvedService[], all: Map<string, Merged>): void {
    const seen = new Map<string, string>();
    for (const r of resolved) {
      if (!r.expose) continue;
      const other = seen.get(r.expose.host);
      if (other) all.get(r.name)!.problem(all.get(r.name)!.fields.expose?.subdomain ? ['expose', 'subdomain'] : ['expose'], `host ${r.expose.host} is already claimed by service "${other}" in environment ${r.environment.name}; expected one service per host (its Ingress and TLS certificate): choose another subdomain`);
      else seen.set(r.expose.host, r.name);
    }
  }
}

export function serviceHost(name: string, env: { namespace: string }): string {
  return `${name}.${env.namespace}.svc.cluster.local`;
}

function resolvePorts(m: Merged): ResolvedPort[] {
  const f = m.fields;
  if (f.port !== undefined && f.ports !== undefined) {
    m.problem(['port'], 'port and ports exclude each other; expected either `port: N` for one HTTP port or `ports:` for a list');
    return [];
  }
  if (f.port !== undefined) return [{ name: 'http', port: f.port, protocol: 'TCP' }];
  const list = f.ports ?? [];
  const out: ResolvedPort[] = [];
  list.forEach((p, i) => {
    const name = p.name ?? (list.length === 1 ? 'http' : undefined);
    if (!name) {
      m.problem(['ports', i], 'this port has no name; expected a name for each port when a service has several ports');
      return;
    }
    const protocol = p.protocol ?? 'TCP';
    const clash = out.find((o) => o.name === name || (o.port === p.port && o.protocol === protocol));
    if (clash) {
      if (clash.name === name) m.problem(['ports', i, p.name ? 'name' : 'port'], `port name "${name}" is used twice; expected unique port names`);
      else m.problem(['ports', i, 'port'], `port ${p.port}/${protocol} is declared twice (also as "${clash.name}"); expected each port once`);
      return;
    }
    out.push({ name, port: p.port, protocol });
  });
  return out;
}

function resolveService(
  m: Merged,
  env: ResolvedEnvironment,
  allPorts: Map<string, ResolvedPort[]>,
  all: Map<string, Merged>,
  refs: ReferenceContext,
  /** Every service of apps/, including those disabled in this environment. */
  declared: ReadonlySet<string>,
  /** What files that failed to load would have defined: checks that need them are skipped. */
  unloaded: UnloadedSpecs,
): ResolvedService | undefined {
  const f = m.fields;
  const name = m.svc.name;
  const ports = allPorts.get(name)!;
  let ok = true;
  const fail = (path: (string | number)[], message: string, atKey = false, span?: ValueSpan): void => {
    ok = false;
    m.problem(path, message, atKey, span);
  };

  // Image.
  const repository = f.image?.repository;
  const tag = f.image?.tag;
  if (!f.image) fail(['image'], 'is required; expected {repository, tag}');
  else {
    if (!repository) fail(['image', 'repository'], 'is required; expected an image repository such as ghcr.io/acme/api');
    if (!tag) fail(['image', 'tag'], 'is required; expected the pinned or initial tag, e.g. 1.4.2 or a short commit sha');
  }
  const autoUpdate = f.image?.autoUpdate ?? false;
  if (tag === 'latest' && env.imagePolicy.strategy === 'semver') {
    fail(['image', 'tag'], `"latest" is not allowed in environment ${env.name}, whose image policy is semver; expected a pinned release such as 1.4.2`);
  } else if (tag && autoUpdate && !unloaded.settings && !tagAllowed(tag, env.imagePolicy.allowTags)) {
    fail(['image', 'tag'], `"${tag}" does not match the allowTags of environment ${env.name} (${env.imagePolicy.allowTags}); expected an initial tag the policy could pick, since autoUpdate is on`);
  } else if (tag && autoUpdate && env.imagePolicy.constraint && !semver.satisfies(tag.replace(/^v/, ''), env.imagePolicy.constraint)) {
    fail(['image', 'tag'], `"${tag}" does not satisfy the semver constraint ${env.imagePolicy.constraint} of environment ${env.name}; expected an initial tag the policy could pick, since autoUpdate is on`);
  }

  const portByRef = (ref: number | string | undefined, path: (string | number)[], what: string): number | undefined => {
    if (ref === undefined) {
      if (!ports.length) {
        fail(path, `${what} needs a port, and the service declares none; expected port: or ports:`);
        return undefined;
      }
      return ports[0]!.port;
    }
    const found = ports.find((p) => p.name === ref || p.port === ref);
    if (!found) {
      fail(path, `${what} refers to port ${JSON.stringify(ref)}, which the service does not declare; expected one of: ${ports.map((p) => `${p.name} (${p.port})`).join(', ') || 'none'}`);
      return undefined;
    }
    return found.port;
  };

  // Ingress.
  let expose: ResolvedService['expose'];
  if (f.expose) {
    const host = f.expose.subdomain ? `${f.expose.subdomain}.${env.domain}` : env.domain;
    const port = portByRef(f.expose.port, ['expose', 'port'], 'expose');
    if (host.length > 253) fail(['expose', 'subdomain'], `host ${host} is longer than 253 characters; expected a shorter subdomain`);
    if (port !== undefined) expose = { host, path: f.expose.path ?? '/', port, tlsSecretName: env.clusterIssuer ? `${host.replace(/\./g, '-')}-tls`.slice(0, 253) : undefined };
  }

  // Secret and plain variables.
  const secretEnv = Object.entries(f.secretEnv ?? {})
    .sort(([a], [b]) => codeUnitOrder(a, b))
    .map(([k, v]) => ({ name: k, secret: v.secret, key: v.key }));
  const env_: { name: string; value: string }[] = [];
  const defined = new Set(secretEnv.map((s) => s.name));
  for (const [k, raw] of Object.entries(f.env ?? {}).sort(([a], [b]) => codeUnitOrder(a, b))) {
    const text = String(raw);
    if (defined.has(k) && f.secretEnv?.[k]) {
      fail(['env', k], `${k} is set both in env and in secretEnv; expected it in secretEnv only`, true);
      continue;
    }
    if (CREDENTIAL_NAME.test(k) && text !== '' && !isOnlyReferences(text)) {
      fail(['env', k], `${k} looks like a credential but has a literal value, and secret values never go in a spec; expected a Secret reference: secretEnv: {${k}: {secret: <name>, key: <key>}}`);
      continue;
    }
    const url = URL_WITH_PASSWORD.exec(text);
    if (url && !isOnlyReferences(url[1]!)) {
      fail(['env', k], `${k} holds a URL with a literal password; expected the password in secretEnv, written as $(VAR) in the URL`);
      continue;
    }
    const { value, errors } = interpolate(text, refs);
    errors.forEach((e) => fail(['env', k], e.message, false, { text: e.reference, offset: e.offset }));
    const undefinedVars = dependentVariables(value).filter((v) => !defined.has(v) && !env_.some((e) => e.name === v));
    if (undefinedVars.length) {
      fail(['env', k], `$(${undefinedVars[0]}) refers to a variable that is not defined before it; expected it in secretEnv (or in env, sorted before ${k})`);
    }
    env_.push({ name: k, value });
  }

  // Files.
  const files: ResolvedFile[] = [];
  const keys = new Set<string>();
  for (const [path, content] of Object.entries(f.files ?? {}).sort(([a], [b]) => codeUnitOrder(a, b))) {
    const { value, errors } = interpolate(content, refs);
    errors.forEach((e) => fail(['files', path], e.message, false, { text: e.reference, offset: e.offset }));
    if (path.endsWith('/')) fail(['files', path], 'the path ends with "/"; expected a file path, not a folder', true);
    let key = path.replace(/^\/+/, '').replace(/[^-._a-zA-Z0-9]/g, '_');
    while (keys.has(key)) key = `_${key}`;
    keys.add(key);
    files.push({ path, key, content: value });
  }
  const filesHash = files.length ? createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16) : undefined;

  // Scaling.
  const workload = f.workload ?? 'deployment';
  let replicas: number | undefined = f.replicas ?? (f.autoscaling ? undefined : (env.defaults.replicas ?? 1));
  const autoscaling = f.autoscaling;
  if (autoscaling) {
    if (f.replicas !== undefined) fail(['replicas'], 'replicas and autoscaling exclude each other (the autoscaler owns the replica count); expected one of them: remove replicas, or set replicas: null under environments.<env>');
    if (autoscaling.minReplicas > autoscaling.maxReplicas) fail(['autoscaling', 'minReplicas'], `minReplicas (${autoscaling.minReplicas}) is greater than maxReplicas (${autoscaling.maxReplicas}); expected minReplicas <= maxReplicas`);
    if (autoscaling.targetCPUUtilization === undefined && autoscaling.targetMemoryUtilization === undefined) fail(['autoscaling'], 'no utilization target is set; expected targetCPUUtilization or targetMemoryUtilization (or both)');
    replicas = undefined;
  }

  // Resources: the environment's defaults, overridden key by key.
  const defaults = env.defaults.resources ?? {};
  const requests = { ...(defaults.requests ?? {}), ...(f.resources?.requests ?? {}) } as Record<string, string>;
  const limits = { ...(defaults.limits ?? {}), ...(f.resources?.limits ?? {}) } as Record<string, string>;
  for (const k of Object.keys(limits)) {
    if (requests[k] !== undefined && quantityValue(requests[k]!) > quantityValue(limits[k]!)) {
      const inherited = (f.resources?.limits as Record<string, string> | undefined)?.[k] === undefined ? ` (the default of ${env.source.file})` : '';
      fail(['resources', 'requests', k], `request ${requests[k]} is greater than the limit ${limits[k]}${inherited}; expected requests <= limits`);
    }
  }
  if (autoscaling?.targetCPUUtilization !== undefined && requests.cpu === undefined) fail(['autoscaling', 'targetCPUUtilization'], 'the service has no CPU request, and utilization is relative to the request; expected resources.requests.cpu');
  if (autoscaling?.targetMemoryUtilization !== undefined && requests.memory === undefined) fail(['autoscaling', 'targetMemoryUtilization'], 'the service has no memory request, and utilization is relative to the request; expected resources.requests.memory');

  // Probes.
  const probe = (which: 'readiness' | 'liveness' | 'startup'): ResolvedProbe | undefined => {
    const p: ProbeSpec | undefined = f.probes?.[which];
    if (!p) return undefined;
    const timing = { initialDelaySeconds: p.initialDelaySeconds, periodSeconds: p.periodSeconds, timeoutSeconds: p.timeoutSeconds, failureThreshold: p.failureThreshold };
    if (p.http !== undefined) {
      const port = portByRef(p.port, ['probes', which, 'port'], `probes.${which}`);
      return port === undefined ? undefined : { http: { path: p.http, port }, ...timing };
    }
    if (p.tcp !== undefined) {
      const port = portByRef(p.tcp, ['probes', which, 'tcp'], `probes.${which}`);
      return port === undefined ? undefined : { tcp: { port }, ...timing };
    }
    return { exec: p.exec!, ...timing };
  };
  const probes = { readiness: probe('readiness'), liveness: probe('liveness'), startup: probe('startup') };

  // Volumes.
  const volumes: ResolvedVolume[] = [];
  const ownsReplicated = (replicas ?? 0) > 1 || (autoscaling?.maxReplicas ?? 0) > 1;
  (f.volumes ?? []).forEach((v, i) => {
    const at = ['volumes', i];
    if (volumes.some((o) => o.name === v.name)) return fail([...at, 'name'], `volume "${v.name}" is declared twice; expected unique volume names`);
    if (v.name === FILES_VOLUME || v.name === TMP_VOLUME) return fail([...at, 'name'], `"${v.name}" is reserved for a volume gitops-synth adds (files:, /tmp); expected another name`);
    if (volumes.some((o) => o.mountPath === v.mountPath) || files.some((x) => x.path === v.mountPath)) return fail([...at, 'mountPath'], `${v.mountPath} is mounted twice; expected one volume or file per path`);
    if (v.from !== undefined) {
      if (v.size !== undefined || v.accessMode !== undefined) return fail([...at, 'from'], 'a volume with from: mounts the other service\'s claim, whose size and accessMode belong to the owner; expected no size or accessMode here');
      if (v.from === name) return fail([...at, 'from'], 'a service cannot mount its own volume with from:; expected no from: here');
      const owner = all.get(v.from);
      if (!owner && !declared.has(v.from) && unloaded.services.has(v.from)) return;
      if (!owner) {
        const exists = [...all.keys()].filter((n) => n !== name);
        return fail([...at, 'from'], `unknown service "${v.from}"${exists.length ? `; expected one of: ${exists.join(', ')}` : ''}`);
      }
      const target = owner.fields.volumes?.find((o) => o.name === v.name && o.from === undefined);
      if (!target) return fail([...at, 'from'], `service "${v.from}" owns no volume named "${v.name}"; expected one of: ${(owner.fields.volumes ?? []).filter((o) => o.from === undefined).map((o) => o.name).join(', ') || 'none'}`);
      if ((owner.fields.workload ?? 'deployment') === 'statefulset') return fail([...at, 'from'], `service "${v.from}" is a StatefulSet, whose volumes are per replica and cannot be shared; expected a ReadWriteMany volume of a Deployment`);
      const mode = target.accessMode ?? 'ReadWriteOnce';
      if (mode === 'ReadWriteOnce' || mode === 'ReadWriteOncePod') return fail([...at, 'from'], `volume "${v.name}" of "${v.from}" is ${mode}, so only one node can mount it; expected accessMode: ReadWriteMany on the owner's volume to share it`);
      volumes.push({ name: v.name, mountPath: v.mountPath, readOnly: v.readOnly ?? mode === 'ReadOnlyMany', claimName: `${v.from}-${v.name}`, fromService: v.from });
      return;
    }
    if (v.size === undefined) return fail([...at, 'size'], 'is required for a volume this service owns; expected a size such as 10Gi (or from: <service> to mount another service\'s volume)');
    const accessMode = v.accessMode ?? 'ReadWriteOnce';
    if (workload === 'deployment' && ownsReplicated && (accessMode === 'ReadWriteOnce' || accessMode === 'ReadWriteOncePod')) {
      return fail([...at, 'accessMode'], `${accessMode} lets only one node mount the volume, but the service runs several replicas; expected accessMode: ReadWriteMany, or workload: statefulset for a volume per replica`);
    }
    volumes.push({
      name: v.name,
      mountPath: v.mountPath,
      readOnly: v.readOnly ?? false,
      claimName: workload === 'statefulset' ? v.name : `${name}-${v.name}`,
      owned: { size: v.size, accessMode, storageClass: env.storageClass },
    });
  });

  // Dependencies.
  const dependsOn: ResolvedDependency[] = [];
  (f.dependsOn ?? []).forEach((dep, i) => {
    if (dep === name) return fail(['dependsOn', i], 'a service cannot depend on itself; expected another service');
    if (!all.has(dep)) {
      if (unloaded.services.has(dep) && !declared.has(dep)) return;
      if (declared.has(dep)) return fail(['dependsOn', i], `service "${dep}" is disabled in environment ${env.name}, so nothing can wait for it; expected a service that runs there (or disable this one too)`);
      return fail(['dependsOn', i], `unknown service "${dep}"; expected one of: ${[...all.keys()].filter((n) => n !== name).join(', ')}`);
    }
    const depPorts = allPorts.get(dep)!;
    if (!depPorts.length) return fail(['dependsOn', i], `service "${dep}" has no ports, so there is nothing to wait for; expected a service with port: or ports:`);
    if (dependsOn.some((d) => d.service === dep)) return fail(['dependsOn', i], `"${dep}" is listed twice; expected each dependency once`);
    dependsOn.push({ service: dep, host: serviceHost(dep, env), port: depPorts[0]!.port });
  });

  // Metrics.
  let metrics: ResolvedService['metrics'];
  if (f.metrics && f.metrics.enabled !== false) {
    const port = portByRef(f.metrics.port, ['metrics', 'port'], 'metrics');
    if (port !== undefined) metrics = { port, portName: ports.find((p) => p.port === port)!.name, path: f.metrics.path ?? '/metrics', interval: f.metrics.interval ?? '30s' };
  }

  // Derived names must stay within Kubernetes limits.
  // `<name>-<env>` is the instance label and the Argo CD Application's name.
  // Each derived name is blamed on the field to shorten.
  const derived: [string, number, (string | number)[], string][] = [];
  const fromName = (n: string): void => void derived.push([n, LABEL_MAX, ['name'], 'the service name']);
  fromName(name);
  fromName(`${name}-${env.name}`);
  if (f.migrations) fromName(`${name}-migrate`);
  if (files.length) fromName(`${name}-files`);
  const volumeAt = (v: ResolvedVolume): (string | number)[] => ['volumes', (f.volumes ?? []).findIndex((x) => x.name === v.name), 'name'];
  if (workload === 'statefulset') {
    fromName(`${name}-headless`);
    // Pods get the label controller-revision-hash=<name>-<10 chars>, which must fit in 63.
    fromName(`${name}-0123456789`);
    // Each replica's claim is <template>-<statefulset>-<ordinal>.
    for (const v of volumes.filter((x) => x.owned)) derived.push([`${v.claimName}-${name}-999`, LABEL_MAX, volumeAt(v), 'the volume name or the service name']);
  } else {
    for (const v of volumes.filter((x) => x.owned)) derived.push([v.claimName, LABEL_MAX, volumeAt(v), 'the volume name or the service name']);
  }
  dependsOn.forEach((d) => derived.push([`wait-for-${d.service}`, LABEL_MAX, ['dependsOn', (f.dependsOn ?? []).indexOf(d.service)], `the name of service "${d.service}"`]));
  const blamed = new Set<string>();
  for (const [n, max, at, shorten] of derived) {
    if (n.length <= max || blamed.has(at.join('.'))) continue;
    blamed.add(at.join('.'));
    fail(at, `the derived name "${n}" has ${n.length} characters, more than Kubernetes allows (${max}); expected a shorter name: shorten ${shorten}`);
  }

  const sc = f.securityContext ?? {};
  if (sc.runAsUser === 0 && sc.runAsNonRoot === true) fail(['securityContext', 'runAsUser'], 'runAsUser 0 (root) contradicts runAsNonRoot: true; expected a non-zero UID, or runAsNonRoot: false');

  if (!ok || !repository || !tag) return undefined;
  const suspended = f.suspended ?? false;
  return {
    name,
    environment: env,
    component: f.component,
    description: f.description,
    image: { repository, tag, autoUpdate },
    sync: {
      automated: f.sync?.automated ?? env.sync.automated,
      prune: f.sync?.prune ?? env.sync.prune,
      selfHeal: f.sync?.selfHeal ?? env.sync.selfHeal,
    },
    workload,
    command: f.command,
    args: f.args,
    ports,
    expose,
    env: env_,
    secretEnv,
    volumes,
    files,
    filesHash,
    // Suspended: every check above still ran, so resuming cannot reveal a new problem.
    replicas: suspended ? 0 : replicas,
    autoscaling: suspended ? undefined : autoscaling,
    resources: { requests: sortKeys(requests), limits: sortKeys(limits) },
    probes,
    migrations: suspended ? undefined : f.migrations,
    suspended,
    dependsOn,
    securityContext: {
      runAsNonRoot: sc.runAsNonRoot ?? (sc.runAsUser === 0 ? false : true),
      runAsUser: sc.runAsUser,
      runAsGroup: sc.runAsGroup,
      fsGroup: sc.fsGroup,
      readOnlyRootFilesystem: sc.readOnlyRootFilesystem ?? true,
    },
    writableTmp: (sc.readOnlyRootFilesystem ?? true) && !volumes.some((v) => v.mountPath === '/tmp') && !files.some((x) => x.path.startsWith('/tmp/')),
    metrics,
    waitTimeoutSeconds: WAIT_TIMEOUT_SECONDS,
    source: m.svc.source,
  };
}


function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]).sort(([a], [b]) => codeUnitOrder(a, b)));
}
