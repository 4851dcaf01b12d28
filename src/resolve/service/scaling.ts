import { codeUnitOrder } from '../../util/order.js';
import type { ResolvedService } from '../model.js';
import { quantityValue } from '../quantity.js';
import type { ServiceScope } from './scope.js';

export type Scaling = Pick<ResolvedService, 'workload' | 'replicas' | 'autoscaling' | 'resources'>;

/**
 * `workload`, `replicas`, `autoscaling` and `resources`: the replica count
 * (from the environment's defaults) or an autoscaling range, and requests and
 * limits merged key by key over the environment's defaults, requests ≤ limits.
 */
export function resolveScaling(s: ServiceScope): Scaling {
  const { fields: f, env, fail } = s;
  const workload = f.workload ?? 'deployment';
  let replicas: number | undefined = f.replicas ?? (f.autoscaling ? undefined : (env.defaults.replicas ?? 1));
  const autoscaling = f.autoscaling;
  if (autoscaling) {
    if (f.replicas !== undefined)
      fail(
        ['replicas'],
        'replicas and autoscaling exclude each other (the autoscaler owns the replica count); ' +
          'expected one of them: remove replicas, or set replicas: null under environments.<env>',
      );
    if (autoscaling.minReplicas > autoscaling.maxReplicas)
      fail(
        ['autoscaling', 'minReplicas'],
        `minReplicas (${autoscaling.minReplicas}) is greater than maxReplicas (${autoscaling.maxReplicas}); ` +
          'expected minReplicas <= maxReplicas',
      );
    if (autoscaling.targetCPUUtilization === undefined && autoscaling.targetMemoryUtilization === undefined)
      fail(
        ['autoscaling'],
        'no utilization target is set; expected targetCPUUtilization or targetMemoryUtilization (or both)',
      );
    replicas = undefined;
  }

  const defaults = env.defaults.resources ?? {};
  const requests = { ...(defaults.requests ?? {}), ...(f.resources?.requests ?? {}) } as Record<string, string>;
  const limits = { ...(defaults.limits ?? {}), ...(f.resources?.limits ?? {}) } as Record<string, string>;
  for (const k of Object.keys(limits)) {
    if (requests[k] !== undefined && quantityValue(requests[k]!) > quantityValue(limits[k]!)) {
      const inherited =
        (f.resources?.limits as Record<string, string> | undefined)?.[k] === undefined
          ? ` (the default of ${env.source.file})`
          : '';
      fail(
        ['resources', 'requests', k],
        `request ${requests[k]} is greater than the limit ${limits[k]}${inherited}; expected requests <= limits`,
      );
    }
  }
  if (autoscaling?.targetCPUUtilization !== undefined && requests.cpu === undefined)
    fail(
      ['autoscaling', 'targetCPUUtilization'],
      'the service has no CPU request, and utilization is relative to the request; expected resources.requests.cpu',
    );
  if (autoscaling?.targetMemoryUtilization !== undefined && requests.memory === undefined)
    fail(
      ['autoscaling', 'targetMemoryUtilization'],
      'the service has no memory request, and utilization is relative to the request; ' +
        'expected resources.requests.memory',
    );
  return { workload, replicas, autoscaling, resources: { requests: sortKeys(requests), limits: sortKeys(limits) } };
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(o)
      .map(([k, v]) => [k, String(v)])
      .sort(([a], [b]) => codeUnitOrder(a, b)),
  );
}
