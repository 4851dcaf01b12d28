import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { ResolvedService } from '../resolve/model.js';
import { metadata, recreateAnnotation, selectorLabels, WAVE } from './labels.js';

export interface ServicePortsProps {
  /** A service with at least one port (or a StatefulSet, which always gets its headless Service). */
  readonly service: ResolvedService;
}

/**
 * The ClusterIP Service named after the service (its stable DNS name), and for
 * a StatefulSet also the headless `<name>-headless` that gives each replica a
 * stable identity.
 */
export class ServicePorts extends Construct {
  constructor(scope: Construct, id: string, props: ServicePortsProps) {
    super(scope, id);
    const svc = props.service;
    const ports = svc.ports.map((p) => ({
      name: p.name,
      port: p.port,
      targetPort: k8s.IntOrString.fromString(p.name),
      protocol: p.protocol,
    }));
    const selector = selectorLabels(svc);
    if (ports.length) {
      new k8s.KubeService(this, 'Resource', {
        metadata: metadata(svc, svc.name, WAVE.workload, recreateAnnotation(svc, 'Service', svc.name)),
        spec: { type: 'ClusterIP', selector, ports },
      });
    }
    if (svc.workload === 'statefulset') {
      new k8s.KubeService(this, 'Headless', {
        metadata: metadata(
          svc,
          `${svc.name}-headless`,
          WAVE.prerequisites,
          recreateAnnotation(svc, 'Service', `${svc.name}-headless`),
        ),
        spec: { clusterIp: 'None', publishNotReadyAddresses: true, selector, ports: ports.length ? ports : undefined },
      });
    }
  }
}
