import type { ResolvedDependency, ResolvedNetworkPeer, ResolvedNetworkPort } from '../model.js';
import { referencedServices } from '../references.js';
import { portByRef } from './ports.js';
import type { ServiceScope } from './scope.js';

/** A connection one service declares to another service of the environment, and why. */
export interface DeclaredConnection {
  readonly service: string;
  /** For people, e.g. `${service:postgres} in env`, `dependsOn`, `network.allowTo`. */
  readonly reason: string;
  /** Ports of the target, when the declaration names them; undefined: every port but a dedicated metrics port. */
  readonly ports?: readonly ResolvedNetworkPort[];
}

/** A source or destination outside the environment's services: a namespace or an IP block. */
export interface DeclaredPeer {
  readonly peer: ResolvedNetworkPeer;
  /** Ports; undefined: on the receiving service, every port but a dedicated metrics port; outbound, every port. */
  readonly ports?: readonly ResolvedNetworkPort[];
  readonly reason: string;
}

/**
 * What one service says about the network: the services it connects to
 * (its `${service:…}` references in env and files, its dependsOn, its
 * network.allowTo services), the services it lets in (network.allowFrom),
 * and the namespaces and IP blocks it lets in or connects to. The
 * environment turns every service's declarations into NetworkPolicies
 * (resolve/network.ts), so an edge declared on either side is allowed on both.
 */
export interface NetworkDeclarations {
  readonly connectsTo: readonly DeclaredConnection[];
  /** Services this one lets in (network.allowFrom), with the ports of this service they may reach. */
  readonly allowsFrom: readonly DeclaredConnection[];
  /** Namespaces this one lets in (network.allowFrom). */
  readonly inbound: readonly DeclaredPeer[];
  /** Namespaces and IP blocks this one connects to (network.allowTo). */
  readonly outbound: readonly DeclaredPeer[];
}

/**
 * The service's network declarations, each checked: references and
 * dependencies name enabled services (checked by their own resolvers), and
 * every network.allowFrom / allowTo entry names a known service with ports,
 * a port the service declares, or another namespace than the environment's
 * own (which would admit every service of it). A service named there that is
 * disabled in this environment is skipped: there is nothing to allow.
 */
export function resolveNetworkDeclarations(
  s: ServiceScope,
  dependsOn: readonly ResolvedDependency[],
): NetworkDeclarations {
  const { name, env, fields: f } = s;
  const connectsTo: DeclaredConnection[] = [];
  const connect = (service: string, reason: string, ports?: readonly ResolvedNetworkPort[]): void => {
    if (service === name || !s.services.has(service) || !s.portsOf.get(service)?.length) return;
    connectsTo.push({ service, reason, ports });
  };
  for (const [k, v] of Object.entries(f.env ?? {}))
    for (const t of referencedServices(String(v))) connect(t, `\${service:${t}} in env.${k}`);
  for (const [path, content] of Object.entries(f.files ?? {}))
    for (const t of referencedServices(content)) connect(t, `\${service:${t}} in files.${path}`);
  for (const d of dependsOn) connect(d.service, 'dependsOn');

  const allowsFrom: DeclaredConnection[] = [];
  const inbound: DeclaredPeer[] = [];
  const ownNamespace = (at: (string | number)[], ns: string, what: string): boolean => {
    if (ns !== env.namespace) return false;
    s.fail(
      at,
      `${ns} is the namespace of environment ${env.name} itself, so this would ${what} every service of it; ` +
        'expected the name of a service instead (service: <name>)',
    );
    return true;
  };
  (f.network?.allowFrom ?? []).forEach((entry, i) => {
    const at = ['network', 'allowFrom', i];
    if (!s.ports.length)
      return s.fail(at, 'the service has no ports, so nothing can reach it; expected port: or ports: first');
    let ports: ResolvedNetworkPort[] | undefined;
    if (entry.ports) {
      ports = [];
      entry.ports.forEach((ref, j) => {
        const port = portByRef(s, ref, [...at, 'ports', j], 'network.allowFrom');
        const found = s.ports.find((p) => p.port === port);
        if (found && !ports!.some((p) => p.port === found.port && p.protocol === found.protocol))
          ports!.push({ port: found.port, protocol: found.protocol });
      });
    }
    if (entry.service !== undefined) {
      const other = entry.service;
      if (other === name)
        return s.fail(
          [...at, 'service'],
          "a service's own pods need no allow to reach each other here; expected another service",
        );
      if (!knownService(s, [...at, 'service'], other)) return;
      if (s.services.has(other)) allowsFrom.push({ service: other, reason: 'network.allowFrom', ports });
    } else if (entry.namespace !== undefined && !ownNamespace([...at, 'namespace'], entry.namespace, 'admit')) {
      inbound.push({ peer: { namespace: entry.namespace }, ports, reason: 'network.allowFrom' });
    }
  });

  const outbound: DeclaredPeer[] = [];
  (f.network?.allowTo ?? []).forEach((entry, i) => {
    const at = ['network', 'allowTo', i];
    const protocol = entry.protocol ?? 'TCP';
    const ports = entry.ports?.map((port) => ({ port, protocol }));
    if (entry.service !== undefined) {
      const other = entry.service;
      if (other === name)
        return s.fail([...at, 'service'], 'a service needs no allow to reach itself here; expected another service');
      if (!knownService(s, [...at, 'service'], other) || !s.services.has(other)) return;
      const theirs = s.portsOf.get(other) ?? [];
      if (!theirs.length)
        return s.fail(
          [...at, 'service'],
          `service "${other}" has no ports, so there is nothing to connect to; expected a service with port: or ports:`,
        );
      const missing = (ports ?? []).find((p) => !theirs.some((t) => t.port === p.port && t.protocol === p.protocol));
      if (missing)
        return s.fail(
          [...at, 'ports'],
          `service "${other}" has no port ${missing.port}/${missing.protocol}; ` +
            `expected one of: ${theirs.map((t) => `${t.port}/${t.protocol}`).join(', ')}`,
        );
      connect(other, 'network.allowTo', ports);
    } else if (entry.namespace !== undefined) {
      if (!ownNamespace([...at, 'namespace'], entry.namespace, 'open the way to'))
        outbound.push({ peer: { namespace: entry.namespace }, ports, reason: 'network.allowTo' });
    } else if (entry.cidr !== undefined) {
      outbound.push({ peer: { cidr: entry.cidr }, ports, reason: 'network.allowTo' });
    }
  });
  return { connectsTo, allowsFrom, inbound, outbound };
}

/** Whether `other` is a service of apps/ (reported when not); one disabled in this environment is known. */
function knownService(s: ServiceScope, at: (string | number)[], other: string): boolean {
  if (s.declared.has(other) || s.unloaded.services.has(other)) return true;
  s.fail(
    at,
    `unknown service "${other}"; expected one of: ${[...s.services.keys()].filter((n) => n !== s.name).join(', ')}`,
  );
  return false;
}
