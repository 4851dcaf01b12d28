import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { ResolvedService } from '../resolve/model.js';
import { versionedLabels } from './labels.js';
import { podTemplate } from './pod-template.js';

export interface MigrationJobProps {
  /** A service with `migrations`. */
  readonly service: ResolvedService;
  /** Upper bound of one migration run, in seconds. @default 3600 */
  readonly activeDeadlineSeconds?: number;
}

/**
 * The schema migration as an Argo CD PreSync hook: a Job with the service's
 * image and environment that runs once per sync, before the new pods, and is
 * replaced (not piled up) on the next sync.
 */
export class MigrationJob extends Construct {
  constructor(scope: Construct, id: string, props: MigrationJobProps) {
    super(scope, id);
    const svc = props.service;
    if (!svc.migrations)
      throw new Error(`MigrationJob: service ${svc.name} has no migrations; do not create the construct for it`);
    const name = `${svc.name}-migrate`;
    // Not the service's selector labels: the Service and the PodDisruptionBudget must not pick this pod.
    const labels = {
      ...versionedLabels(svc),
      'app.kubernetes.io/name': name,
      'app.kubernetes.io/component': 'migration',
    };
    new k8s.KubeJob(this, 'Resource', {
      metadata: {
        name,
        namespace: svc.environment.namespace,
        labels,
        annotations: {
          'argocd.argoproj.io/hook': 'PreSync',
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
        },
      },
      spec: {
        backoffLimit: 2,
        activeDeadlineSeconds: props.activeDeadlineSeconds ?? 3600,
        template: podTemplate(svc, { labels, forMigration: true }),
      },
    });
  }
}
