import type { ResolvedService } from '../model.js';
import { portByRef } from './ports.js';
import type { ServiceScope } from './scope.js';

/** `metrics`: the port and path Prometheus scrapes (defaults: the first port, /metrics, every 30 s). */
export function resolveMetrics(s: ServiceScope): ResolvedService['metrics'] {
  const m = s.fields.metrics;
  if (!m || m.enabled === false) return undefined;
  const port = portByRef(s, m.port, ['metrics', 'port'], 'metrics');
  if (port === undefined) return undefined;
  return {
    port,
    portName: s.ports.find((p) => p.port === port)!.name,
    path: m.path ?? '/metrics',
    interval: m.interval ?? '30s',
  };
}
