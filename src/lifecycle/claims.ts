import type { ResolvedService } from '../resolve/model.js';
import { instanceName } from '../constructs/labels.js';

/** A PersistentVolumeClaim (or a StatefulSet's family of them) a service owns in one environment. */
export interface OwnedClaim {
  readonly environment: string;
  readonly namespace: string;
  /** The volume's name in the spec. */
  readonly volume: string;
  readonly size: string;
  readonly accessMode: string;
  /** A Deployment's claim: its exact name. */
  readonly claimName?: string;
  /**
   * A StatefulSet's claim template: Kubernetes names each replica's claim
   * `<template>-<statefulset>-<ordinal>` and keeps it after scale-downs, so
   * ordinals beyond today's replicas may exist too.
   */
  readonly template?: {
    readonly name: string;
    readonly statefulSet: string;
    readonly currentClaims: readonly string[];
  };
  /** The `app.kubernetes.io/instance` label on the claim. */
  readonly instanceLabel: string;
}

export function ownedClaims(svc: ResolvedService): OwnedClaim[] {
  const replicas = svc.replicas ?? svc.autoscaling?.maxReplicas ?? 1;
  return svc.volumes
    .filter((v) => v.owned)
    .map((v) => ({
      environment: svc.environment.name,
      namespace: svc.environment.namespace,
      volume: v.name,
      size: v.owned!.size,
      accessMode: v.owned!.accessMode,
      instanceLabel: instanceName(svc),
      ...(svc.workload === 'statefulset'
        ? {
            template: {
              name: v.claimName,
              statefulSet: svc.name,
              currentClaims: Array.from({ length: replicas }, (_, i) => `${v.claimName}-${svc.name}-${i}`),
            },
          }
        : { claimName: v.claimName }),
    }));
}

/** One line for people: what the claim is called in the cluster. */
export function describeClaim(c: OwnedClaim): string {
  if (c.claimName) return `PersistentVolumeClaim ${c.claimName} (${c.size}, ${c.accessMode})`;
  const t = c.template!;
  const current = t.currentClaims.length ? `${t.currentClaims.join(', ')}, and any other ` : 'every ';
  return (
    `PersistentVolumeClaims ${current}${t.name}-${t.statefulSet}-<N> an earlier scale-up left (claim template ` +
    `"${t.name}" of StatefulSet ${t.statefulSet}, ${c.size} each)`
  );
}
