import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { ResolvedService } from '../resolve/model.js';
import { metadata, selectorLabels, WAVE } from './labels.js';

export interface DisruptionBudgetProps {
  /** A replicated service (replicas or minReplicas >= 2). */
  readonly service: ResolvedService;
}

/** At most one pod of a replicated service down at a time during voluntary disruptions (drains, upgrades). */
export class DisruptionBudget extends Construct {
  constructor(scope: Construct, id: string, props: DisruptionBudgetProps) {
    super(scope, id);
    const svc = props.service;
    new k8s.KubePodDisruptionBudget(this, 'Resource', {
      metadata: metadata(svc, svc.name, WAVE.routing),
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selectorLabels(svc) } },
    });
  }
}
