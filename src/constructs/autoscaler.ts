import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { ResolvedService } from '../resolve/model.js';
import { metadata, WAVE } from './labels.js';

export interface AutoscalerProps {
  /** A service with `autoscaling`. */
  readonly service: ResolvedService;
  /** Kind of the scaled workload. */
  readonly targetKind: 'Deployment' | 'StatefulSet';
}

/** A HorizontalPodAutoscaler (autoscaling/v2) on CPU and/or memory utilization. */
export class Autoscaler extends Construct {
  constructor(scope: Construct, id: string, props: AutoscalerProps) {
    super(scope, id);
    const svc = props.service;
    const a = svc.autoscaling;
    if (!a) throw new Error(`Autoscaler: service ${svc.name} has no autoscaling; do not create the construct for it`);
    const metrics: k8s.MetricSpecV2[] = [];
    if (a.targetCPUUtilization !== undefined)
      metrics.push({
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.targetCPUUtilization } },
      });
    if (a.targetMemoryUtilization !== undefined)
      metrics.push({
        type: 'Resource',
        resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: a.targetMemoryUtilization } },
      });
    new k8s.KubeHorizontalPodAutoscalerV2(this, 'Resource', {
      metadata: metadata(svc, svc.name, WAVE.routing),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: props.targetKind, name: svc.name },
        minReplicas: a.minReplicas,
        maxReplicas: a.maxReplicas,
        metrics,
      },
    });
  }
}
