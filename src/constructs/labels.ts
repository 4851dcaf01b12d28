import type { ResolvedService } from '../resolve/model.js';

export const MANAGED_BY = 'gitops-synth';
/** The label every namespace carries with its own name (Kubernetes 1.22+), which namespace selectors match. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
/** The label that tells a service's pods (and its migration Job's) from every other pod of the namespace. */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
/** The Gateway API version of HTTPRoutes and Gateways (standard channel, v1). */
export const GATEWAY_API_VERSION = 'gateway.networking.k8s.io/v1';

/** The parentRef of an HTTPRoute on `gateway`: its listener `sectionName`, or every listener that matches. */
export function gatewayParentRef(gateway: { readonly name: string; readonly namespace: string }, sectionName?: string) {
  return {
    group: 'gateway.networking.k8s.io',
    kind: 'Gateway',
    name: gateway.name,
    namespace: gateway.namespace,
    sectionName,
  };
}
export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
export const SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';
/** Claims hold data: Argo CD must never prune or delete them, whatever happens to the service. */
export const PROTECT_DATA = 'Prune=false,Delete=false';

/**
 * Argo CD deletes the object and creates it again instead of updating it
 * (`kubectl replace --force`): for an object named in the spec's `recreate:`,
 * whose change the API server refuses as an update.
 */
export const RECREATE = 'Force=true,Replace=true';

/** The sync option that recreates `<kind>/<name>` when the service lists it in `recreate:`; none otherwise. */
export function recreateAnnotation(svc: ResolvedService, kind: string, name: string): Record<string, string> {
  return svc.recreate?.includes(`${kind}/${name}`) ? { [SYNC_OPTIONS]: RECREATE } : {};
}

/** Sync waves inside one service: config and claims, then the workload, then what routes to it. */
export const WAVE = { prerequisites: '-1', workload: '0', routing: '1' } as const;

/**
 * Pod selector labels. Built only from name and instance, never from construct
 * paths or versions: selectors are immutable once applied.
 */
export function selectorLabels(svc: ResolvedService): Record<string, string> {
  return { 'app.kubernetes.io/instance': instanceName(svc), 'app.kubernetes.io/name': svc.name };
}

export function instanceName(svc: ResolvedService): string {
  return `${svc.name}-${svc.environment.name}`;
}

/** The recommended labels that never change for a service (no version): every object that does not run the image. */
export function stableLabels(svc: ResolvedService): Record<string, string> {
  const labels: Record<string, string> = {
    ...selectorLabels(svc),
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/part-of': svc.environment.partOf,
  };
  if (svc.component) labels['app.kubernetes.io/component'] = svc.component;
  return labels;
}

/** Label values are limited to 63 characters; a longer tag simply is not mirrored in a label. */
export function hasVersionLabel(svc: ResolvedService): boolean {
  return svc.image.tag.length <= 63;
}

export const VERSION_LABEL = 'app.kubernetes.io/version';

/**
 * The labels of what runs the image: the workload, the migration Job and
 * their pod templates. The stable labels plus the version, which is the
 * rendered tag; for auto-updated services the kustomization rewrites it from
 * the image that actually runs. Only these carry the version, so a tag bump
 * changes the objects that run the image and nothing else (a reviewable diff).
 */
export function versionedLabels(svc: ResolvedService): Record<string, string> {
  const labels = stableLabels(svc);
  if (hasVersionLabel(svc)) labels[VERSION_LABEL] = svc.image.tag;
  return labels;
}

/** Metadata of an object of the service; `versioned` only for what runs the image (see versionedLabels). */
export function metadata(
  svc: ResolvedService,
  name: string,
  wave: string,
  annotations: Record<string, string> = {},
  options: { versioned?: boolean } = {},
) {
  return {
    name,
    namespace: svc.environment.namespace,
    labels: options.versioned ? versionedLabels(svc) : stableLabels(svc),
    annotations: { [SYNC_WAVE]: wave, ...annotations },
  };
}
