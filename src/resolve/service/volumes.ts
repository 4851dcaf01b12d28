import { FILES_VOLUME, TMP_VOLUME, type ResolvedVolume } from '../model.js';
import { mountPathProblem } from './mounts.js';
import type { Scaling } from './scaling.js';
import type { ServiceScope } from './scope.js';
import { unknownName } from '../../spec/suggest.js';

/**
 * `volumes`: claims the service owns (a claim per volume, or claim templates
 * of a StatefulSet) and ReadWriteMany claims of other services mounted with
 * `from:`. A ReadWriteOnce volume of a replicated Deployment is refused.
 */
export function resolveVolumes(s: ServiceScope, scaling: Scaling): ResolvedVolume[] {
  const { fields: f, name, env, fail } = s;
  const { workload, replicas, autoscaling } = scaling;
  const volumes: ResolvedVolume[] = [];
  const ownsReplicated = (replicas ?? 0) > 1 || (autoscaling?.maxReplicas ?? 0) > 1;
  (f.volumes ?? []).forEach((v, i) => {
    const at = ['volumes', i];
    if (volumes.some((o) => o.name === v.name))
      return fail([...at, 'name'], `volume "${v.name}" is declared twice; expected unique volume names`);
    if (v.name === FILES_VOLUME || v.name === TMP_VOLUME)
      return fail(
        [...at, 'name'],
        `"${v.name}" is reserved for a volume gitops-synth adds (files:, /tmp); expected another name`,
      );
    const pathProblem = mountPathProblem(v.mountPath, 'volume');
    if (pathProblem) return fail([...at, 'mountPath'], pathProblem);
    if (v.from !== undefined) {
      if (v.replaces !== undefined)
        return fail(
          [...at, 'replaces'],
          `a volume with from: mounts the claim of service "${v.from}", which stays its owner's; ` +
            'expected replaces: only on a volume this service owns',
        );
      if (v.size !== undefined || v.accessMode !== undefined)
        return fail(
          [...at, 'from'],
          "a volume with from: mounts the other service's claim, whose size and accessMode belong to the " +
            'owner; expected no size or accessMode here',
        );
      if (v.from === name)
        return fail([...at, 'from'], 'a service cannot mount its own volume with from:; expected no from: here');
      const owner = s.services.get(v.from);
      if (!owner && !s.declared.has(v.from) && s.unloaded.services.has(v.from)) return;
      if (!owner) {
        const exists = [...s.services.keys()].filter((n) => n !== name);
        return fail(
          [...at, 'from'],
          `unknown service "${v.from}"${unknownName(v.from, exists, 'another service of apps/')}`,
        );
      }
      const target = owner.fields.volumes?.find((o) => o.name === v.name && o.from === undefined);
      if (!target)
        return fail(
          [...at, 'from'],
          `service "${v.from}" owns no volume named "${v.name}"` +
            unknownName(
              v.name,
              (owner.fields.volumes ?? []).filter((o) => o.from === undefined).map((o) => o.name),
              `a volume "${v.from}" owns, and it owns none: give it one with size and accessMode: ReadWriteMany`,
            ),
        );
      if ((owner.fields.workload ?? 'deployment') === 'statefulset')
        return fail(
          [...at, 'from'],
          `service "${v.from}" is a StatefulSet, whose volumes are per replica and cannot be shared; ` +
            'expected a ReadWriteMany volume of a Deployment',
        );
      const mode = target.accessMode ?? 'ReadWriteOnce';
      if (mode === 'ReadWriteOnce' || mode === 'ReadWriteOncePod')
        return fail(
          [...at, 'from'],
          `volume "${v.name}" of "${v.from}" is ${mode}, so only one node can mount it; ` +
            `expected accessMode: ReadWriteMany on the owner's volume to share it`,
        );
      volumes.push({
        name: v.name,
        mountPath: v.mountPath,
        readOnly: v.readOnly ?? mode === 'ReadOnlyMany',
        claimName: `${v.from}-${v.name}`,
        fromService: v.from,
      });
      return;
    }
    if (v.size === undefined)
      return fail(
        [...at, 'size'],
        'is required for a volume this service owns; expected a size such as 10Gi (or from: <service> to ' +
          "mount another service's volume)",
      );
    const accessMode = v.accessMode ?? 'ReadWriteOnce';
    if (
      workload === 'deployment' &&
      ownsReplicated &&
      (accessMode === 'ReadWriteOnce' || accessMode === 'ReadWriteOncePod')
    ) {
      return fail(
        [...at, 'accessMode'],
        `${accessMode} lets only one node mount the volume, but the service runs several replicas; ` +
          'expected accessMode: ReadWriteMany, or workload: statefulset for a volume per replica',
      );
    }
    if (v.replaces !== undefined && v.replaces !== v.name && (f.volumes ?? []).some((o) => o.name === v.replaces))
      return fail(
        [...at, 'replaces'],
        `volume "${v.replaces}" is still a volume of this service, with its own claim; expected the name of a ` +
          'volume it no longer has (the one whose data this volume takes over)',
      );
    volumes.push({
      name: v.name,
      mountPath: v.mountPath,
      readOnly: v.readOnly ?? false,
      claimName: workload === 'statefulset' ? v.name : `${name}-${v.name}`,
      owned: { size: v.size, accessMode, storageClass: env.storageClass },
      ...(v.replaces !== undefined ? { replaces: v.replaces } : {}),
    });
  });
  return volumes;
}
