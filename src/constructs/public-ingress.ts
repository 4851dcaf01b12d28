import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { ResolvedService } from '../resolve/model.js';
import { metadata, WAVE } from './labels.js';

export interface PublicIngressProps {
  /** A service with `expose`. */
  readonly service: ResolvedService;
}

/**
 * The Ingress at `<subdomain>.<domain>` and the service's path, with the
 * environment's class and, when the environment names a cluster issuer, TLS
 * from the host's certificate Secret. Services sharing a host each have an
 * Ingress with the same tls block (ingress-nginx merges them, the longest
 * path winning); only the one that owns the host's certificate carries the
 * cert-manager annotation, so exactly one Certificate is made per host.
 */
export class PublicIngress extends Construct {
  constructor(scope: Construct, id: string, props: PublicIngressProps) {
    super(scope, id);
    const svc = props.service;
    const expose = svc.expose;
    if (!expose)
      throw new Error(`PublicIngress: service ${svc.name} has no expose; do not create the construct for it`);
    const routing = svc.environment.routing;
    if (routing.kind !== 'ingress')
      throw new Error(`PublicIngress: environment ${svc.environment.name} routes through a Gateway; use PublicRoute`);
    const issuer = routing.clusterIssuer;
    const annotations: Record<string, string> =
      issuer && expose.issuesCertificate !== false ? { 'cert-manager.io/cluster-issuer': issuer } : {};
    new k8s.KubeIngress(this, 'Resource', {
      metadata: metadata(svc, svc.name, WAVE.routing, annotations),
      spec: {
        ingressClassName: routing.className,
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
