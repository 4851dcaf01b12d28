import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { ResolvedService } from '../resolve/model.js';
import { metadata, WAVE } from './labels.js';

export interface ServiceAccountProps {
  readonly service: ResolvedService;
}

/** One ServiceAccount per service, with no API token mounted by default. */
export class ServiceAccount extends Construct {
  constructor(scope: Construct, id: string, props: ServiceAccountProps) {
    super(scope, id);
    const svc = props.service;
    new k8s.KubeServiceAccount(this, 'Resource', {
      metadata: metadata(svc, svc.name, WAVE.prerequisites),
      automountServiceAccountToken: false,
    });
  }
}
