import type { ResolvedDependency, ResolvedFile, ResolvedVolume } from '../model.js';
import type { Scaling } from './scaling.js';
import type { FieldPath, ServiceScope } from './scope.js';

/** Kubernetes' limit on label values and on most names derived from a service name. */
const LABEL_MAX = 63;

/**
 * Every name derived from the service name must fit Kubernetes' limits:
 * `<name>-<env>` (the instance label and the Argo CD Application),
 * `<name>-migrate`, `<name>-files`, claim names, a StatefulSet's headless
 * Service, revision label and per-replica claims. Each is blamed on the field
 * to shorten.
 */
export function checkDerivedNames(
  s: ServiceScope,
  parts: {
    scaling: Scaling;
    files: readonly ResolvedFile[];
    volumes: readonly ResolvedVolume[];
    dependsOn: readonly ResolvedDependency[];
  },
): void {
  const { name, env, fields: f } = s;
  const derived: [string, number, FieldPath, string][] = [];
  const fromName = (n: string): void => void derived.push([n, LABEL_MAX, ['name'], 'the service name']);
  fromName(name);
  fromName(`${name}-${env.name}`);
  if (f.migrations) fromName(`${name}-migrate`);
  if (parts.files.length) fromName(`${name}-files`);
  const volumeAt = (v: ResolvedVolume): FieldPath => [
    'volumes',
    (f.volumes ?? []).findIndex((x) => x.name === v.name),
    'name',
  ];
  if (parts.scaling.workload === 'statefulset') {
    fromName(`${name}-headless`);
    // Pods get the label controller-revision-hash=<name>-<10 chars>, which must fit in 63.
    fromName(`${name}-0123456789`);
    // Each replica's claim is <template>-<statefulset>-<ordinal>.
    for (const v of parts.volumes.filter((x) => x.owned))
      derived.push([`${v.claimName}-${name}-999`, LABEL_MAX, volumeAt(v), 'the volume name or the service name']);
  } else {
    for (const v of parts.volumes.filter((x) => x.owned))
      derived.push([v.claimName, LABEL_MAX, volumeAt(v), 'the volume name or the service name']);
  }
  parts.dependsOn.forEach((d) =>
    derived.push([
      `wait-for-${d.service}`,
      LABEL_MAX,
      ['dependsOn', (f.dependsOn ?? []).indexOf(d.service)],
      `the name of service "${d.service}"`,
    ]),
  );
  const blamed = new Set<string>();
  for (const [n, max, at, shorten] of derived) {
    if (n.length <= max || blamed.has(at.join('.'))) continue;
    blamed.add(at.join('.'));
    s.fail(
      at,
      `the derived name "${n}" has ${n.length} characters, more than Kubernetes allows (${max}); ` +
        `expected a shorter name: shorten ${shorten}`,
    );
  }
}
