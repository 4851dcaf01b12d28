import type { ProbeSpec } from '../../spec/service-schema.js';
import type { ResolvedProbe, ResolvedService } from '../model.js';
import { portByRef } from './ports.js';
import type { ServiceScope } from './scope.js';

/** `probes`: readiness, liveness and startup, each an HTTP path, a TCP port or a command, with its ports resolved. */
export function resolveProbes(s: ServiceScope): ResolvedService['probes'] {
  const probe = (which: 'readiness' | 'liveness' | 'startup'): ResolvedProbe | undefined => {
    const p: ProbeSpec | undefined = s.fields.probes?.[which];
    if (!p) return undefined;
    const timing = {
      initialDelaySeconds: p.initialDelaySeconds,
      periodSeconds: p.periodSeconds,
      timeoutSeconds: p.timeoutSeconds,
      failureThreshold: p.failureThreshold,
    };
    if (p.http !== undefined) {
      const port = portByRef(s, p.port, ['probes', which, 'port'], `probes.${which}`);
      return port === undefined ? undefined : { http: { path: p.http, port }, ...timing };
    }
    if (p.tcp !== undefined) {
      const port = portByRef(s, p.tcp, ['probes', which, 'tcp'], `probes.${which}`);
      return port === undefined ? undefined : { tcp: { port }, ...timing };
    }
    return { exec: p.exec!, ...timing };
  };
  return { readiness: probe('readiness'), liveness: probe('liveness'), startup: probe('startup') };
}
