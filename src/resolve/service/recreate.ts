import type { Scaling } from './scaling.js';
import type { ServiceScope } from './scope.js';

/** Kinds whose objects `recreate:` may name: what the API server refuses to update in place, and holds no data. */
const RECREATABLE = ['Deployment', 'StatefulSet', 'Service'] as const;

/**
 * `recreate: [<Kind>/<name>]`: objects of this service Argo CD deletes and
 * creates again at the next sync, for a change the API server refuses as an
 * update. Only the workload and the Services may be named: a claim never
 * (recreating it deletes its data), and the migration Job is recreated at
 * every sync already (an Argo CD hook).
 */
export function resolveRecreate(s: ServiceScope, scaling: Scaling): readonly string[] | undefined {
  const { fields: f, name, fail } = s;
  if (!f.recreate?.length) return undefined;
  const workload = scaling.workload === 'statefulset' ? 'StatefulSet' : 'Deployment';
  const allowed = [`${workload}/${name}`];
  if (s.ports.length) allowed.push(`Service/${name}`);
  if (scaling.workload === 'statefulset') allowed.push(`Service/${name}-headless`);
  const expected = `expected one of: ${allowed.join(', ')}`;
  const out: string[] = [];
  f.recreate.forEach((ref, i) => {
    const at = ['recreate', i];
    const [kind] = ref.split('/');
    if (out.includes(ref)) return fail(at, `${ref} is listed twice; expected each object once`);
    if (kind === 'PersistentVolumeClaim')
      return fail(
        at,
        `a claim is never recreated: Argo CD would delete it, and its data with it; ${expected}. ` +
          'To make a change the API server refuses on a claim, move the data to a new claim: ' +
          'rename the volume and add replaces: <its old name> to it',
      );
    if (ref === `Job/${name}-migrate` && f.migrations)
      return fail(
        at,
        `the migration Job is an Argo CD PreSync hook, deleted and created again at every sync already; ${expected}`,
      );
    if (!allowed.includes(ref)) {
      const known = (RECREATABLE as readonly string[]).includes(kind!);
      return fail(
        at,
        known
          ? `service "${name}" renders no ${ref}; ${expected}`
          : `${kind} is not recreated by gitops-synth: the API server updates every field gitops-synth ` +
              `renders on it in place; ${expected}`,
      );
    }
    out.push(ref);
  });
  return out;
}
