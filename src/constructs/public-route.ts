import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { gatewayListenerName } from '../resolve/environment.js';
import type { ResolvedService } from '../resolve/model.js';
import { GATEWAY_API_VERSION, gatewayParentRef, metadata, WAVE } from './labels.js';

export interface PublicRouteProps {
  /** A service with `expose`, in an environment that routes through a Gateway. */
  readonly service: ResolvedService;
}

/**
 * The service's Gateway API `HTTPRoute`: its host and path prefix to its
 * exposed port, attached to the environment's Gateway (to the listener of
 * its host when gitops-synth renders the Gateway, else to the configured
 * sectionName or every listener that matches). Several services on one host
 * each have a route; the Gateway picks the longest matching prefix. TLS is
 * the Gateway's business, on its listeners.
 */
export class PublicRoute extends Construct {
  constructor(scope: Construct, id: string, props: PublicRouteProps) {
    super(scope, id);
    const svc = props.service;
    const expose = svc.expose;
    if (!expose) throw new Error(`PublicRoute: service ${svc.name} has no expose; do not create the construct for it`);
    const routing = svc.environment.routing;
    if (routing.kind !== 'gateway')
      throw new Error(`PublicRoute: environment ${svc.environment.name} routes through Ingresses; use PublicIngress`);
    const sectionName = routing.rendered ? gatewayListenerName(routing.rendered, expose.host) : routing.sectionName;
    new ApiObject(this, 'Resource', {
      apiVersion: GATEWAY_API_VERSION,
      kind: 'HTTPRoute',
      metadata: metadata(svc, svc.name, WAVE.routing),
      spec: {
        parentRefs: [gatewayParentRef(routing, sectionName)],
        hostnames: [expose.host],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: expose.path } }],
            backendRefs: [{ group: '', kind: 'Service', name: svc.name, port: expose.port }],
          },
        ],
      },
    });
  }
}
