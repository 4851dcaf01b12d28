import { quantityValue } from '../resolve/quantity.js';
import {
  changedLeaves,
  fieldName,
  isObject,
  type KubeObject,
  type LeafChange,
  sameValue,
  showValue,
} from './objects.js';

/**
 * What the API server refuses when an object is updated (`kubectl apply`,
 * which is how Argo CD syncs), emulated from its validation code, since no
 * cluster is at hand: the immutable and one-way fields of the kinds
 * gitops-synth renders. Two renders are compared as parsed objects; values
 * the API server fills in (defaults) are filled in on both sides first.
 */

/** What a refused value is, for pointing at the spec key that made it. */
export type Aspect = 'size' | 'accessModes' | 'storageClass' | 'component' | 'partOf' | 'added' | 'removed' | 'other';

export type Subject =
  /** A claim template of a StatefulSet. */
  | { readonly type: 'template'; readonly template: string; readonly aspect: Aspect }
  /** A PersistentVolumeClaim. */
  | { readonly type: 'claim'; readonly aspect: Aspect }
  /** Anything else: a value gitops-synth derives, not one a spec key sets. */
  | { readonly type: 'object' };

export interface RefusedField {
  /** As the API server names it: `spec.volumeClaimTemplates[data].spec.resources.requests.storage`. */
  readonly field: string;
  readonly old: string;
  readonly new: string;
  /** Why the update is refused, with the API server's own answer. */
  readonly why: string;
  readonly subject: Subject;
}

/** A change the API server accepts only in some clusters: said, but not refused. */
export interface Caution {
  readonly field: string;
  readonly old: string;
  readonly new: string;
  readonly why: string;
}

export interface UpdateCheck {
  readonly refused: readonly RefusedField[];
  readonly cautions: readonly Caution[];
}

const NONE: UpdateCheck = { refused: [], cautions: [] };

/** Refused (and doubtful) changes when `old` is updated to `now` (same kind, namespace and name). */
export function checkUpdate(old: KubeObject, now: KubeObject): UpdateCheck {
  const group = now.apiVersion.includes('/') ? now.apiVersion.slice(0, now.apiVersion.indexOf('/')) : '';
  switch (`${group}|${now.kind}`) {
    case 'apps|StatefulSet':
      return { refused: statefulSet(old, now), cautions: [] };
    case 'apps|Deployment':
    case 'apps|ReplicaSet':
    case 'apps|DaemonSet':
      return { refused: immutableSelector(old, now), cautions: [] };
    case 'batch|Job':
      return { refused: job(old, now), cautions: [] };
    case '|Service':
      return { refused: service(old, now), cautions: [] };
    case '|PersistentVolumeClaim':
      return claim(old, now);
    case '|ConfigMap':
    case '|Secret':
      return { refused: immutableData(old, now), cautions: [] };
    case 'rbac.authorization.k8s.io|RoleBinding':
    case 'rbac.authorization.k8s.io|ClusterRoleBinding':
      return { refused: roleRef(old, now), cautions: [] };
    default:
      return NONE;
  }
}

const spec = (o: KubeObject): Record<string, unknown> => (isObject(o.spec) ? o.spec : {});

const STATEFULSET_MUTABLE = new Set([
  'replicas',
  'template',
  'updateStrategy',
  'minReadySeconds',
  'ordinals',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
]);
const STATEFULSET_ANSWER =
  "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', " +
  "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

function statefulSet(old: KubeObject, now: KubeObject): RefusedField[] {
  const a = statefulSetDefaults(spec(old));
  const b = statefulSetDefaults(spec(now));
  const out: RefusedField[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (STATEFULSET_MUTABLE.has(key) || sameValue(a[key], b[key])) continue;
    if (key === 'volumeClaimTemplates') {
      out.push(...claimTemplates(a[key], b[key], spec(old).volumeClaimTemplates, spec(now).volumeClaimTemplates));
      continue;
    }
    out.push({
      field: `spec.${key}`,
      // A value left out is shown as the default the API server filled in.
      old: showValue(spec(old)[key] ?? a[key]),
      new: showValue(spec(now)[key] ?? b[key]),
      why: `a StatefulSet's ${key} never changes after it is created (the API server answers ${STATEFULSET_ANSWER})`,
      subject: { type: 'object' },
    });
  }
  return out;
}

