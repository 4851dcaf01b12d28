import type { ResolvedDependency } from '../model.js';
import { serviceHost } from '../references.js';
import type { ServiceScope } from './scope.js';
import { unknownName } from '../../spec/suggest.js';

/** `dependsOn`: services of the same environment, with ports, that the pods wait for (each once, never itself). */
export function resolveDependencies(s: ServiceScope): ResolvedDependency[] {
  const { name, env, fail } = s;
  const dependsOn: ResolvedDependency[] = [];
  (s.fields.dependsOn ?? []).forEach((dep, i) => {
    if (dep === name) return fail(['dependsOn', i], 'a service cannot depend on itself; expected another service');
    if (!s.services.has(dep)) {
      if (s.unloaded.services.has(dep) && !s.declared.has(dep)) return;
      if (s.declared.has(dep))
        return fail(
          ['dependsOn', i],
          `service "${dep}" is disabled in environment ${env.name}, so nothing can wait for it; ` +
            'expected a service that runs there (or disable this one too)',
        );
      return fail(
        ['dependsOn', i],
        `unknown service "${dep}"${unknownName(
          dep,
          [...s.services.keys()].filter((n) => n !== name),
          'another service of apps/',
        )}`,
      );
    }
    const depPorts = s.portsOf.get(dep)!;
    if (!depPorts.length)
      return fail(
        ['dependsOn', i],
        `service "${dep}" has no ports, so there is nothing to wait for; expected a service with port: or ports:`,
      );
    if (dependsOn.some((d) => d.service === dep))
      return fail(['dependsOn', i], `"${dep}" is listed twice; expected each dependency once`);
    dependsOn.push({ service: dep, host: serviceHost(dep, env), port: depPorts[0]!.port });
  });
  return dependsOn;
}
