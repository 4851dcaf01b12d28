import type { ValueSpan } from '../../spec/source.js';
import type { ResolvedService } from '../model.js';
import { resolveDependencies } from './dependencies.js';
import { resolveImage } from './image.js';
import { resolveMetrics } from './metrics.js';
import { checkMounts } from './mounts.js';
import { checkDerivedNames } from './names.js';
import { type NetworkDeclarations, resolveNetworkDeclarations } from './network.js';
import { resolveExpose } from './ports.js';
import { resolveProbes } from './probes.js';
import { resolveRecreate } from './recreate.js';
import { resolveScaling } from './scaling.js';
import type { FieldPath, Merged, ServiceScope } from './scope.js';
import { resolveSecurity } from './security.js';
import { checkExecStrings, resolveFiles, resolveVariables } from './variables.js';
import { resolveVolumes } from './volumes.js';

/** How long a `dependsOn` init container waits for each dependency, in seconds. */
const WAIT_TIMEOUT_SECONDS = 300;

/**
 * One service in one environment, every default applied and every reference
 * resolved, with what it declares about the network (which the environment
 * turns into NetworkPolicies, with every other service's), or undefined when
 * it has a problem (each reported through the scope). Each concern has its
 * resolver; all of them run, so one run reports every problem of the service.
 */
export function resolveService(
  m: Merged,
  scope: Omit<ServiceScope, 'fail' | 'name' | 'fields'>,
): { service: ResolvedService; network: NetworkDeclarations } | undefined {
  let ok = true;
  const s: ServiceScope = {
    ...scope,
    name: m.svc.name,
    fields: m.fields,
    fail(path: FieldPath, message: string, atKey = false, span?: ValueSpan): void {
      ok = false;
      m.problem(path, message, atKey, span);
    },
  };
  const f = m.fields;
  const image = resolveImage(s);
  const expose = resolveExpose(s);
  const { env, secretEnv } = resolveVariables(s);
  checkExecStrings(s, env);
  const { files, filesHash } = resolveFiles(s);
  const scaling = resolveScaling(s);
  const probes = resolveProbes(s);
  const volumes = resolveVolumes(s, scaling);
  const recreate = resolveRecreate(s, scaling);
  const dependsOn = resolveDependencies(s);
  const metrics = resolveMetrics(s);
  const network = resolveNetworkDeclarations(s, dependsOn);
  checkDerivedNames(s, { scaling, files, volumes, dependsOn });
  const security = resolveSecurity(s, volumes, image);
  checkMounts(s, volumes, files, security.writableTmp);

  if (!ok || !image) return undefined;
  const suspended = f.suspended ?? false;
  const service: ResolvedService = {
    name: s.name,
    environment: s.env,
    component: f.component,
    description: f.description,
    image,
    sync: {
      automated: f.sync?.automated ?? s.env.sync.automated,
      prune: f.sync?.prune ?? s.env.sync.prune,
      selfHeal: f.sync?.selfHeal ?? s.env.sync.selfHeal,
    },
    workload: scaling.workload,
    command: f.command,
    args: f.args,
    ports: s.ports,
    expose,
    env,
    secretEnv,
    volumes,
    files,
    filesHash,
    // Suspended: every check above still ran, so resuming cannot reveal a new problem.
    replicas: suspended ? 0 : scaling.replicas,
    autoscaling: suspended ? undefined : scaling.autoscaling,
    resources: scaling.resources,
    probes,
    migrations: suspended ? undefined : f.migrations,
    suspended,
    ...(recreate?.length ? { recreate } : {}),
    dependsOn,
    ...security,
    metrics,
    waitTimeoutSeconds: WAIT_TIMEOUT_SECONDS,
    source: m.svc.source,
  };
  return { service, network };
}
