import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { ResolvedService } from '../resolve/model.js';
import { claimTemplates } from './claims.js';
import { metadata, selectorLabels, versionedLabels, WAVE } from './labels.js';
import { podTemplate } from './pod-template.js';

export interface WorkloadProps {
  readonly service: ResolvedService;
}

/** On the workload of a suspended service (`gitops-synth app suspend`). */
export const SUSPENDED_ANNOTATION = 'gitops-synth.io/suspended';

/** Whether the service runs (or may scale to) more than one pod. */
export function isReplicated(svc: ResolvedService): boolean {
  return (svc.replicas ?? 0) >= 2 || (svc.autoscaling?.minReplicas ?? 0) >= 2;
}

/**
 * The service's Deployment or StatefulSet. The selector is name + instance
 * only; `replicas` is left out under autoscaling so the HPA owns it.
 */
export class Workload extends Construct {
  readonly kind: 'Deployment' | 'StatefulSet';
  constructor(scope: Construct, id: string, props: WorkloadProps) {
    super(scope, id);
    const svc = props.service;
    const selector = selectorLabels(svc);
    const template = podTemplate(svc, { labels: versionedLabels(svc), spread: isReplicated(svc), selector });
    // Says in the cluster why a suspended workload runs no pods.
    const meta = metadata(svc, svc.name, WAVE.workload, svc.suspended ? { [SUSPENDED_ANNOTATION]: 'true' } : {}, {
      versioned: true,
    });
    if (svc.workload === 'statefulset') {
      this.kind = 'StatefulSet';
      new k8s.KubeStatefulSet(this, 'Resource', {
        metadata: meta,
        spec: {
          serviceName: `${svc.name}-headless`,
          replicas: svc.replicas,
          selector: { matchLabels: selector },
          template,
          podManagementPolicy: 'OrderedReady',
          updateStrategy: { type: 'RollingUpdate' },
          revisionHistoryLimit: 5,
          // Claims outlive the StatefulSet and its scale-downs: data is never deleted by Kubernetes either.
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
          volumeClaimTemplates: claimTemplates(svc),
        },
      });
    } else {
      this.kind = 'Deployment';
      // A ReadWriteOnce claim cannot be mounted by the old and the new pod on different nodes at once.
      const singleAttach = svc.volumes.some(
        (v) => v.owned && (v.owned.accessMode === 'ReadWriteOnce' || v.owned.accessMode === 'ReadWriteOncePod'),
      );
      new k8s.KubeDeployment(this, 'Resource', {
        metadata: meta,
        spec: {
          replicas: svc.replicas,
          selector: { matchLabels: selector },
          template,
          revisionHistoryLimit: 5,
          strategy: singleAttach
            ? { type: 'Recreate' }
            : {
                type: 'RollingUpdate',
                rollingUpdate: {
                  maxSurge: k8s.IntOrString.fromNumber(1),
                  maxUnavailable: k8s.IntOrString.fromNumber(0),
                },
              },
        },
      });
    }
  }
}