/** The defaults the API server fills into a StatefulSet's immutable fields, so that leaving one out is no change. */
function statefulSetDefaults(s: Record<string, unknown>): Record<string, unknown> {
  const templates = Array.isArray(s.volumeClaimTemplates) ? s.volumeClaimTemplates : undefined;
  return {
    ...s,
    podManagementPolicy: s.podManagementPolicy ?? 'OrderedReady',
    volumeClaimTemplates: templates?.map((t: unknown) => {
      if (!isObject(t)) return t;
      const { status: _status, ...rest } = t;
      const tspec = isObject(rest.spec) ? rest.spec : {};
      return {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        ...rest,
        spec: { volumeMode: 'Filesystem', ...tspec, resources: quantities(tspec.resources) },
      };
    }),
  };
}

/** Requests and limits by value, so `1Gi` and `1024Mi` are the same (the API server compares quantities). */
function quantities(resources: unknown): unknown {
  if (!isObject(resources)) return resources;
  const out: Record<string, unknown> = { ...resources };
  for (const part of ['requests', 'limits']) {
    const values = resources[part];
    if (isObject(values))
      out[part] = Object.fromEntries(
        Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? quantityValue(v) || v : v]),
      );
  }
  return out;
}

function templateName(t: unknown): string | undefined {
  return isObject(t) && isObject(t.metadata) && typeof t.metadata.name === 'string' ? t.metadata.name : undefined;
}

/** The value at `path` of plain data, undefined when absent. */
function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const seg of path) v = isObject(v) ? v[seg] : undefined;
  return v;
}

function claimTemplates(a: unknown, b: unknown, rawA: unknown, rawB: unknown): RefusedField[] {
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const byName = (v: unknown): Map<string, unknown> => new Map(list(v).map((t, i) => [templateName(t) ?? `#${i}`, t]));
  const [olds, news, rawOlds, rawNews] = [byName(a), byName(b), byName(rawA), byName(rawB)];
  const why = (what: string): string =>
    `a StatefulSet's volumeClaimTemplates never change after it is created: ${what} (the API server ` +
    `answers ${STATEFULSET_ANSWER})`;
  const out: RefusedField[] = [];
  for (const [name, t] of olds) {
    const field = `spec.volumeClaimTemplates[${name}]`;
    const n = news.get(name);
    if (n === undefined) {
      out.push({
        field,
        old: `claim template ${name}`,
        new: '(none)',
        why: why('a template cannot be removed'),
        subject: { type: 'template', template: name, aspect: 'removed' },
      });
      continue;
    }
    for (const leaf of changedLeaves(t, n)) {
      const aspect = templateAspect(leaf);
      out.push({
        field: fieldName(['spec', 'volumeClaimTemplates', `[${name}]`, ...leaf.path]),
        old: showValue(at(rawOlds.get(name), leaf.path)),
        new: showValue(at(rawNews.get(name), leaf.path)),
        why: why(
          aspect === 'size'
            ? `the claims of its replicas are made from them, and the API server does not resize them`
            : 'the claims of its replicas are made from them',
        ),
        subject: { type: 'template', template: name, aspect },
      });
    }
  }
  for (const name of news.keys()) {
    if (olds.has(name)) continue;
    out.push({
      field: `spec.volumeClaimTemplates[${name}]`,
      old: '(none)',
      new: `claim template ${name}`,
      why: why('a template cannot be added'),
      subject: { type: 'template', template: name, aspect: 'added' },
    });
  }
  return out;
}

function templateAspect(leaf: LeafChange): Aspect {
  const p = leaf.path.join('.');
  if (p === 'spec.resources.requests.storage') return 'size';
  if (p === 'spec.accessModes') return 'accessModes';
  if (p === 'spec.storageClassName') return 'storageClass';
  if (p === 'metadata.labels.app.kubernetes.io/component') return 'component';
  if (p === 'metadata.labels.app.kubernetes.io/part-of') return 'partOf';
  return 'other';
}

function immutableSelector(old: KubeObject, now: KubeObject): RefusedField[] {
  const [a, b] = [spec(old).selector, spec(now).selector];
  if (sameValue(a, b)) return [];
  return [
    {
      field: 'spec.selector',
      old: showValue(a),
      new: showValue(b),
      why:
        `a ${now.kind}'s selector never changes after it is created (the API server answers spec.selector: ` +
        `Invalid value: …: field is immutable)`,
      subject: { type: 'object' },
    },
  ];
}

export const HOOK_ANNOTATION = 'argocd.argoproj.io/hook';
const HOOK_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';

