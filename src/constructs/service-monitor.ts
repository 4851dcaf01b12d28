import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { ResolvedService } from '../resolve/model.js';
import { metadata, selectorLabels, WAVE } from './labels.js';

export const SERVICE_MONITOR_API_VERSION = 'monitoring.coreos.com/v1';

export interface ServiceMonitorProps {
  /** A service with `metrics:` (and so with the port the metrics are served on). */
  readonly service: ResolvedService;
  /** How often Prometheus scrapes. @default the service's `metrics.interval` ("30s" unless set) */
  readonly interval?: string;
  /**
   * Labels added to the ServiceMonitor's own, for the Prometheus serviceMonitorSelector.
   * @default the environment's `monitoring.labels`
   */
  readonly extraLabels?: Readonly<Record<string, string>>;
}

/**
 * A Prometheus Operator `ServiceMonitor` that scrapes the service's metrics
 * port through its Service: it selects the Service by the service's selector
 * labels (only its own Service carries both) in its own namespace, and names
 * the port, so a port number change never breaks scraping.
 */
export class ServiceMonitor extends Construct {
  constructor(scope: Construct, id: string, props: ServiceMonitorProps) {
    super(scope, id);
    const svc = props.service;
    const metrics = svc.metrics;
    if (!metrics)
      throw new Error(
        `ServiceMonitor: service ${svc.name} has no metrics; ` +
          'add metrics: {port, path} to its spec or do not create the construct',
      );
    if (!svc.ports.some((p) => p.name === metrics.portName)) {
      throw new Error(
        `ServiceMonitor: service ${svc.name} has no port named ${metrics.portName}; ` +
          'metrics.port must name one of its ports',
      );
    }
    const meta = metadata(svc, svc.name, WAVE.routing);
    const extraLabels = props.extraLabels ?? svc.environment.monitoring.labels;
    const clash = Object.keys(extraLabels).find((k) => k in meta.labels);
    if (clash)
      throw new Error(
        `ServiceMonitor: label ${clash} is one of the service's own labels; choose another key for monitoring.labels`,
      );
    new ApiObject(this, 'Resource', {
      apiVersion: SERVICE_MONITOR_API_VERSION,
      kind: 'ServiceMonitor',
      metadata: { ...meta, labels: { ...meta.labels, ...extraLabels } },
      spec: {
        selector: { matchLabels: selectorLabels(svc) },
        namespaceSelector: { matchNames: [svc.environment.namespace] },
        endpoints: [
          { port: metrics.portName, path: metrics.path, interval: props.interval ?? metrics.interval, scheme: 'http' },
        ],
      },
    });
  }
}
