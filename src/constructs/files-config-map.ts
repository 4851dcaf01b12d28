import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { ResolvedService } from '../resolve/model.js';
import { metadata, WAVE } from './labels.js';

export interface FilesConfigMapProps {
  /** A service with at least one entry in `files`. */
  readonly service: ResolvedService;
}

/** The ConfigMap `<service>-files` holding the service's `files:`, one key per file. */
export class FilesConfigMap extends Construct {
  constructor(scope: Construct, id: string, props: FilesConfigMapProps) {
    super(scope, id);
    const svc = props.service;
    if (!svc.files.length)
      throw new Error(`FilesConfigMap: service ${svc.name} has no files; do not create the construct for it`);
    new k8s.KubeConfigMap(this, 'Resource', {
      metadata: metadata(svc, `${svc.name}-files`, WAVE.prerequisites),
      data: Object.fromEntries(svc.files.map((f) => [f.key, f.content])),
    });
  }
}