/**
 * Argo CD deletes a hook before creating it again when its delete policy is
 * BeforeHookCreation, Argo CD's default: it is never updated in place.
 */
function recreatedAsHook(o: KubeObject): boolean {
  const annotations = o.metadata.annotations ?? {};
  const hook = annotations[HOOK_ANNOTATION] ?? annotations['helm.sh/hook'];
  if (hook === undefined) return false;
  const policy = annotations[HOOK_DELETE_POLICY] ?? annotations['helm.sh/hook-delete-policy'];
  return policy === undefined || policy.split(',').some((p) => p.trim().toLowerCase() === 'beforehookcreation');
}

const JOB_IMMUTABLE = [
  'selector',
  'template',
  'completions',
  'completionMode',
  'podFailurePolicy',
  'backoffLimitPerIndex',
] as const;

function job(old: KubeObject, now: KubeObject): RefusedField[] {
  if (recreatedAsHook(now)) return [];
  const out: RefusedField[] = [];
  for (const key of JOB_IMMUTABLE) {
    const [a, b] = [spec(old)[key], spec(now)[key]];
    if (sameValue(a, b)) continue;
    const leaves = key === 'template' ? changedLeaves(a, b, ['spec', key]) : [{ path: ['spec', key], old: a, new: b }];
    for (const leaf of leaves)
      out.push({
        field: fieldName(leaf.path),
        old: showValue(leaf.old),
        new: showValue(leaf.new),
        why:
          `a Job's ${key} never changes after it is created (the API server answers spec.${key}: Invalid ` +
          `value: …: field is immutable)`,
        subject: { type: 'object' },
      });
  }
  return out;
}

const NEEDS_NO_CLUSTER_IP = 'ExternalName';

function service(old: KubeObject, now: KubeObject): RefusedField[] {
  const [a, b] = [spec(old), spec(now)];
  const [typeA, typeB] = [String(a.type ?? 'ClusterIP'), String(b.type ?? 'ClusterIP')];
  const out: RefusedField[] = [];
  const refuse = (field: string, was: unknown, is: unknown, why: string): void =>
    void out.push({ field, old: showValue(was), new: showValue(is), why, subject: { type: 'object' } });
  if (typeA === NEEDS_NO_CLUSTER_IP || typeB === NEEDS_NO_CLUSTER_IP) return out;
  const [ipA, ipB] = [a.clusterIP as string | undefined, b.clusterIP as string | undefined];
  if (ipB !== undefined && ipB !== ipA) {
    refuse(
      'spec.clusterIP',
      ipA ?? '(allocated by the cluster)',
      ipB,
      ipA === 'None' || ipB === 'None'
        ? `a Service's cluster IP never changes once set, and None (headless) is one: a headless Service ` +
            `cannot get a virtual IP, nor a Service lose its own (the API server answers spec.clusterIPs[0]: ` +
            `Invalid value: …: may not change once set)`
        : `a Service's cluster IP never changes once set${ipA === undefined ? ', unless this is the one ' : ''}` +
            `${ipA === undefined ? 'the cluster allocated' : ''} ` +
            `(the API server answers spec.clusterIPs[0]: Invalid value: …: may not change once set)`,
    );
  } else if (ipB === undefined && ipA === 'None') {
    refuse(
      'spec.clusterIP',
      'None',
      '(allocated by the cluster)',
      'a Service keeps the cluster IP it has when an update leaves clusterIP out: the API server ' +
        'copies None (headless) into the update, so the Service would never get a virtual IP (clusterIP ' +
        'never changes once set)',
    );
  }
  const effectiveB = ipB ?? ipA;
  if (effectiveB === 'None' && (typeB === 'NodePort' || typeB === 'LoadBalancer') && typeA !== typeB)
    refuse(
      'spec.type',
      typeA,
      typeB,
      `a headless Service (clusterIP None) cannot become a ${typeB} Service, which needs a cluster ` +
        `IP (the API server answers spec.clusterIP: Invalid value: "None": may not be set to 'None' ` +
        `for LoadBalancer or NodePort services)`,
    );
  const [familiesA, familiesB] = [a.ipFamilies, b.ipFamilies];
  if (Array.isArray(familiesA) && Array.isArray(familiesB) && familiesA[0] !== familiesB[0])
    refuse(
      'spec.ipFamilies[0]',
      familiesA[0],
      familiesB[0],
      "a Service's primary IP family never changes once set (the API server answers spec.ipFamilies[0]: " +
        'Invalid value: …: may not change once set)',
    );
  if (
    typeA === 'LoadBalancer' &&
    typeB === 'LoadBalancer' &&
    a.loadBalancerClass !== undefined &&
    a.loadBalancerClass !== b.loadBalancerClass
  )
    refuse(
      'spec.loadBalancerClass',
      a.loadBalancerClass,
      b.loadBalancerClass,
      "a LoadBalancer Service's loadBalancerClass never changes once set (the API server answers " +
        'spec.loadBalancerClass: Invalid value: …: may not change once set)',
    );
  return out;
}

