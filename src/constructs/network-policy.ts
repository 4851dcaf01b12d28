import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { ResolvedNetworkPeer, ResolvedNetworkRule, ResolvedService } from '../resolve/model.js';
import { INSTANCE_LABEL, metadata, NAMESPACE_NAME_LABEL, WAVE } from './labels.js';

export interface ServiceNetworkPolicyProps {
  /** A service with `network` (its environment has NetworkPolicies on). */
  readonly service: ResolvedService;
}

/**
 * The service's NetworkPolicy, named after it: it selects the service's pods
 * and its migration Job's (both carry the instance label `<service>-<env>`),
 * which isolates them, and allows exactly the resolved rules: the services
 * that declared a connection to it, the ingress controller or gateway to the
 * exposed port, the monitoring namespace to the metrics port, and what
 * network.allowFrom adds. Where the environment restricts egress, it also
 * allows the cluster DNS and the declared destinations, and nothing else.
 * It comes with the pods it isolates, in the same Application, so a
 * service's allows are never missing while its pods run.
 */
export class ServiceNetworkPolicy extends Construct {
  constructor(scope: Construct, id: string, props: ServiceNetworkPolicyProps) {
    super(scope, id);
    const svc = props.service;
    const network = svc.network;
    if (!network)
      throw new Error(`ServiceNetworkPolicy: service ${svc.name} has no network policy; do not create the construct`);
    const env = svc.environment;
    const peer = (p: ResolvedNetworkPeer): k8s.NetworkPolicyPeer => {
      if (p.service !== undefined)
        return { podSelector: { matchLabels: { [INSTANCE_LABEL]: `${p.service}-${env.name}` } } };
      if (p.cidr !== undefined) return { ipBlock: { cidr: p.cidr } };
      return {
        namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: p.namespace! } },
        podSelector: p.podLabels ? { matchLabels: { ...p.podLabels } } : undefined,
      };
    };
    const ports = (r: ResolvedNetworkRule): k8s.NetworkPolicyPort[] | undefined =>
      r.ports.length
        ? r.ports.map((p) => ({ port: k8s.IntOrString.fromNumber(p.port), protocol: p.protocol }))
        : undefined;
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: metadata(svc, svc.name, WAVE.prerequisites),
      spec: {
        podSelector: { matchLabels: { [INSTANCE_LABEL]: `${svc.name}-${env.name}` } },
        policyTypes: network.egress ? ['Ingress', 'Egress'] : ['Ingress'],
        ingress: network.ingress.length
          ? network.ingress.map((r) => ({ from: [peer(r.peer)], ports: ports(r) }))
          : undefined,
        egress: network.egress?.length
          ? network.egress.map((r) => ({ to: [peer(r.peer)], ports: ports(r) }))
          : undefined,
      },
    });
  }
}
