import { codeUnitOrder } from '../util/order.js';
import type {
  ResolvedEnvironment,
  ResolvedNetworkPeer,
  ResolvedNetworkPort,
  ResolvedNetworkRule,
  ResolvedService,
} from './model.js';
import type { NetworkDeclarations } from './service/network.js';

/** CoreDNS (kube-dns) in kube-system: every pod resolves names through it, also where egress is restricted. */
export const CLUSTER_DNS: ResolvedNetworkPeer = { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } };
const DNS_PORTS: readonly ResolvedNetworkPort[] = [
  { port: 53, protocol: 'UDP' },
  { port: 53, protocol: 'TCP' },
];

/**
 * The ports other services reach: every port but a dedicated metrics port
 * (one that is neither the first nor the exposed port), which only the
 * monitoring namespace reaches.
 */
export function consumerPorts(svc: ResolvedService): ResolvedNetworkPort[] {
  const dedicated =
    svc.metrics && svc.metrics.port !== svc.ports[0]?.port && svc.metrics.port !== svc.expose?.port
      ? svc.metrics.port
      : undefined;
  return sortPorts(svc.ports.filter((p) => p.port !== dedicated).map((p) => ({ port: p.port, protocol: p.protocol })));
}

/**
 * Every service's NetworkPolicy in an environment with policies on, from what
 * all of them declare: a connection declared by either side (a reference,
 * dependsOn, network.allowTo on the client; network.allowFrom on the server)
 * is allowed into the server and, where egress is restricted, out of the
 * client. Besides: the replicas of a StatefulSet reach each other, the
 * ingress controller's (or gateway's) namespace reaches the exposed port, the
 * monitoring namespace the metrics port, and with restricted egress every
 * pod reaches the cluster DNS. Nothing else is allowed.
 */
export function assignNetworkPolicies(
  env: ResolvedEnvironment,
  parts: readonly { readonly service: ResolvedService; readonly network: NetworkDeclarations }[],
): ResolvedService[] {
  if (!env.network.policies) return parts.map((p) => p.service);
  const byName = new Map(parts.map((p) => [p.service.name, p.service]));
  // Edges client -> server, each with the union of its ports and reasons, by client and by server.
  type Edge = { ports: ResolvedNetworkPort[]; reasons: string[] };
  const edges = new Map<string, Map<string, Edge>>();
  const incoming = new Map<string, Map<string, Edge>>();
  const edge = (from: string, to: string, ports: readonly ResolvedNetworkPort[] | undefined, reason: string) => {
    const server = byName.get(to);
    if (!server || !byName.has(from) || from === to) return;
    const out = edges.get(from) ?? new Map<string, Edge>();
    edges.set(from, out);
    const into = incoming.get(to) ?? new Map<string, Edge>();
    incoming.set(to, into);
    const e = out.get(to) ?? { ports: [], reasons: [] };
    out.set(to, e);
    into.set(from, e);
    for (const p of ports ?? consumerPorts(server))
      if (!e.ports.some((x) => x.port === p.port && x.protocol === p.protocol)) e.ports.push(p);
    if (!e.reasons.includes(reason)) e.reasons.push(reason);
  };
  for (const { service, network } of parts) {
    for (const c of network.connectsTo) edge(service.name, c.service, c.ports, c.reason);
    for (const c of network.allowsFrom) edge(c.service, service.name, c.ports, `network.allowFrom of ${service.name}`);
  }
  const rule = (peer: ResolvedNetworkPeer, ports: readonly ResolvedNetworkPort[], reason: string) => ({
    peer,
    ports: sortPorts(ports),
    reason,
  });

  return parts.map(({ service: svc, network }) => {
    const ingress: ResolvedNetworkRule[] = [];
    const into = incoming.get(svc.name);
    for (const client of [...(into?.keys() ?? [])].sort(codeUnitOrder)) {
      const e = into!.get(client)!;
      ingress.push(rule({ service: client }, e.ports, e.reasons.join(', ')));
    }
    const peersOfItself = svc.workload === 'statefulset' && svc.ports.length > 0;
    const ownPorts = svc.ports.map((p) => ({ port: p.port, protocol: p.protocol }));
    if (peersOfItself) ingress.push(rule({ service: svc.name }, ownPorts, 'the replicas of a StatefulSet'));
    if (svc.expose && env.network.ingressPeer)
      ingress.push(
        rule(
          env.network.ingressPeer,
          [{ port: svc.expose.port, protocol: 'TCP' }],
          env.routing.kind === 'gateway' ? 'the gateway' : 'the ingress controller',
        ),
      );
    if (svc.metrics)
      ingress.push(
        rule(
          { namespace: env.network.monitoringNamespace },
          [{ port: svc.metrics.port, protocol: 'TCP' }],
          'Prometheus scraping the metrics port',
        ),
      );
    for (const p of network.inbound) ingress.push(rule(p.peer, p.ports ?? consumerPorts(svc), p.reason));

    if (env.network.egress !== 'declared') return { ...svc, network: { ingress } };
    const egress: ResolvedNetworkRule[] = [rule(CLUSTER_DNS, DNS_PORTS, 'the cluster DNS')];
    const out = edges.get(svc.name);
    for (const server of [...(out?.keys() ?? [])].sort(codeUnitOrder)) {
      const e = out!.get(server)!;
      egress.push(rule({ service: server }, e.ports, e.reasons.join(', ')));
    }
    if (peersOfItself) egress.push(rule({ service: svc.name }, ownPorts, 'the replicas of a StatefulSet'));
    for (const p of network.outbound) egress.push(rule(p.peer, p.ports ?? [], p.reason));
    return { ...svc, network: { ingress, egress } };
  });
}

function sortPorts(ports: readonly ResolvedNetworkPort[]): ResolvedNetworkPort[] {
  return [...ports].sort((a, b) => a.port - b.port || codeUnitOrder(a.protocol, b.protocol));
}
