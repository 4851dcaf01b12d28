import { tlsSecretNameOf } from '../environment.js';
import type { ResolvedPort, ResolvedService } from '../model.js';
import { namesHttp, namesNonHttp, wellKnownPort } from '../well-known.js';
import type { FieldPath, Merged, ServiceScope } from './scope.js';

/**
 * `port` or `ports`: named container ports. Resolved for every service before
 * anything else, because references and dependencies need other services' ports.
 */
export function resolvePorts(m: Merged): ResolvedPort[] {
  const f = m.fields;
  if (f.port !== undefined && f.ports !== undefined) {
    m.problem(
      ['port'],
      'port and ports exclude each other; expected either `port: N` for one HTTP port or `ports:` for a list',
    );
    return [];
  }
  if (f.port !== undefined) {
    const known = wellKnownPort(f.port);
    if (known)
      m.problem(
        ['port'],
        `port: ${f.port} is shorthand for one HTTP port named http, but ${f.port} is ${known.program}'s ` +
          `port, and meshes (Istio, Linkerd) read the name http as HTTP and would break its connections; ` +
          `expected ports: [{name: ${known.name}, port: ${f.port}}]`,
      );
    return [{ name: 'http', port: f.port, protocol: 'TCP' }];
  }
  const list = f.ports ?? [];
  const out: ResolvedPort[] = [];
  list.forEach((p, i) => {
    const name = p.name ?? (list.length === 1 ? 'http' : undefined);
    if (!name) {
      m.problem(['ports', i], 'this port has no name; expected a name for each port when a service has several ports');
      return;
    }
    const protocol = p.protocol ?? 'TCP';
    const clash = out.find((o) => o.name === name || (o.port === p.port && o.protocol === protocol));
    if (clash) {
      if (clash.name === name)
        m.problem(
          ['ports', i, p.name ? 'name' : 'port'],
          `port name "${name}" is used twice; expected unique port names`,
        );
      else
        m.problem(
          ['ports', i, 'port'],
          `port ${p.port}/${protocol} is declared twice (also as "${clash.name}"); expected each port once`,
        );
      return;
    }
    const known = wellKnownPort(p.port);
    if (known && namesHttp(name))
      m.problem(
        ['ports', i, p.name ? 'name' : 'port'],
        `port ${p.port} is ${known.program}'s, and meshes (Istio, Linkerd) read the name ${name} as ` +
          `${name.startsWith('grpc') ? 'gRPC' : 'HTTP'} and would break its connections; expected a name that ` +
          `says its protocol, such as ${known.name}`,
      );
    out.push({ name, port: p.port, protocol });
  });
  return out;
}

/**
 * The port a field refers to by name or number (`expose.port`, a probe's
 * port, `metrics.port`); the first port when the field is left out.
 */
export function portByRef(
  s: ServiceScope,
  ref: number | string | undefined,
  path: FieldPath,
  what: string,
): number | undefined {
  const { ports } = s;
  if (ref === undefined) {
    if (!ports.length) {
      s.fail(path, `${what} needs a port, and the service declares none; expected port: or ports:`);
      return undefined;
    }
    return ports[0]!.port;
  }
  const found = ports.find((p) => p.name === ref || p.port === ref);
  if (!found) {
    s.fail(
      path,
      `${what} refers to port ${JSON.stringify(ref)}, which the service does not declare; ` +
        (ports.length
          ? `expected one of: ${ports.map((p) => `${p.name} (${p.port})`).join(', ')}`
          : 'expected the port declared first, with port: or ports:'),
    );
    return undefined;
  }
  return found.port;
}

/** `expose`: the host (`<subdomain>.<domain>` or the apex domain), path and port of the service's Ingress. */
export function resolveExpose(s: ServiceScope): ResolvedService['expose'] {
  const { fields: f, env } = s;
  if (!f.expose) return undefined;
  const host = f.expose.subdomain ? `${f.expose.subdomain}.${env.domain}` : env.domain;
  const port = portByRef(s, f.expose.port, ['expose', 'port'], 'expose');
  const target = s.ports.find((p) => p.port === port);
  if (target && (namesNonHttp(target.name) || target.protocol !== 'TCP'))
    s.fail(
      f.expose.port === undefined ? ['expose'] : ['expose', 'port'],
      `an Ingress routes HTTP, and port ${target.name} (${target.port}/${target.protocol}) is named for ` +
        `another protocol; expected expose.port naming an HTTP port`,
    );
  if (host.length > 253)
    s.fail(['expose', 'subdomain'], `host ${host} is longer than 253 characters; expected a shorter subdomain`);
  if (port === undefined) return undefined;
  return {
    host,
    path: f.expose.path ?? '/',
    port,
    tlsSecretName: tlsSecretNameOf(env, host),
  };
}