const CLAIM_ANSWER =
  'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName ' +
  'for bound claims';

function claim(old: KubeObject, now: KubeObject): UpdateCheck {
  const [a, b] = [spec(old), spec(now)];
  const refused: RefusedField[] = [];
  const cautions: Caution[] = [];
  const requested = (s: Record<string, unknown>): unknown => at(s, ['resources', 'requests', 'storage']);
  const [sizeA, sizeB] = [requested(a), requested(b)];
  if (typeof sizeA === 'string' && typeof sizeB === 'string' && quantityValue(sizeB) < quantityValue(sizeA))
    refused.push({
      field: 'spec.resources.requests.storage',
      old: sizeA,
      new: sizeB,
      why:
        'a claim never shrinks (the API server answers spec.resources.requests.storage: Forbidden: ' +
        'field can not be less than previous value)',
      subject: { type: 'claim', aspect: 'size' },
    });
  const [classA, classB] = [a.storageClassName, b.storageClassName];
  if (classA === undefined && classB !== undefined)
    cautions.push({
      field: 'spec.storageClassName',
      old: '(none: the default class when it was created)',
      new: showValue(classB),
      why:
        `the API server accepts this only if ${showValue(classB)} is the class the cluster's default ` +
        `StorageClass gave the claim when it was created; otherwise the sync fails (${CLAIM_ANSWER})`,
    });
  else if (!sameValue(classA, classB))
    refused.push({
      field: 'spec.storageClassName',
      old: showValue(classA),
      new: classB === undefined ? '(none)' : showValue(classB),
      why:
        `a claim's storage class never changes: its volume was provisioned by the old one (the API ` +
        `server answers ${CLAIM_ANSWER})`,
      subject: { type: 'claim', aspect: 'storageClass' },
    });
  const withDefaults = (s: Record<string, unknown>): Record<string, unknown> => {
    const { resources: _r, storageClassName: _c, volumeAttributesClassName: _v, ...rest } = s;
    return { volumeMode: 'Filesystem', ...rest };
  };
  const [restA, restB] = [withDefaults(a), withDefaults(b)];
  // volumeName may be set once, when the claim binds.
  if (restA.volumeName === undefined) delete restB.volumeName;
  for (const leaf of changedLeaves(restA, restB, ['spec']))
    refused.push({
      field: fieldName(leaf.path),
      old: showValue(leaf.old),
      new: showValue(leaf.new),
      why: `a claim's ${leaf.path[1]} never changes after it is created (the API server answers ${CLAIM_ANSWER})`,
      subject: { type: 'claim', aspect: leaf.path[1] === 'accessModes' ? 'accessModes' : 'other' },
    });
  return { refused, cautions };
}

function immutableData(old: KubeObject, now: KubeObject): RefusedField[] {
  if (old.immutable !== true) return [];
  const out: RefusedField[] = [];
  for (const key of ['data', 'binaryData', 'stringData', 'immutable'] as const) {
    if (sameValue(old[key], now[key])) continue;
    out.push({
      field: key,
      old: key === 'immutable' ? showValue(old[key]) : '(the old content)',
      new: key === 'immutable' ? showValue(now[key]) : '(new content)',
      why:
        `a ${now.kind} marked immutable: true never changes (the API server answers ${key}: Forbidden: ` +
        `field is immutable when \`immutable\` is set)`,
      subject: { type: 'object' },
    });
  }
  return out;
}

function roleRef(old: KubeObject, now: KubeObject): RefusedField[] {
  if (sameValue(old.roleRef, now.roleRef)) return [];
  return [
    {
      field: 'roleRef',
      old: showValue(old.roleRef),
      new: showValue(now.roleRef),
      why:
        `a ${now.kind}'s roleRef never changes (the API server answers roleRef: Invalid value: …: cannot ` +
        `change roleRef)`,
      subject: { type: 'object' },
    },
  ];
}
