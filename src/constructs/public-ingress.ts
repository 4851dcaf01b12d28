import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { ResolvedService } from '../resolve/model.js';
import { metadata, WAVE } from './labels.js';

export interface PublicIngressProps {
  /** A service with `expose`. */
  readonly service: ResolvedService;
}

/**
 * The Ingress at `<subdomain>.<domain>`, with the environment's class and,
 * when the environment names a cluster issuer, a cert-manager certificate in a
 * TLS secret per host.
 */
export class PublicIngress extends Construct {
  constructor(scope: Construct, id: string, props: PublicIngressProps) {
    super(scope, id);
    const svc = props.service;
    const expose = svc.expose;
    if (!expose)
      throw new Error(`PublicIngress: service ${svc.name} has no expose; do not create the construct for it`);
    const issuer = svc.environment.clusterIssuer;
    new k8s.KubeIngress(this, 'Resource', {
      metadata: metadata(svc, svc.name, WAVE.routing, issuer ? { 'cert-manager.io/cluster-issuer': issuer } : {}),
      spec: {
        ingressClassName: svc.environment.ingressClassName,
        rules: [
          {
            host: expose.host,
            http: {
              paths: [
                {
                  path: expose.path,
                  pathType: 'Prefix',
                  backend: { service: { name: svc.name, port: { number: expose.port } } },
                },
              ],
            },
          },
        ],
        tls: issuer && expose.tlsSecretName ? [{ hosts: [expose.host], secretName: expose.tlsSecretName }] : undefined,
      },
    });
  }
}
