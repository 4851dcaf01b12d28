import { codeUnitOrder } from '../util/order.js';
import type { ResolvedService } from './model.js';

/**
 * A path prefix as Ingress `Prefix` and Gateway `PathPrefix` match it:
 * element-wise, a trailing slash ignored (`/api/` routes what `/api` does).
 */
export function routedPrefix(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/**
 * Services sharing a host: allowed with different paths (a frontend at `/`,
 * its API at `/api`; the longest prefix wins, with Ingress and with routes
 * alike); the same host and path twice is reported on the later service by
 * name. With Ingress routing and TLS, the host has one certificate Secret
 * shared by every Ingress on it, and exactly one Ingress asks cert-manager
 * for it: the service with the shortest path, then the first by name, so the
 * owner of the Certificate is deterministic and stays put while services with
 * longer paths come and go. Returns the services with `issuesCertificate` set.
 */
export function assignHosts(
  services: readonly ResolvedService[],
  report: (service: string, message: string) => void,
): ResolvedService[] {
  const byHost = new Map<string, ResolvedService[]>();
  for (const svc of services) {
    if (!svc.expose) continue;
    byHost.set(svc.expose.host, [...(byHost.get(svc.expose.host) ?? []), svc]);
  }
  const owners = new Set<string>();
  for (const [host, onHost] of byHost) {
    const claimed = new Map<string, string>();
    for (const svc of [...onHost].sort((a, b) => codeUnitOrder(a.name, b.name))) {
      const prefix = routedPrefix(svc.expose!.path);
      const other = claimed.get(prefix);
      if (other)
        report(
          svc.name,
          `host ${host} with path ${prefix} is already routed to service "${other}" ` +
            `in environment ${svc.environment.name}; expected another path or subdomain ` +
            '(services may share a host with different paths, the longest prefix winning)',
        );
      else claimed.set(prefix, svc.name);
    }
    const owner = [...onHost].sort(
      (a, b) =>
        routedPrefix(a.expose!.path).length - routedPrefix(b.expose!.path).length || codeUnitOrder(a.name, b.name),
    )[0]!;
    owners.add(owner.name);
  }
  return services.map((svc) =>
    svc.expose && svc.environment.routing.kind === 'ingress' && svc.expose.tlsSecretName
      ? { ...svc, expose: { ...svc.expose, issuesCertificate: owners.has(svc.name) } }
      : svc,
  );
}
